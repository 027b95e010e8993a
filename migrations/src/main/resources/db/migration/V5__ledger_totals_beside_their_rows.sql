-- inflight schema V5 (SQLite): the ledger's running totals live in the ledger's own B-tree.
--
-- Why: with synchronous=NORMAL a commit costs about what it writes to the WAL, a page per B-tree
-- it changes. In V4 a grant at a budgeted level wrote the ledger and ledger_totals, two B-trees,
-- and its release's token correction wrote both again. Here each level's totals are one more row
-- of the provider's part of the ledger, keyed after every start (started_at_ms =
-- 9223372036854775807), so the row a grant appends and the totals it updates share a leaf page,
-- and so do a release's correction of a recent row and its totals.
--
-- Nothing a client reads changes: `ledger` and `ledger_totals` are views with V4's columns, and
-- `ledger` takes INSERT, UPDATE and DELETE as the V4 table did. `ledger_rows` is the table; a
-- client may write ledger rows there directly (cheaper than through the view), never totals rows:
-- the database refuses an update of one that its own triggers did not make (`writes` counts
-- theirs), and the delete of one whose level still has rows.

CREATE TABLE ledger_rows (
    provider      TEXT    NOT NULL CHECK (length(provider) BETWEEN 1 AND 200),
    started_at_ms INTEGER NOT NULL,
    lease_id      INTEGER NOT NULL,
    model         TEXT    NOT NULL DEFAULT '' CHECK (length(model) <= 200),
    requests      INTEGER NOT NULL DEFAULT 1,
    tokens        INTEGER NOT NULL DEFAULT 0,
    writes        INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (provider, started_at_ms, lease_id),
    -- A ledger row counts one request and at most 10^9 tokens; a totals row counts its level.
    CHECK (started_at_ms = 9223372036854775807
           OR (requests = 1 AND tokens BETWEEN 0 AND 1000000000 AND writes = 0)),
    CHECK (started_at_ms < 9223372036854775807 OR lease_id <= 0)
) STRICT, WITHOUT ROWID;

-- One totals row per level: model '' is the provider's, which counts every row of its provider.
-- Only a totals row is in this index, so a ledger row's insert or delete never writes it.
CREATE UNIQUE INDEX ledger_rows_totals ON ledger_rows (provider, model)
    WHERE started_at_ms = 9223372036854775807;

INSERT INTO ledger_rows (provider, started_at_ms, lease_id, model, requests, tokens)
    SELECT provider, started_at_ms, lease_id, model, 1, tokens FROM ledger
    WHERE started_at_ms < 9223372036854775807;
-- The totals are counted afresh from the rows, not copied from V4's table.
INSERT INTO ledger_rows (provider, started_at_ms, lease_id, model, requests, tokens)
    SELECT provider, 9223372036854775807, 0, '', count(*), sum(tokens)
    FROM ledger_rows GROUP BY provider;
INSERT INTO ledger_rows (provider, started_at_ms, lease_id, model, requests, tokens)
    SELECT provider, 9223372036854775807,
           -row_number() OVER (PARTITION BY provider ORDER BY model), model, count(*), sum(tokens)
    FROM ledger_rows WHERE started_at_ms < 9223372036854775807 AND model <> ''
    GROUP BY provider, model;

DROP TRIGGER ledger_times_insert;
DROP TRIGGER ledger_key_update;
DROP TRIGGER ledger_totals_insert;
DROP TRIGGER ledger_totals_delete;
DROP TRIGGER ledger_totals_update;
DROP TABLE ledger;
DROP TABLE ledger_totals;

-- The unary + keeps this bound out of the index: a reader's own bound on started_at_ms is the one
-- SQLite then searches by (given two upper bounds it would search by one and filter by the other).
CREATE VIEW ledger AS
    SELECT provider, started_at_ms, lease_id, model, tokens FROM ledger_rows
    WHERE +started_at_ms < 9223372036854775807;
CREATE VIEW ledger_totals AS
    SELECT provider, model, requests, tokens FROM ledger_rows
    WHERE started_at_ms = 9223372036854775807;

-- ---------------------------------------------------------------- guards of ledger_rows
CREATE TRIGGER ledger_rows_times_insert BEFORE INSERT ON ledger_rows
WHEN new.started_at_ms < 9223372036854775807
 AND new.started_at_ms > CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) + 86460000
BEGIN SELECT RAISE(ABORT, 'ledger: started_at_ms must be at most a day from now'); END;
CREATE TRIGGER ledger_rows_key_update BEFORE UPDATE OF lease_id, provider, model ON ledger_rows
BEGIN SELECT RAISE(ABORT, 'ledger: lease_id, provider and model of a row never change (delete the row instead)'); END;
CREATE TRIGGER ledger_rows_times_update BEFORE UPDATE OF started_at_ms ON ledger_rows
WHEN (old.started_at_ms = 9223372036854775807) <> (new.started_at_ms = 9223372036854775807)
  OR new.started_at_ms > CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) + 86460000
BEGIN
    SELECT RAISE(ABORT, 'ledger: a totals row (started_at_ms 9223372036854775807) never moves, and no row becomes one')
    WHERE old.started_at_ms = 9223372036854775807;
    SELECT RAISE(ABORT, 'ledger: started_at_ms must be at most a day from now');
END;
-- The database's own updates of a totals row add one to `writes`; any other is refused.
CREATE TRIGGER ledger_rows_totals_update BEFORE UPDATE OF requests, tokens, writes ON ledger_rows
WHEN old.started_at_ms = 9223372036854775807 AND new.writes IS NOT old.writes + 1
BEGIN SELECT RAISE(ABORT, 'ledger: a totals row (started_at_ms 9223372036854775807) is kept by the database; edit the ledger rows (through the view ledger) and the totals follow'); END;
CREATE TRIGGER ledger_rows_totals_delete BEFORE DELETE ON ledger_rows
WHEN old.started_at_ms = 9223372036854775807
 AND EXISTS (SELECT 1 FROM ledger_rows WHERE provider = old.provider
             AND started_at_ms < 9223372036854775807 AND (old.model = '' OR model = old.model))
BEGIN SELECT RAISE(ABORT, 'ledger: a totals row (started_at_ms 9223372036854775807) is kept while its level has rows; delete the rows (through the view ledger) and the totals follow'); END;

-- A totals row is the database's own: one made by hand must count exactly its level's rows.
CREATE TRIGGER ledger_rows_totals_insert BEFORE INSERT ON ledger_rows
WHEN new.started_at_ms = 9223372036854775807
 AND (new.requests IS NOT (SELECT count(*) FROM ledger_rows WHERE provider = new.provider
                           AND started_at_ms < 9223372036854775807
                           AND (new.model = '' OR model = new.model))
      OR new.tokens IS NOT (SELECT coalesce(sum(tokens), 0) FROM ledger_rows
                            WHERE provider = new.provider AND started_at_ms < 9223372036854775807
                            AND (new.model = '' OR model = new.model)))
BEGIN SELECT RAISE(ABORT, 'ledger: a totals row (started_at_ms 9223372036854775807) is kept by the database and must count its level''s rows; delete it and the next start counts it afresh'); END;

-- ---------------------------------------------------------------- the totals, kept
-- A level's totals row is made on its first row (counted from the rows already there, so a
-- totals row deleted by hand comes back right), and updated by every later row.
CREATE TRIGGER ledger_rows_insert AFTER INSERT ON ledger_rows
WHEN new.started_at_ms < 9223372036854775807
BEGIN
    UPDATE ledger_rows SET requests = requests + 1, tokens = tokens + new.tokens, writes = writes + 1
    WHERE provider = new.provider AND started_at_ms = 9223372036854775807
      AND model IN ('', new.model);
    INSERT INTO ledger_rows (provider, started_at_ms, lease_id, model, requests, tokens)
    SELECT new.provider, 9223372036854775807,
           (SELECT coalesce(min(lease_id), 1) - 1 FROM ledger_rows
            WHERE provider = new.provider AND started_at_ms = 9223372036854775807),
           '',
           (SELECT count(*) FROM ledger_rows
            WHERE provider = new.provider AND started_at_ms < 9223372036854775807),
           (SELECT coalesce(sum(tokens), 0) FROM ledger_rows
            WHERE provider = new.provider AND started_at_ms < 9223372036854775807)
    WHERE NOT EXISTS (SELECT 1 FROM ledger_rows WHERE provider = new.provider
                      AND started_at_ms = 9223372036854775807 AND model = '');
    INSERT INTO ledger_rows (provider, started_at_ms, lease_id, model, requests, tokens)
    SELECT new.provider, 9223372036854775807,
           (SELECT coalesce(min(lease_id), 1) - 1 FROM ledger_rows
            WHERE provider = new.provider AND started_at_ms = 9223372036854775807),
           new.model,
           (SELECT count(*) FROM ledger_rows WHERE provider = new.provider
            AND started_at_ms < 9223372036854775807 AND model = new.model),
           (SELECT coalesce(sum(tokens), 0) FROM ledger_rows WHERE provider = new.provider
            AND started_at_ms < 9223372036854775807 AND model = new.model)
    WHERE new.model <> ''
      AND NOT EXISTS (SELECT 1 FROM ledger_rows WHERE provider = new.provider
                      AND started_at_ms = 9223372036854775807 AND model = new.model);
END;
CREATE TRIGGER ledger_rows_delete AFTER DELETE ON ledger_rows
WHEN old.started_at_ms < 9223372036854775807
BEGIN
    UPDATE ledger_rows SET requests = requests - 1, tokens = tokens - old.tokens, writes = writes + 1
    WHERE provider = old.provider AND started_at_ms = 9223372036854775807
      AND model IN ('', old.model);
END;
CREATE TRIGGER ledger_rows_tokens AFTER UPDATE OF tokens ON ledger_rows
WHEN old.started_at_ms < 9223372036854775807
BEGIN
    UPDATE ledger_rows SET tokens = tokens - old.tokens + new.tokens, writes = writes + 1
    WHERE provider = old.provider AND started_at_ms = 9223372036854775807
      AND model IN ('', old.model);
END;

-- ---------------------------------------------------------------- writes through the view
CREATE TRIGGER ledger_insert INSTEAD OF INSERT ON ledger
BEGIN
    SELECT RAISE(ABORT, 'ledger: started_at_ms must be an integer, ms since 1970')
    WHERE typeof(new.started_at_ms) <> 'integer';
    SELECT RAISE(ABORT, 'ledger: started_at_ms must be at most a day from now')
    WHERE new.started_at_ms >= 9223372036854775807;
    INSERT INTO ledger_rows (provider, started_at_ms, lease_id, model, tokens)
    VALUES (new.provider, new.started_at_ms, new.lease_id, coalesce(new.model, ''),
            coalesce(new.tokens, 0));
END;
CREATE TRIGGER ledger_update INSTEAD OF UPDATE ON ledger
BEGIN
    UPDATE ledger_rows SET provider = new.provider, lease_id = new.lease_id, model = new.model
    WHERE provider = old.provider AND started_at_ms = old.started_at_ms
      AND lease_id = old.lease_id
      AND (new.provider IS NOT old.provider OR new.lease_id IS NOT old.lease_id
           OR new.model IS NOT old.model);
    UPDATE ledger_rows SET tokens = new.tokens
    WHERE provider = old.provider AND started_at_ms = old.started_at_ms
      AND lease_id = old.lease_id AND new.tokens IS NOT old.tokens;
    UPDATE ledger_rows SET started_at_ms = new.started_at_ms
    WHERE provider = old.provider AND started_at_ms = old.started_at_ms
      AND lease_id = old.lease_id AND new.started_at_ms IS NOT old.started_at_ms;
END;
CREATE TRIGGER ledger_delete INSTEAD OF DELETE ON ledger
BEGIN
    DELETE FROM ledger_rows WHERE provider = old.provider AND started_at_ms = old.started_at_ms
      AND lease_id = old.lease_id;
END;

PRAGMA user_version = 5;
