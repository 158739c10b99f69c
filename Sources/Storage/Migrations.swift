/// Versioned schema changes. Each migration runs in one transaction with its
/// record in `schema_migrations`; a migration already recorded is skipped, so
/// running them twice is a no-op. Never edit a published migration: add one.
public struct Migration: Sendable {
    public var version: Int
    public var name: String
    /// Statements, run in order.
    public var statements: [String]
}

enum Dialect { case postgres, sqlite }

enum Migrations {
    static func all(for dialect: Dialect) -> [Migration] {
        switch dialect {
        case .postgres: return [Migration(version: 1, name: "initial schema", statements: postgresV1), v2]
        case .sqlite: return [Migration(version: 1, name: "initial schema", statements: sqliteV1), v2]
        }
    }

    /// Indexes for CASE LIST filters (docs/scale.md). template= with state=:
    /// with only the one-column indexes, a pair that matches few cases (a
    /// state of another template) walked the whole table in `num` order — half
    /// a second at a million cases. overdue=true matches few cases scattered
    /// over the table: a partial index in `num` order holds just the cases
    /// with a deadline (hold=true has cases_on_hold since v1). Same
    /// statements in both dialects.
    static let v2 = Migration(version: 2, name: "case list indexes", statements: [
        "CREATE INDEX cases_by_template_state ON cases (template, state, num)",
        "CREATE INDEX cases_with_deadline ON cases (num) WHERE overdue_at IS NOT NULL",
    ])

    static let createTable = """
        CREATE TABLE IF NOT EXISTS schema_migrations (
            version integer PRIMARY KEY,
            name text NOT NULL,
            applied_at text NOT NULL
        )
        """

    // Why each index exists is written down in docs/storage.md. Case ids and
    // chain names use byte order (COLLATE "C") whatever the database's locale,
    // so that verification can walk chains and cases side by side in one order.
    static let postgresV1: [String] = [
        """
        CREATE TABLE templates (
            name text NOT NULL,
            version integer NOT NULL CHECK (version >= 1),
            title text,
            states integer NOT NULL,
            body text NOT NULL,
            sha256 text NOT NULL,
            published_by text NOT NULL,
            published_at text NOT NULL,
            PRIMARY KEY (name, version)
        )
        """,
        """
        CREATE TABLE users (
            name text PRIMARY KEY,
            roles text NOT NULL,
            password_hash text NOT NULL,
            disabled boolean NOT NULL DEFAULT false
        )
        """,
        "CREATE SEQUENCE case_numbers",
        """
        CREATE TABLE cases (
            id text COLLATE "C" PRIMARY KEY,
            num bigint NOT NULL UNIQUE,
            template text NOT NULL,
            template_version integer NOT NULL,
            title text NOT NULL,
            state text NOT NULL,
            stage text NOT NULL,
            version bigint NOT NULL CHECK (version >= 1),
            head text NOT NULL,
            opened text NOT NULL,
            updated text NOT NULL,
            on_hold boolean NOT NULL,
            final boolean NOT NULL,
            overdue_at bigint,
            alarm_at bigint,
            body text NOT NULL,
            FOREIGN KEY (template, template_version) REFERENCES templates (name, version)
        )
        """,
        "CREATE INDEX cases_by_template ON cases (template, num)",
        "CREATE INDEX cases_by_state ON cases (state, num)",
        "CREATE INDEX cases_by_stage ON cases (stage, num)",
        "CREATE INDEX cases_overdue ON cases (overdue_at) WHERE overdue_at IS NOT NULL",
        "CREATE INDEX cases_alarm ON cases (alarm_at) WHERE alarm_at IS NOT NULL",
        "CREATE INDEX cases_on_hold ON cases (num) WHERE on_hold",
        """
        CREATE TABLE audit_events (
            chain text COLLATE "C" NOT NULL,
            seq bigint NOT NULL CHECK (seq >= 1),
            at text NOT NULL,
            actor text NOT NULL,
            role text NOT NULL,
            action text NOT NULL,
            data text NOT NULL,
            prev text NOT NULL,
            hash text NOT NULL,
            PRIMARY KEY (chain, seq)
        )
        """,
        """
        CREATE TABLE chain_heads (
            chain text PRIMARY KEY,
            seq bigint NOT NULL,
            hash text NOT NULL,
            at text NOT NULL
        )
        """,
        """
        CREATE TABLE idempotency (
            user_name text NOT NULL,
            key text NOT NULL,
            digest text NOT NULL,
            reply text NOT NULL,
            expires bigint NOT NULL,
            PRIMARY KEY (user_name, key)
        )
        """,
        "CREATE INDEX idempotency_expiry ON idempotency (expires)",
        """
        CREATE FUNCTION atmp_refuse_audit_change() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'audit_events is append-only: % refused', TG_OP USING ERRCODE = 'P0001';
        END
        $$
        """,
        """
        CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
            FOR EACH ROW EXECUTE FUNCTION atmp_refuse_audit_change()
        """,
        """
        CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
            FOR EACH STATEMENT EXECUTE FUNCTION atmp_refuse_audit_change()
        """,
        // For regulators' own SQL: typed time and JSON without changing what is hashed.
        """
        CREATE VIEW audit_trail AS
            SELECT chain, seq, at::timestamptz AS at, actor, role, action, data::jsonb AS data, prev, hash
            FROM audit_events
        """,
    ]

    static let sqliteV1: [String] = [
        """
        CREATE TABLE templates (
            name TEXT NOT NULL,
            version INTEGER NOT NULL CHECK (version >= 1),
            title TEXT,
            states INTEGER NOT NULL,
            body TEXT NOT NULL,
            sha256 TEXT NOT NULL,
            published_by TEXT NOT NULL,
            published_at TEXT NOT NULL,
            PRIMARY KEY (name, version)
        ) WITHOUT ROWID
        """,
        """
        CREATE TABLE users (
            name TEXT PRIMARY KEY,
            roles TEXT NOT NULL,
            password_hash TEXT NOT NULL,
            disabled INTEGER NOT NULL DEFAULT 0
        ) WITHOUT ROWID
        """,
        "CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID",
        "INSERT INTO counters (name, value) VALUES ('case', 0)",
        """
        CREATE TABLE cases (
            id TEXT PRIMARY KEY,
            num INTEGER NOT NULL UNIQUE,
            template TEXT NOT NULL,
            template_version INTEGER NOT NULL,
            title TEXT NOT NULL,
            state TEXT NOT NULL,
            stage TEXT NOT NULL,
            version INTEGER NOT NULL CHECK (version >= 1),
            head TEXT NOT NULL,
            opened TEXT NOT NULL,
            updated TEXT NOT NULL,
            on_hold INTEGER NOT NULL,
            final INTEGER NOT NULL,
            overdue_at INTEGER,
            alarm_at INTEGER,
            body TEXT NOT NULL,
            FOREIGN KEY (template, template_version) REFERENCES templates (name, version)
        ) WITHOUT ROWID
        """,
        "CREATE INDEX cases_by_template ON cases (template, num)",
        "CREATE INDEX cases_by_state ON cases (state, num)",
        "CREATE INDEX cases_by_stage ON cases (stage, num)",
        "CREATE INDEX cases_overdue ON cases (overdue_at) WHERE overdue_at IS NOT NULL",
        "CREATE INDEX cases_alarm ON cases (alarm_at) WHERE alarm_at IS NOT NULL",
        "CREATE INDEX cases_on_hold ON cases (num) WHERE on_hold",
        """
        CREATE TABLE audit_events (
            chain TEXT NOT NULL,
            seq INTEGER NOT NULL CHECK (seq >= 1),
            at TEXT NOT NULL,
            actor TEXT NOT NULL,
            role TEXT NOT NULL,
            action TEXT NOT NULL,
            data TEXT NOT NULL,
            prev TEXT NOT NULL,
            hash TEXT NOT NULL,
            PRIMARY KEY (chain, seq)
        ) WITHOUT ROWID
        """,
        """
        CREATE TABLE chain_heads (
            chain TEXT PRIMARY KEY,
            seq INTEGER NOT NULL,
            hash TEXT NOT NULL,
            at TEXT NOT NULL
        ) WITHOUT ROWID
        """,
        """
        CREATE TABLE idempotency (
            user_name TEXT NOT NULL,
            key TEXT NOT NULL,
            digest TEXT NOT NULL,
            reply TEXT NOT NULL,
            expires INTEGER NOT NULL,
            PRIMARY KEY (user_name, key)
        ) WITHOUT ROWID
        """,
        "CREATE INDEX idempotency_expiry ON idempotency (expires)",
        """
        CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
        BEGIN SELECT RAISE(ABORT, 'audit_events is append-only: UPDATE refused'); END
        """,
        """
        CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
        BEGIN SELECT RAISE(ABORT, 'audit_events is append-only: DELETE refused'); END
        """,
    ]
}
