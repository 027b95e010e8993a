-- V4: limits as providers set them. Pools per provider and per model, weighted requests,
-- priority classes that age, per-minute budgets with a ledger, and what the provider itself says
-- of its remaining budget. migrations/README.md ("Schema V4") documents every rule below and the
-- admission step that applies them; keep the two in step.
--
-- The queue table is renamed from `waiters` to `queue`. That is deliberate: a client of schema V3
-- still running when this migration commits reads `waiters` in every write it makes, so from now
-- on all its writes fail ("no such table: waiters") instead of granting under V3's rules, which
-- know neither weights, models nor budgets. Such a client must be restarted with a newer inflight.

-- ---------------------------------------------------------------- limits (provider level)
-- Rebuilt because max_in_flight may now be NULL: a provider limited only by a budget has no
-- in-flight cap. Every row is copied as it was.
CREATE TABLE limits_v4 (
    provider            TEXT    NOT NULL PRIMARY KEY
        CHECK (length(provider) BETWEEN 1 AND 200)
        CHECK (instr(CAST(provider AS BLOB), x'00') = 0)
        CHECK (provider NOT GLOB ('*[' || char(1) || '-' || char(31) || char(127) || '-' || char(159) || ']*')),
    max_in_flight       INTEGER CHECK (max_in_flight BETWEEN 1 AND 10000),
    cooldown_ms         INTEGER NOT NULL DEFAULT 0 CHECK (cooldown_ms BETWEEN 0 AND 3600000),
    paused              INTEGER NOT NULL DEFAULT 0 CHECK (paused IN (0, 1)),
    adaptive            INTEGER NOT NULL DEFAULT 0 CHECK (adaptive IN (0, 1)),
    requests_per_minute INTEGER CHECK (requests_per_minute BETWEEN 1 AND 1000000),
    tokens_per_minute   INTEGER CHECK (tokens_per_minute BETWEEN 1 AND 1000000000),
    default_tokens      INTEGER NOT NULL DEFAULT 0 CHECK (default_tokens BETWEEN 0 AND 100000000),
    aging_ms            INTEGER NOT NULL DEFAULT 30000 CHECK (aging_ms BETWEEN 1000 AND 3600000),
    updated_at_ms       INTEGER NOT NULL DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)),
    CHECK (default_tokens <= coalesce(tokens_per_minute, default_tokens))
) STRICT;
INSERT INTO limits_v4 (provider, max_in_flight, cooldown_ms, paused, adaptive, updated_at_ms)
SELECT provider, max_in_flight, cooldown_ms, paused, adaptive, updated_at_ms FROM limits;
DROP TABLE limits;
ALTER TABLE limits_v4 RENAME TO limits;

CREATE TRIGGER limits_touch_on_update
AFTER UPDATE OF provider, max_in_flight, cooldown_ms, paused, adaptive, requests_per_minute,
    tokens_per_minute, default_tokens, aging_ms ON limits
WHEN new.updated_at_ms = old.updated_at_ms
BEGIN
    UPDATE limits SET updated_at_ms = CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)
    WHERE provider = new.provider;
END;
CREATE TRIGGER limits_text_insert BEFORE INSERT ON limits
WHEN (instr(CAST(new.provider AS BLOB), x'c0') > 0 OR instr(CAST(new.provider AS BLOB), x'c1') > 0 OR instr(CAST(new.provider AS BLOB), x'f5') > 0 OR instr(CAST(new.provider AS BLOB), x'f6') > 0 OR instr(CAST(new.provider AS BLOB), x'f7') > 0 OR instr(CAST(new.provider AS BLOB), x'f8') > 0 OR instr(CAST(new.provider AS BLOB), x'f9') > 0 OR instr(CAST(new.provider AS BLOB), x'fa') > 0 OR instr(CAST(new.provider AS BLOB), x'fb') > 0 OR instr(CAST(new.provider AS BLOB), x'fc') > 0 OR instr(CAST(new.provider AS BLOB), x'fd') > 0 OR instr(CAST(new.provider AS BLOB), x'fe') > 0 OR instr(CAST(new.provider AS BLOB), x'ff') > 0 OR instr(CAST(new.provider AS BLOB), x'efbfbd') > 0)
BEGIN SELECT RAISE(ABORT, 'limits: provider must not hold control characters, and provider must be valid UTF-8 text'); END;
CREATE TRIGGER limits_text_update BEFORE UPDATE OF provider ON limits
WHEN (instr(CAST(new.provider AS BLOB), x'c0') > 0 OR instr(CAST(new.provider AS BLOB), x'c1') > 0 OR instr(CAST(new.provider AS BLOB), x'f5') > 0 OR instr(CAST(new.provider AS BLOB), x'f6') > 0 OR instr(CAST(new.provider AS BLOB), x'f7') > 0 OR instr(CAST(new.provider AS BLOB), x'f8') > 0 OR instr(CAST(new.provider AS BLOB), x'f9') > 0 OR instr(CAST(new.provider AS BLOB), x'fa') > 0 OR instr(CAST(new.provider AS BLOB), x'fb') > 0 OR instr(CAST(new.provider AS BLOB), x'fc') > 0 OR instr(CAST(new.provider AS BLOB), x'fd') > 0 OR instr(CAST(new.provider AS BLOB), x'fe') > 0 OR instr(CAST(new.provider AS BLOB), x'ff') > 0 OR instr(CAST(new.provider AS BLOB), x'efbfbd') > 0)
BEGIN SELECT RAISE(ABORT, 'limits: provider must not hold control characters, and provider must be valid UTF-8 text'); END;

-- ---------------------------------------------------------------- model_limits (model level)
-- A model's own pool inside its provider. A model with a row here is limited by it and by its
-- provider's row (if any); a model without one counts against its provider's row alone. NULL
-- columns limit nothing. `model` is the model's own name (`gpt-4o`), never `provider/model`.
CREATE TABLE model_limits (
    provider            TEXT    NOT NULL
        CHECK (length(provider) BETWEEN 1 AND 200)
        CHECK (instr(CAST(provider AS BLOB), x'00') = 0)
        CHECK (provider NOT GLOB ('*[' || char(1) || '-' || char(31) || char(127) || '-' || char(159) || ']*')),
    model               TEXT    NOT NULL
        CHECK (length(model) BETWEEN 1 AND 200)
        CHECK (instr(CAST(model AS BLOB), x'00') = 0)
        CHECK (model NOT GLOB ('*[' || char(1) || '-' || char(31) || char(127) || '-' || char(159) || ']*')),
    max_in_flight       INTEGER CHECK (max_in_flight BETWEEN 1 AND 10000),
    requests_per_minute INTEGER CHECK (requests_per_minute BETWEEN 1 AND 1000000),
    tokens_per_minute   INTEGER CHECK (tokens_per_minute BETWEEN 1 AND 1000000000),
    default_tokens      INTEGER NOT NULL DEFAULT 0 CHECK (default_tokens BETWEEN 0 AND 100000000),
    updated_at_ms       INTEGER NOT NULL DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)),
    PRIMARY KEY (provider, model),
    CHECK (default_tokens <= coalesce(tokens_per_minute, default_tokens))
) STRICT;
CREATE TRIGGER model_limits_key_insert BEFORE INSERT ON model_limits
WHEN substr(new.model, 1, length(new.provider) + 1) = new.provider || '/'
  OR instr(CAST(new.model AS BLOB), x'efbfbd') > 0 OR instr(CAST(new.model AS BLOB), x'ff') > 0
  OR instr(CAST(new.model AS BLOB), x'fe') > 0 OR instr(CAST(new.model AS BLOB), x'c0') > 0
  OR instr(CAST(new.model AS BLOB), x'c1') > 0 OR instr(CAST(new.model AS BLOB), x'f5') > 0
BEGIN SELECT RAISE(ABORT, 'model_limits: model is the model''s own name under its provider (provider ''openai'', model ''gpt-4o''; not model ''openai/gpt-4o''), and must be valid UTF-8 text'); END;
CREATE TRIGGER model_limits_key_update BEFORE UPDATE OF provider, model ON model_limits
WHEN substr(new.model, 1, length(new.provider) + 1) = new.provider || '/'
  OR instr(CAST(new.model AS BLOB), x'efbfbd') > 0 OR instr(CAST(new.model AS BLOB), x'ff') > 0
  OR instr(CAST(new.model AS BLOB), x'fe') > 0 OR instr(CAST(new.model AS BLOB), x'c0') > 0
  OR instr(CAST(new.model AS BLOB), x'c1') > 0 OR instr(CAST(new.model AS BLOB), x'f5') > 0
BEGIN SELECT RAISE(ABORT, 'model_limits: model is the model''s own name under its provider (provider ''openai'', model ''gpt-4o''; not model ''openai/gpt-4o''), and must be valid UTF-8 text'); END;
CREATE TRIGGER model_limits_touch_on_update
AFTER UPDATE OF provider, model, max_in_flight, requests_per_minute, tokens_per_minute,
    default_tokens ON model_limits
WHEN new.updated_at_ms = old.updated_at_ms
BEGIN
    UPDATE model_limits SET updated_at_ms = CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)
    WHERE provider = new.provider AND model = new.model;
END;

-- ---------------------------------------------------------------- leases
-- What a lease takes: `weight` units at every level it counts against (its provider, and its
-- model's pool if the model has one), and the tokens it reserved in their budgets. `model` is ''
-- for a request that named none.
ALTER TABLE leases ADD COLUMN model TEXT NOT NULL DEFAULT ''
    CHECK (length(model) <= 200 AND instr(CAST(model AS BLOB), x'00') = 0
       AND model NOT GLOB ('*[' || char(1) || '-' || char(31) || char(127) || '-' || char(159) || ']*'));
ALTER TABLE leases ADD COLUMN weight INTEGER NOT NULL DEFAULT 1 CHECK (weight BETWEEN 1 AND 10000);
ALTER TABLE leases ADD COLUMN tokens INTEGER NOT NULL DEFAULT 0 CHECK (tokens BETWEEN 0 AND 100000000);
CREATE INDEX leases_by_model ON leases (provider, model);

-- ---------------------------------------------------------------- queue (was waiters)
ALTER TABLE waiters RENAME TO queue;
ALTER TABLE queue ADD COLUMN model TEXT NOT NULL DEFAULT ''
    CHECK (length(model) <= 200 AND instr(CAST(model AS BLOB), x'00') = 0
       AND model NOT GLOB ('*[' || char(1) || '-' || char(31) || char(127) || '-' || char(159) || ']*'));
ALTER TABLE queue ADD COLUMN weight INTEGER NOT NULL DEFAULT 1 CHECK (weight BETWEEN 1 AND 10000);
ALTER TABLE queue ADD COLUMN tokens INTEGER NOT NULL DEFAULT 0 CHECK (tokens BETWEEN 0 AND 100000000);
ALTER TABLE queue ADD COLUMN priority TEXT NOT NULL DEFAULT 'normal'
    CHECK (priority IN ('interactive', 'normal', 'batch'));
DROP INDEX waiters_by_provider;
DROP INDEX waiters_by_owner;
CREATE INDEX queue_by_provider ON queue (provider, ticket);
CREATE INDEX queue_by_owner ON queue (owner_id);

-- The V3 guards of the queue, renamed with their table and their messages.
DROP TRIGGER leases_token_unique_insert;
DROP TRIGGER leases_token_unique_update;
DROP TRIGGER waiters_token_unique_insert;
DROP TRIGGER waiters_token_unique_update;
DROP TRIGGER waiters_text_insert;
DROP TRIGGER waiters_text_update;
DROP TRIGGER processes_free_on_delete;
CREATE TRIGGER leases_token_unique_insert BEFORE INSERT ON leases
WHEN EXISTS (SELECT 1 FROM queue WHERE token = new.token)
BEGIN SELECT RAISE(ABORT, 'leases.token must not be the token of a queued request (tokens are unique across leases and queue)'); END;
CREATE TRIGGER leases_token_unique_update BEFORE UPDATE OF token ON leases
WHEN EXISTS (SELECT 1 FROM queue WHERE token = new.token)
BEGIN SELECT RAISE(ABORT, 'leases.token must not be the token of a queued request (tokens are unique across leases and queue)'); END;
CREATE TRIGGER queue_token_unique_insert BEFORE INSERT ON queue
WHEN EXISTS (SELECT 1 FROM leases WHERE token = new.token)
BEGIN SELECT RAISE(ABORT, 'queue.token must not be the token of a lease (tokens are unique across leases and queue)'); END;
CREATE TRIGGER queue_token_unique_update BEFORE UPDATE OF token ON queue
WHEN EXISTS (SELECT 1 FROM leases WHERE token = new.token)
BEGIN SELECT RAISE(ABORT, 'queue.token must not be the token of a lease (tokens are unique across leases and queue)'); END;
CREATE TRIGGER queue_text_insert BEFORE INSERT ON queue
WHEN (new.provider IS NOT NULL AND (new.provider GLOB ('*[' || char(1) || '-' || char(31) || char(127) || '-' || char(159) || ']*') OR instr(CAST(new.provider AS BLOB), x'00') > 0))
  OR (new.label IS NOT NULL AND (new.label GLOB ('*[' || char(1) || '-' || char(31) || char(127) || '-' || char(159) || ']*') OR instr(CAST(new.label AS BLOB), x'00') > 0))
  OR (instr(CAST(new.provider AS BLOB), x'c0') > 0 OR instr(CAST(new.provider AS BLOB), x'c1') > 0 OR instr(CAST(new.provider AS BLOB), x'f5') > 0 OR instr(CAST(new.provider AS BLOB), x'f6') > 0 OR instr(CAST(new.provider AS BLOB), x'f7') > 0 OR instr(CAST(new.provider AS BLOB), x'f8') > 0 OR instr(CAST(new.provider AS BLOB), x'f9') > 0 OR instr(CAST(new.provider AS BLOB), x'fa') > 0 OR instr(CAST(new.provider AS BLOB), x'fb') > 0 OR instr(CAST(new.provider AS BLOB), x'fc') > 0 OR instr(CAST(new.provider AS BLOB), x'fd') > 0 OR instr(CAST(new.provider AS BLOB), x'fe') > 0 OR instr(CAST(new.provider AS BLOB), x'ff') > 0 OR instr(CAST(new.provider AS BLOB), x'efbfbd') > 0)
BEGIN SELECT RAISE(ABORT, 'queue: provider and label must not hold control characters, and provider must be valid UTF-8 text'); END;
CREATE TRIGGER queue_text_update BEFORE UPDATE OF provider, label ON queue
WHEN (new.provider IS NOT NULL AND (new.provider GLOB ('*[' || char(1) || '-' || char(31) || char(127) || '-' || char(159) || ']*') OR instr(CAST(new.provider AS BLOB), x'00') > 0))
  OR (new.label IS NOT NULL AND (new.label GLOB ('*[' || char(1) || '-' || char(31) || char(127) || '-' || char(159) || ']*') OR instr(CAST(new.label AS BLOB), x'00') > 0))
  OR (instr(CAST(new.provider AS BLOB), x'c0') > 0 OR instr(CAST(new.provider AS BLOB), x'c1') > 0 OR instr(CAST(new.provider AS BLOB), x'f5') > 0 OR instr(CAST(new.provider AS BLOB), x'f6') > 0 OR instr(CAST(new.provider AS BLOB), x'f7') > 0 OR instr(CAST(new.provider AS BLOB), x'f8') > 0 OR instr(CAST(new.provider AS BLOB), x'f9') > 0 OR instr(CAST(new.provider AS BLOB), x'fa') > 0 OR instr(CAST(new.provider AS BLOB), x'fb') > 0 OR instr(CAST(new.provider AS BLOB), x'fc') > 0 OR instr(CAST(new.provider AS BLOB), x'fd') > 0 OR instr(CAST(new.provider AS BLOB), x'fe') > 0 OR instr(CAST(new.provider AS BLOB), x'ff') > 0 OR instr(CAST(new.provider AS BLOB), x'efbfbd') > 0)
BEGIN SELECT RAISE(ABORT, 'queue: provider and label must not hold control characters, and provider must be valid UTF-8 text'); END;
CREATE TRIGGER processes_free_on_delete
AFTER DELETE ON processes
BEGIN
    DELETE FROM leases WHERE owner_id = old.id;
    DELETE FROM queue WHERE owner_id = old.id;
END;

-- ---------------------------------------------------------------- ledger (per-minute budgets)
-- One row per lease granted at a level that has a budget (requests_per_minute or
-- tokens_per_minute on its provider or its model): when it started, under the lease's id (lease
-- ids are never reused), and the tokens it counts for. Keyed in the order every reader scans it
-- (a provider's window, oldest first), so that a grant writes one B-tree here, not a table and an
-- index.
-- A grant reserves its expected tokens; its release corrects them to what the request really used.
-- A row counts in the rolling window for 60 s after started_at_ms, and is deleted after that.
CREATE TABLE ledger (
    provider      TEXT    NOT NULL CHECK (length(provider) BETWEEN 1 AND 200),
    started_at_ms INTEGER NOT NULL,
    lease_id      INTEGER NOT NULL,
    model         TEXT    NOT NULL DEFAULT '' CHECK (length(model) <= 200),
    tokens        INTEGER NOT NULL DEFAULT 0 CHECK (tokens BETWEEN 0 AND 1000000000),
    PRIMARY KEY (provider, started_at_ms, lease_id)
) STRICT, WITHOUT ROWID;

-- Running totals of the ledger per level (model '' is the provider level, which counts every
-- row of its provider), kept by the triggers below so that no writer has to sum the window.
CREATE TABLE ledger_totals (
    provider TEXT    NOT NULL,
    model    TEXT    NOT NULL,
    requests INTEGER NOT NULL DEFAULT 0,
    tokens   INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (provider, model)
) STRICT, WITHOUT ROWID;

CREATE TRIGGER ledger_times_insert BEFORE INSERT ON ledger
WHEN new.started_at_ms > CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) + 86460000
BEGIN SELECT RAISE(ABORT, 'ledger: started_at_ms must be at most a day from now'); END;
CREATE TRIGGER ledger_key_update BEFORE UPDATE OF lease_id, provider, model ON ledger
BEGIN SELECT RAISE(ABORT, 'ledger: lease_id, provider and model of a row never change (delete the row instead)'); END;
CREATE TRIGGER ledger_totals_insert AFTER INSERT ON ledger
BEGIN
    INSERT INTO ledger_totals (provider, model, requests, tokens) VALUES (new.provider, '', 1, new.tokens)
        ON CONFLICT (provider, model) DO UPDATE SET requests = requests + 1, tokens = tokens + excluded.tokens;
    INSERT INTO ledger_totals (provider, model, requests, tokens)
        SELECT new.provider, new.model, 1, new.tokens WHERE new.model <> ''
        ON CONFLICT (provider, model) DO UPDATE SET requests = requests + 1, tokens = tokens + excluded.tokens;
END;
CREATE TRIGGER ledger_totals_delete AFTER DELETE ON ledger
BEGIN
    UPDATE ledger_totals SET requests = requests - 1, tokens = tokens - old.tokens
    WHERE provider = old.provider AND model IN ('', old.model);
END;
CREATE TRIGGER ledger_totals_update AFTER UPDATE OF tokens ON ledger
BEGIN
    UPDATE ledger_totals SET tokens = tokens - old.tokens + new.tokens
    WHERE provider = old.provider AND model IN ('', old.model);
END;

-- ---------------------------------------------------------------- upstream_budget
-- What the provider itself last said of a level's remaining budget (OpenAI's
-- x-ratelimit-remaining-*, Anthropic's anthropic-ratelimit-*-remaining): until each reset time,
-- every grant at the level takes one request and its tokens from what remains, and a level with
-- nothing left grants nothing. A newer observation replaces the row. model '' is the provider.
CREATE TABLE upstream_budget (
    provider             TEXT    NOT NULL CHECK (length(provider) BETWEEN 1 AND 200),
    model                TEXT    NOT NULL DEFAULT '' CHECK (length(model) <= 200),
    requests_remaining   INTEGER CHECK (requests_remaining BETWEEN 0 AND 100000000),
    requests_reset_at_ms INTEGER,
    tokens_remaining     INTEGER CHECK (tokens_remaining BETWEEN 0 AND 10000000000),
    tokens_reset_at_ms   INTEGER,
    observed_at_ms       INTEGER NOT NULL,
    PRIMARY KEY (provider, model),
    CHECK ((requests_remaining IS NULL) = (requests_reset_at_ms IS NULL)),
    CHECK ((tokens_remaining IS NULL) = (tokens_reset_at_ms IS NULL)),
    CHECK (requests_reset_at_ms IS NULL OR requests_reset_at_ms - observed_at_ms BETWEEN 0 AND 86400000),
    CHECK (tokens_reset_at_ms IS NULL OR tokens_reset_at_ms - observed_at_ms BETWEEN 0 AND 86400000)
) STRICT, WITHOUT ROWID;

PRAGMA user_version = 4;
