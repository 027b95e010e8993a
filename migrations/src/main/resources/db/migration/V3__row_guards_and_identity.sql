-- V3: the database defends every promise against the rows that could break one.
--
-- A hand edit or a foreign client's bug must not be able to wedge a provider: a waiter whose
-- token equals a held lease's made every promote fail; a cooldown or an expiry in the year 2100
-- blocked a slot until someone deleted the row; control characters in a label reached every
-- terminal that ran `status`. These triggers refuse such rows, naming the column and the rule.
-- They check each row by itself, and against the writer's clock where a time is involved (a
-- trigger cannot know the other processes' clocks: readers pull rows "from the future" back to
-- their own time, see migrations/README.md, "Clocks").
--
-- database_info records this database's identity; clients keep a copy beside the file
-- (limiter.db.id) so that an emptied or replaced database is noticed, never silently recreated.

CREATE TABLE database_info (
    id            INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
    database_id   TEXT    NOT NULL CHECK (length(database_id) = 32),
    created_at_ms INTEGER NOT NULL
) STRICT;
INSERT INTO database_info (id, database_id, created_at_ms)
VALUES (1, lower(hex(randomblob(16))), CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER));

-- Tokens are unique across leases and waiters (each table's UNIQUE covers only itself). The
-- promote step therefore deletes the waiter before it inserts the lease that keeps its token.
CREATE TRIGGER leases_token_unique_insert BEFORE INSERT ON leases
WHEN EXISTS (SELECT 1 FROM waiters WHERE token = new.token)
BEGIN SELECT RAISE(ABORT, 'leases.token must not be the token of a waiter (tokens are unique across leases and waiters)'); END;
CREATE TRIGGER leases_token_unique_update BEFORE UPDATE OF token ON leases
WHEN EXISTS (SELECT 1 FROM waiters WHERE token = new.token)
BEGIN SELECT RAISE(ABORT, 'leases.token must not be the token of a waiter (tokens are unique across leases and waiters)'); END;
CREATE TRIGGER waiters_token_unique_insert BEFORE INSERT ON waiters
WHEN EXISTS (SELECT 1 FROM leases WHERE token = new.token)
BEGIN SELECT RAISE(ABORT, 'waiters.token must not be the token of a lease (tokens are unique across leases and waiters)'); END;
CREATE TRIGGER waiters_token_unique_update BEFORE UPDATE OF token ON waiters
WHEN EXISTS (SELECT 1 FROM leases WHERE token = new.token)
BEGIN SELECT RAISE(ABORT, 'waiters.token must not be the token of a lease (tokens are unique across leases and waiters)'); END;

-- Times a reader could not correct: a slot cools for at most the longest cooldown (1 h); no row
-- is acquired, released or heart-beaten more than a day after the writer's own "now"; a process
-- row is valid for at most a day ahead; a 429 pause ends at most 24 h ahead, an upstream sample at
-- most an hour. Each bound has a minute of slack: the trigger's "now" is truncated to the
-- millisecond, and clients legitimately write times up to exactly the bound ahead. An update is
-- checked only for the columns it changes, so that one old row broken before this version can
-- never block the statements that reclaim or release it.
CREATE TRIGGER leases_times_insert BEFORE INSERT ON leases
WHEN (new.cool_until_ms - new.released_at_ms NOT BETWEEN 0 AND 3600000)
  OR (new.released_at_ms > CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) + 86460000)
  OR (new.acquired_at_ms > CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) + 86460000)
BEGIN SELECT RAISE(ABORT, 'leases: a slot cools for 0 to 1 h after released_at_ms (cool_until_ms - released_at_ms), and acquired_at_ms and released_at_ms must be at most a day from now'); END;
CREATE TRIGGER leases_times_update BEFORE UPDATE OF released_at_ms, cool_until_ms, acquired_at_ms ON leases
WHEN ((new.released_at_ms IS NOT old.released_at_ms OR new.cool_until_ms IS NOT old.cool_until_ms) AND (new.cool_until_ms - new.released_at_ms NOT BETWEEN 0 AND 3600000))
  OR ((new.released_at_ms IS NOT old.released_at_ms) AND (new.released_at_ms > CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) + 86460000))
  OR ((new.acquired_at_ms IS NOT old.acquired_at_ms) AND (new.acquired_at_ms > CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) + 86460000))
BEGIN SELECT RAISE(ABORT, 'leases: a slot cools for 0 to 1 h after released_at_ms (cool_until_ms - released_at_ms), and acquired_at_ms and released_at_ms must be at most a day from now'); END;
CREATE TRIGGER processes_times_insert BEFORE INSERT ON processes
WHEN (new.expires_at_ms > CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) + 86460000)
  OR (new.heartbeat_at_ms > CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) + 86460000)
BEGIN SELECT RAISE(ABORT, 'processes: expires_at_ms and heartbeat_at_ms must be at most a day from now (a heartbeat TTL is at most 24 h)'); END;
CREATE TRIGGER processes_times_update BEFORE UPDATE OF expires_at_ms, heartbeat_at_ms ON processes
WHEN ((new.expires_at_ms IS NOT old.expires_at_ms) AND (new.expires_at_ms > CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) + 86460000))
  OR ((new.heartbeat_at_ms IS NOT old.heartbeat_at_ms) AND (new.heartbeat_at_ms > CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) + 86460000))
BEGIN SELECT RAISE(ABORT, 'processes: expires_at_ms and heartbeat_at_ms must be at most a day from now (a heartbeat TTL is at most 24 h)'); END;
CREATE TRIGGER admission_times_insert BEFORE INSERT ON admission
WHEN (new.paused_until_ms > CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) + 86400000 + 60000)
  OR (new.upstream_valid_until_ms > CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) + 3660000)
  OR (new.last_429_at_ms > CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) + 86460000)
  OR (new.last_step_at_ms > CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) + 86460000)
BEGIN SELECT RAISE(ABORT, 'admission: a 429 pause ends at most 24 h from now (paused_until_ms), an upstream sample is valid for at most 1 h (upstream_valid_until_ms), and no time is more than a day from now'); END;
CREATE TRIGGER admission_times_update BEFORE UPDATE OF paused_until_ms, upstream_valid_until_ms, last_429_at_ms, last_step_at_ms ON admission
WHEN ((new.paused_until_ms IS NOT old.paused_until_ms) AND (new.paused_until_ms > CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) + 86400000 + 60000))
  OR ((new.upstream_valid_until_ms IS NOT old.upstream_valid_until_ms) AND (new.upstream_valid_until_ms > CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) + 3660000))
  OR ((new.last_429_at_ms IS NOT old.last_429_at_ms) AND (new.last_429_at_ms > CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) + 86460000))
  OR ((new.last_step_at_ms IS NOT old.last_step_at_ms) AND (new.last_step_at_ms > CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) + 86460000))
BEGIN SELECT RAISE(ABORT, 'admission: a 429 pause ends at most 24 h from now (paused_until_ms), an upstream sample is valid for at most 1 h (upstream_valid_until_ms), and no time is more than a day from now'); END;

-- Text other processes print: no control characters (an escape sequence in a label would drive
-- every terminal that runs `status`), and provider ids that are valid UTF-8 as far as SQL can tell
-- (no byte that never occurs in UTF-8, no U+FFFD: a name that is not text cannot be named, so its
-- limit would show but never apply).
CREATE TRIGGER limits_text_insert BEFORE INSERT ON limits
WHEN (new.provider IS NOT NULL AND (new.provider GLOB ('*[' || char(1) || '-' || char(31) || char(127) || '-' || char(159) || ']*') OR instr(CAST(new.provider AS BLOB), x'00') > 0))
  OR (instr(CAST(new.provider AS BLOB), x'c0') > 0 OR instr(CAST(new.provider AS BLOB), x'c1') > 0 OR instr(CAST(new.provider AS BLOB), x'f5') > 0 OR instr(CAST(new.provider AS BLOB), x'f6') > 0 OR instr(CAST(new.provider AS BLOB), x'f7') > 0 OR instr(CAST(new.provider AS BLOB), x'f8') > 0 OR instr(CAST(new.provider AS BLOB), x'f9') > 0 OR instr(CAST(new.provider AS BLOB), x'fa') > 0 OR instr(CAST(new.provider AS BLOB), x'fb') > 0 OR instr(CAST(new.provider AS BLOB), x'fc') > 0 OR instr(CAST(new.provider AS BLOB), x'fd') > 0 OR instr(CAST(new.provider AS BLOB), x'fe') > 0 OR instr(CAST(new.provider AS BLOB), x'ff') > 0 OR instr(CAST(new.provider AS BLOB), x'efbfbd') > 0)
BEGIN SELECT RAISE(ABORT, 'limits: provider must not hold control characters, and provider must be valid UTF-8 text'); END;
CREATE TRIGGER limits_text_update BEFORE UPDATE OF provider ON limits
WHEN (new.provider IS NOT NULL AND (new.provider GLOB ('*[' || char(1) || '-' || char(31) || char(127) || '-' || char(159) || ']*') OR instr(CAST(new.provider AS BLOB), x'00') > 0))
  OR (instr(CAST(new.provider AS BLOB), x'c0') > 0 OR instr(CAST(new.provider AS BLOB), x'c1') > 0 OR instr(CAST(new.provider AS BLOB), x'f5') > 0 OR instr(CAST(new.provider AS BLOB), x'f6') > 0 OR instr(CAST(new.provider AS BLOB), x'f7') > 0 OR instr(CAST(new.provider AS BLOB), x'f8') > 0 OR instr(CAST(new.provider AS BLOB), x'f9') > 0 OR instr(CAST(new.provider AS BLOB), x'fa') > 0 OR instr(CAST(new.provider AS BLOB), x'fb') > 0 OR instr(CAST(new.provider AS BLOB), x'fc') > 0 OR instr(CAST(new.provider AS BLOB), x'fd') > 0 OR instr(CAST(new.provider AS BLOB), x'fe') > 0 OR instr(CAST(new.provider AS BLOB), x'ff') > 0 OR instr(CAST(new.provider AS BLOB), x'efbfbd') > 0)
BEGIN SELECT RAISE(ABORT, 'limits: provider must not hold control characters, and provider must be valid UTF-8 text'); END;
CREATE TRIGGER leases_text_insert BEFORE INSERT ON leases
WHEN (new.provider IS NOT NULL AND (new.provider GLOB ('*[' || char(1) || '-' || char(31) || char(127) || '-' || char(159) || ']*') OR instr(CAST(new.provider AS BLOB), x'00') > 0))
  OR (new.label IS NOT NULL AND (new.label GLOB ('*[' || char(1) || '-' || char(31) || char(127) || '-' || char(159) || ']*') OR instr(CAST(new.label AS BLOB), x'00') > 0))
  OR (instr(CAST(new.provider AS BLOB), x'c0') > 0 OR instr(CAST(new.provider AS BLOB), x'c1') > 0 OR instr(CAST(new.provider AS BLOB), x'f5') > 0 OR instr(CAST(new.provider AS BLOB), x'f6') > 0 OR instr(CAST(new.provider AS BLOB), x'f7') > 0 OR instr(CAST(new.provider AS BLOB), x'f8') > 0 OR instr(CAST(new.provider AS BLOB), x'f9') > 0 OR instr(CAST(new.provider AS BLOB), x'fa') > 0 OR instr(CAST(new.provider AS BLOB), x'fb') > 0 OR instr(CAST(new.provider AS BLOB), x'fc') > 0 OR instr(CAST(new.provider AS BLOB), x'fd') > 0 OR instr(CAST(new.provider AS BLOB), x'fe') > 0 OR instr(CAST(new.provider AS BLOB), x'ff') > 0 OR instr(CAST(new.provider AS BLOB), x'efbfbd') > 0)
BEGIN SELECT RAISE(ABORT, 'leases: provider and label must not hold control characters, and provider must be valid UTF-8 text'); END;
CREATE TRIGGER leases_text_update BEFORE UPDATE OF provider, label ON leases
WHEN (new.provider IS NOT NULL AND (new.provider GLOB ('*[' || char(1) || '-' || char(31) || char(127) || '-' || char(159) || ']*') OR instr(CAST(new.provider AS BLOB), x'00') > 0))
  OR (new.label IS NOT NULL AND (new.label GLOB ('*[' || char(1) || '-' || char(31) || char(127) || '-' || char(159) || ']*') OR instr(CAST(new.label AS BLOB), x'00') > 0))
  OR (instr(CAST(new.provider AS BLOB), x'c0') > 0 OR instr(CAST(new.provider AS BLOB), x'c1') > 0 OR instr(CAST(new.provider AS BLOB), x'f5') > 0 OR instr(CAST(new.provider AS BLOB), x'f6') > 0 OR instr(CAST(new.provider AS BLOB), x'f7') > 0 OR instr(CAST(new.provider AS BLOB), x'f8') > 0 OR instr(CAST(new.provider AS BLOB), x'f9') > 0 OR instr(CAST(new.provider AS BLOB), x'fa') > 0 OR instr(CAST(new.provider AS BLOB), x'fb') > 0 OR instr(CAST(new.provider AS BLOB), x'fc') > 0 OR instr(CAST(new.provider AS BLOB), x'fd') > 0 OR instr(CAST(new.provider AS BLOB), x'fe') > 0 OR instr(CAST(new.provider AS BLOB), x'ff') > 0 OR instr(CAST(new.provider AS BLOB), x'efbfbd') > 0)
BEGIN SELECT RAISE(ABORT, 'leases: provider and label must not hold control characters, and provider must be valid UTF-8 text'); END;
CREATE TRIGGER waiters_text_insert BEFORE INSERT ON waiters
WHEN (new.provider IS NOT NULL AND (new.provider GLOB ('*[' || char(1) || '-' || char(31) || char(127) || '-' || char(159) || ']*') OR instr(CAST(new.provider AS BLOB), x'00') > 0))
  OR (new.label IS NOT NULL AND (new.label GLOB ('*[' || char(1) || '-' || char(31) || char(127) || '-' || char(159) || ']*') OR instr(CAST(new.label AS BLOB), x'00') > 0))
  OR (instr(CAST(new.provider AS BLOB), x'c0') > 0 OR instr(CAST(new.provider AS BLOB), x'c1') > 0 OR instr(CAST(new.provider AS BLOB), x'f5') > 0 OR instr(CAST(new.provider AS BLOB), x'f6') > 0 OR instr(CAST(new.provider AS BLOB), x'f7') > 0 OR instr(CAST(new.provider AS BLOB), x'f8') > 0 OR instr(CAST(new.provider AS BLOB), x'f9') > 0 OR instr(CAST(new.provider AS BLOB), x'fa') > 0 OR instr(CAST(new.provider AS BLOB), x'fb') > 0 OR instr(CAST(new.provider AS BLOB), x'fc') > 0 OR instr(CAST(new.provider AS BLOB), x'fd') > 0 OR instr(CAST(new.provider AS BLOB), x'fe') > 0 OR instr(CAST(new.provider AS BLOB), x'ff') > 0 OR instr(CAST(new.provider AS BLOB), x'efbfbd') > 0)
BEGIN SELECT RAISE(ABORT, 'waiters: provider and label must not hold control characters, and provider must be valid UTF-8 text'); END;
CREATE TRIGGER waiters_text_update BEFORE UPDATE OF provider, label ON waiters
WHEN (new.provider IS NOT NULL AND (new.provider GLOB ('*[' || char(1) || '-' || char(31) || char(127) || '-' || char(159) || ']*') OR instr(CAST(new.provider AS BLOB), x'00') > 0))
  OR (new.label IS NOT NULL AND (new.label GLOB ('*[' || char(1) || '-' || char(31) || char(127) || '-' || char(159) || ']*') OR instr(CAST(new.label AS BLOB), x'00') > 0))
  OR (instr(CAST(new.provider AS BLOB), x'c0') > 0 OR instr(CAST(new.provider AS BLOB), x'c1') > 0 OR instr(CAST(new.provider AS BLOB), x'f5') > 0 OR instr(CAST(new.provider AS BLOB), x'f6') > 0 OR instr(CAST(new.provider AS BLOB), x'f7') > 0 OR instr(CAST(new.provider AS BLOB), x'f8') > 0 OR instr(CAST(new.provider AS BLOB), x'f9') > 0 OR instr(CAST(new.provider AS BLOB), x'fa') > 0 OR instr(CAST(new.provider AS BLOB), x'fb') > 0 OR instr(CAST(new.provider AS BLOB), x'fc') > 0 OR instr(CAST(new.provider AS BLOB), x'fd') > 0 OR instr(CAST(new.provider AS BLOB), x'fe') > 0 OR instr(CAST(new.provider AS BLOB), x'ff') > 0 OR instr(CAST(new.provider AS BLOB), x'efbfbd') > 0)
BEGIN SELECT RAISE(ABORT, 'waiters: provider and label must not hold control characters, and provider must be valid UTF-8 text'); END;
CREATE TRIGGER admission_text_insert BEFORE INSERT ON admission
WHEN (new.provider IS NOT NULL AND (new.provider GLOB ('*[' || char(1) || '-' || char(31) || char(127) || '-' || char(159) || ']*') OR instr(CAST(new.provider AS BLOB), x'00') > 0))
  OR (new.pause_reason IS NOT NULL AND (new.pause_reason GLOB ('*[' || char(1) || '-' || char(31) || char(127) || '-' || char(159) || ']*') OR instr(CAST(new.pause_reason AS BLOB), x'00') > 0))
  OR (instr(CAST(new.provider AS BLOB), x'c0') > 0 OR instr(CAST(new.provider AS BLOB), x'c1') > 0 OR instr(CAST(new.provider AS BLOB), x'f5') > 0 OR instr(CAST(new.provider AS BLOB), x'f6') > 0 OR instr(CAST(new.provider AS BLOB), x'f7') > 0 OR instr(CAST(new.provider AS BLOB), x'f8') > 0 OR instr(CAST(new.provider AS BLOB), x'f9') > 0 OR instr(CAST(new.provider AS BLOB), x'fa') > 0 OR instr(CAST(new.provider AS BLOB), x'fb') > 0 OR instr(CAST(new.provider AS BLOB), x'fc') > 0 OR instr(CAST(new.provider AS BLOB), x'fd') > 0 OR instr(CAST(new.provider AS BLOB), x'fe') > 0 OR instr(CAST(new.provider AS BLOB), x'ff') > 0 OR instr(CAST(new.provider AS BLOB), x'efbfbd') > 0)
BEGIN SELECT RAISE(ABORT, 'admission: provider and pause_reason must not hold control characters, and provider must be valid UTF-8 text'); END;
CREATE TRIGGER admission_text_update BEFORE UPDATE OF provider, pause_reason ON admission
WHEN (new.provider IS NOT NULL AND (new.provider GLOB ('*[' || char(1) || '-' || char(31) || char(127) || '-' || char(159) || ']*') OR instr(CAST(new.provider AS BLOB), x'00') > 0))
  OR (new.pause_reason IS NOT NULL AND (new.pause_reason GLOB ('*[' || char(1) || '-' || char(31) || char(127) || '-' || char(159) || ']*') OR instr(CAST(new.pause_reason AS BLOB), x'00') > 0))
  OR (instr(CAST(new.provider AS BLOB), x'c0') > 0 OR instr(CAST(new.provider AS BLOB), x'c1') > 0 OR instr(CAST(new.provider AS BLOB), x'f5') > 0 OR instr(CAST(new.provider AS BLOB), x'f6') > 0 OR instr(CAST(new.provider AS BLOB), x'f7') > 0 OR instr(CAST(new.provider AS BLOB), x'f8') > 0 OR instr(CAST(new.provider AS BLOB), x'f9') > 0 OR instr(CAST(new.provider AS BLOB), x'fa') > 0 OR instr(CAST(new.provider AS BLOB), x'fb') > 0 OR instr(CAST(new.provider AS BLOB), x'fc') > 0 OR instr(CAST(new.provider AS BLOB), x'fd') > 0 OR instr(CAST(new.provider AS BLOB), x'fe') > 0 OR instr(CAST(new.provider AS BLOB), x'ff') > 0 OR instr(CAST(new.provider AS BLOB), x'efbfbd') > 0)
BEGIN SELECT RAISE(ABORT, 'admission: provider and pause_reason must not hold control characters, and provider must be valid UTF-8 text'); END;
CREATE TRIGGER processes_text_insert BEFORE INSERT ON processes
WHEN (new.host IS NOT NULL AND (new.host GLOB ('*[' || char(1) || '-' || char(31) || char(127) || '-' || char(159) || ']*') OR instr(CAST(new.host AS BLOB), x'00') > 0))
  OR (new.name IS NOT NULL AND (new.name GLOB ('*[' || char(1) || '-' || char(31) || char(127) || '-' || char(159) || ']*') OR instr(CAST(new.name AS BLOB), x'00') > 0))
BEGIN SELECT RAISE(ABORT, 'processes: host and name must not hold control characters'); END;
CREATE TRIGGER processes_text_update BEFORE UPDATE OF host, name ON processes
WHEN (new.host IS NOT NULL AND (new.host GLOB ('*[' || char(1) || '-' || char(31) || char(127) || '-' || char(159) || ']*') OR instr(CAST(new.host AS BLOB), x'00') > 0))
  OR (new.name IS NOT NULL AND (new.name GLOB ('*[' || char(1) || '-' || char(31) || char(127) || '-' || char(159) || ']*') OR instr(CAST(new.name AS BLOB), x'00') > 0))
BEGIN SELECT RAISE(ABORT, 'processes: host and name must not hold control characters'); END;

PRAGMA user_version = 3;
