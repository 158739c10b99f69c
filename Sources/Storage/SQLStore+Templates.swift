import AuditLog

extension SQLStore {
    static let templateColumns = "name, version, title, states, body, sha256, published_by, published_at"

    static func template(from row: SQLRow) throws(StoreError) -> StoredTemplate {
        let publishedAt: Timestamp
        do { publishedAt = try Timestamp(rfc3339: try row.string(7)) } catch {
            throw StoreError(.corrupt, "template \(try row.string(0)): bad publication time")
        }
        return StoredTemplate(
            name: try row.string(0), version: Int(try row.int(1)), title: try row.optionalString(2),
            states: Int(try row.int(3)), body: try row.string(4), sha256: try row.string(5),
            publishedBy: try row.string(6), publishedAt: publishedAt)
    }

    public func publishTemplate(_ draft: TemplateDraft, by actor: String, role: String, at: Timestamp)
        async throws(StoreError) -> PublishedTemplate
    {
        try await pool.withConnection { connection in
            try connection.transaction {
                let latest = try connection.query(
                    "SELECT \(Self.templateColumns) FROM templates WHERE name = $1 ORDER BY version DESC LIMIT 1",
                    [.text(draft.name)]
                ).first.map { row throws(StoreError) in try Self.template(from: row) }
                if let latest, latest.sha256 == draft.sha256, latest.body == draft.body {
                    return PublishedTemplate(template: latest, unchanged: true, event: nil)
                }
                let version = (latest?.version ?? 0) + 1
                let event = try Self.appendSystemEvent(
                    AuditRecord(at: at, actor: actor, role: role, action: "template.published",
                                data: ["name": .string(draft.name), "version": .int(Int64(version)),
                                       "sha256": .string(draft.sha256)]),
                    on: connection)
                let stored = StoredTemplate(
                    name: draft.name, version: version, title: draft.title, states: draft.states, body: draft.body,
                    sha256: draft.sha256, publishedBy: actor, publishedAt: event.at)
                try connection.execute(
                    "INSERT INTO templates (\(Self.templateColumns)) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                    [.text(stored.name), .int(Int64(version)), .optional(stored.title), .int(Int64(stored.states)),
                     .text(stored.body), .text(stored.sha256), .text(actor), .text(event.at.rfc3339)])
                return PublishedTemplate(template: stored, unchanged: false, event: event)
            }
        }
    }

    public func template(named name: String, version: Int?) async throws(StoreError) -> StoredTemplate? {
        try await pool.withConnection { connection in
            let rows: [SQLRow]
            if let version {
                rows = try connection.query(
                    "SELECT \(Self.templateColumns) FROM templates WHERE name = $1 AND version = $2",
                    [.text(name), .int(Int64(version))])
            } else {
                rows = try connection.query(
                    "SELECT \(Self.templateColumns) FROM templates WHERE name = $1 ORDER BY version DESC LIMIT 1",
                    [.text(name)])
            }
            return try rows.first.map { row throws(StoreError) in try Self.template(from: row) }
        }
    }

    public func latestTemplates() async throws(StoreError) -> [StoredTemplate] {
        try await pool.withConnection { connection in
            try connection.query(
                """
                SELECT \(Self.templateColumns) FROM templates t
                WHERE version = (SELECT max(version) FROM templates u WHERE u.name = t.name)
                ORDER BY name
                """, []
            ).map { row throws(StoreError) in try Self.template(from: row) }
        }
    }
}
