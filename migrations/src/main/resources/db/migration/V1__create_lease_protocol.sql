-- V1: the cross-process lease protocol.
--
-- Every inflight client (any language) coordinates through these four tables.
-- migrations/README.md documents each column and the transactions that use
-- them; keep the two in step. Connection pragmas (WAL, busy timeout) are set
-- by each client when it connects, never here.

-- Per-provider limits, edited by the library, the CLI, the status app and by
-- hand with sqlite3. The CHECKs make the database refuse a bad hand edit.
CREATE TABLE limits (
    provider      TEXT    NOT NULL PRIMARY KEY
        CHECK (length(provider) BETWEEN 1 AND 200)
        CHECK (instr(CAST(provider AS BLOB), x'00') = 0)
        CHECK (provider NOT GLOB ('*[' || char(1) || '-' || char(31) || char(127) || '-' || char(159) || ']*')),
    max_in_flight INTEGER NOT NULL CHECK (max_in_flight BETWEEN 1 AND 10000),
    cooldown_ms   INTEGER NOT NULL DEFAULT 0 CHECK (cooldown_ms BETWEEN 0 AND 3600000),
    paused        INTEGER NOT NULL DEFAULT 0 CHECK (paused IN (0, 1)),
    updated_at_ms INTEGER NOT NULL DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER))
) STRICT;

-- A hand edit that does not set updated_at_ms still records when it happened.
CREATE TRIGGER limits_touch_on_update
AFTER UPDATE OF provider, max_in_flight, cooldown_ms, paused ON limits
WHEN new.updated_at_ms = old.updated_at_ms
BEGIN
    UPDATE limits SET updated_at_ms = CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)
    WHERE provider = new.provider;
END;

-- One row per live client (one Limiter), one heartbeat per client.
CREATE TABLE processes (
    id              INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    host            TEXT    NOT NULL,
    host_id         TEXT    NOT NULL CHECK (length(host_id) BETWEEN 1 AND 300),
    pid             INTEGER NOT NULL CHECK (pid > 0),
    start_token     TEXT    NOT NULL,
    name            TEXT    NOT NULL DEFAULT '',
    started_at_ms   INTEGER NOT NULL,
    heartbeat_at_ms INTEGER NOT NULL,
    expires_at_ms   INTEGER NOT NULL
) STRICT;
CREATE INDEX processes_by_expiry ON processes (expires_at_ms);
CREATE INDEX processes_by_host ON processes (host_id, pid);

-- Held slots. owner_id is NULL once released: the row then only "cools"
-- (still counts against the limit) until cool_until_ms.
CREATE TABLE leases (
    id             INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    token          TEXT    NOT NULL UNIQUE CHECK (length(token) BETWEEN 16 AND 64),
    provider       TEXT    NOT NULL CHECK (length(provider) BETWEEN 1 AND 200),
    owner_id       INTEGER,
    pid            INTEGER NOT NULL,
    label          TEXT    NOT NULL DEFAULT '' CHECK (length(label) <= 200),
    queued_at_ms   INTEGER NOT NULL,
    acquired_at_ms INTEGER NOT NULL,
    released_at_ms INTEGER,
    cool_until_ms  INTEGER,
    CHECK ((owner_id IS NULL) = (released_at_ms IS NOT NULL)),
    CHECK ((released_at_ms IS NULL) = (cool_until_ms IS NULL))
) STRICT;
CREATE INDEX leases_by_provider ON leases (provider, released_at_ms);
CREATE INDEX leases_by_owner ON leases (owner_id);

-- The FIFO queue: ticket order is arrival order, per provider.
CREATE TABLE waiters (
    ticket       INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    token        TEXT    NOT NULL UNIQUE CHECK (length(token) BETWEEN 16 AND 64),
    provider     TEXT    NOT NULL CHECK (length(provider) BETWEEN 1 AND 200),
    owner_id     INTEGER NOT NULL,
    pid          INTEGER NOT NULL,
    label        TEXT    NOT NULL DEFAULT '' CHECK (length(label) <= 200),
    queued_at_ms INTEGER NOT NULL
) STRICT;
CREATE INDEX waiters_by_provider ON waiters (provider, ticket);
CREATE INDEX waiters_by_owner ON waiters (owner_id);

-- Deleting a process (a reaper, or a person with sqlite3) frees what it held
-- and takes it out of every queue.
CREATE TRIGGER processes_free_on_delete
AFTER DELETE ON processes
BEGIN
    DELETE FROM leases WHERE owner_id = old.id;
    DELETE FROM waiters WHERE owner_id = old.id;
END;

PRAGMA user_version = 1;
