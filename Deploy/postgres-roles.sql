-- PostgreSQL roles for ATMP Tracker.
--
-- Run as a superuser (or a role with CREATEROLE) in the atmp database:
--     psql "dbname=atmp" -f Deploy/postgres-roles.sql
-- It is idempotent: run it before the first migration (to create the roles)
-- and again after every `atmpd migrate` (to grant rights on new tables).
--
--   atmp_owner      owns the schema; `atmpd migrate` connects as it.
--   atmp_app        what atmpd runs as: reads and writes cases, templates,
--                   users and idempotency keys, but may only INSERT and
--                   SELECT audit rows — no UPDATE, DELETE or TRUNCATE, so not
--                   even a bug in atmpd can rewrite history (the triggers
--                   refuse it as well, for every role but a superuser).
--   atmp_regulator  read-only, for regulators' and inspectors' own SQL
--                   (see the audit_trail view).
--
-- Passwords or other authentication are the operator's to set
-- (ALTER ROLE atmp_app PASSWORD '…', or pg_hba.conf peer/cert rules).

DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'atmp_owner') THEN
        CREATE ROLE atmp_owner LOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'atmp_app') THEN
        CREATE ROLE atmp_app LOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'atmp_regulator') THEN
        CREATE ROLE atmp_regulator LOGIN;
    END IF;
END
$$;

GRANT USAGE, CREATE ON SCHEMA public TO atmp_owner;
GRANT USAGE ON SCHEMA public TO atmp_app, atmp_regulator;

-- Rights on the tables, once migrations have created them.
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['templates', 'users', 'cases', 'chain_heads', 'idempotency'] LOOP
        IF to_regclass('public.' || t) IS NOT NULL THEN
            EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON public.%I TO atmp_app', t);
        END IF;
    END LOOP;
    IF to_regclass('public.schema_migrations') IS NOT NULL THEN
        GRANT SELECT ON public.schema_migrations TO atmp_app;
    END IF;
    IF to_regclass('public.audit_events') IS NOT NULL THEN
        GRANT SELECT, INSERT ON public.audit_events TO atmp_app;
        REVOKE UPDATE, DELETE, TRUNCATE ON public.audit_events FROM atmp_app;
    END IF;
    IF to_regclass('public.case_numbers') IS NOT NULL THEN
        GRANT USAGE, SELECT ON SEQUENCE public.case_numbers TO atmp_app;
    END IF;
END
$$;

GRANT SELECT ON ALL TABLES IN SCHEMA public TO atmp_regulator;
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON ALL TABLES IN SCHEMA public FROM atmp_regulator;
