-- V2: upstream-aware admission (shared 429 back-off, adaptive limits, usage gate).
--
-- The configured limit in `limits` never changes by itself. What clients
-- learn from the provider (429s, its own in-flight count) is kept beside it,
-- in `admission`, one row per provider that has such state.
-- migrations/README.md documents each column and how the settle step uses it.

-- Opt-in: let 429s lower this provider's effective limit (and successes raise
-- it back up to max_in_flight). Hand-editable like the rest of the row.
ALTER TABLE limits ADD COLUMN adaptive INTEGER NOT NULL DEFAULT 0 CHECK (adaptive IN (0, 1));

DROP TRIGGER limits_touch_on_update;
CREATE TRIGGER limits_touch_on_update
AFTER UPDATE OF provider, max_in_flight, cooldown_ms, paused, adaptive ON limits
WHEN new.updated_at_ms = old.updated_at_ms
BEGIN
    UPDATE limits SET updated_at_ms = CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)
    WHERE provider = new.provider;
END;

CREATE TABLE admission (
    provider                TEXT    NOT NULL PRIMARY KEY CHECK (length(provider) BETWEEN 1 AND 200),
    -- Adaptive limit now in force; NULL means the configured max_in_flight.
    -- Only used while limits.adaptive = 1, and never above max_in_flight.
    effective_limit         INTEGER CHECK (effective_limit BETWEEN 1 AND 10000),
    -- Admission is paused for every process until this time (a 429).
    paused_until_ms         INTEGER,
    pause_reason            TEXT    CHECK (length(pause_reason) <= 200),
    last_429_at_ms          INTEGER,
    -- When the effective limit last moved, and successes counted since then.
    last_step_at_ms         INTEGER NOT NULL DEFAULT 0,
    successes               INTEGER NOT NULL DEFAULT 0 CHECK (successes >= 0),
    -- The provider's own in-flight count, as a usage probe last read it, and
    -- how many of those requests are not ours (a conservative estimate).
    upstream_in_flight      INTEGER CHECK (upstream_in_flight >= 0),
    upstream_hidden         INTEGER NOT NULL DEFAULT 0 CHECK (upstream_hidden >= 0),
    upstream_at_ms          INTEGER,
    upstream_valid_until_ms INTEGER,
    CHECK ((paused_until_ms IS NULL) = (pause_reason IS NULL)),
    CHECK ((upstream_in_flight IS NULL) = (upstream_valid_until_ms IS NULL))
) STRICT;

PRAGMA user_version = 2;
