package dev.inflight.client;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * A log the database keeps of a test's grants and releases, in its own serial order: triggers of
 * the test's, each writing one row in the very transaction that grants or releases. It is the one
 * thing the workers cannot see across processes (which of two transactions in one millisecond of
 * the shared clock came first); what was reserved and used, and when, is still the workers' word.
 * The ledger's rows are logged too, with the window's sum as the database held it after each start,
 * but only for a failure's report: a test's verdict never rests on the limiter's counts.
 */
final class DatabaseLog {
  private DatabaseLog() {}

  /** One logged change: {@code kind} is grant, release, start, correct or expire. */
  record Event(long seq, String kind, long leaseId, long at, long tokens, long windowTokens) {}

  /** On {@code ledger_rows} (schema V5), leaving out its totals rows, which are not starts. */
  private static final String[] TRIGGERS = {
    "CREATE TABLE test_log (seq INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL,"
        + " lease_id INTEGER NOT NULL, at_ms INTEGER, tokens INTEGER, window_tokens INTEGER)",
    "CREATE TRIGGER test_log_grant AFTER INSERT ON leases BEGIN"
        + " INSERT INTO test_log (kind, lease_id, at_ms, tokens)"
        + " VALUES ('grant', new.id, new.acquired_at_ms, new.tokens); END",
    // Released with a cooldown (the row cools) or without (the row goes).
    "CREATE TRIGGER test_log_cool AFTER UPDATE OF released_at_ms ON leases"
        + " WHEN old.released_at_ms IS NULL AND new.released_at_ms IS NOT NULL BEGIN"
        + " INSERT INTO test_log (kind, lease_id, at_ms) VALUES ('release', new.id,"
        + " new.released_at_ms); END",
    "CREATE TRIGGER test_log_release AFTER DELETE ON leases WHEN old.released_at_ms IS NULL BEGIN"
        + " INSERT INTO test_log (kind, lease_id) VALUES ('release', old.id); END",
    "CREATE TRIGGER test_log_start AFTER INSERT ON ledger_rows"
        + " WHEN new.started_at_ms < 9223372036854775807 BEGIN"
        + " INSERT INTO test_log (kind, lease_id, at_ms, tokens, window_tokens)"
        + " VALUES ('start', new.lease_id, new.started_at_ms, new.tokens,"
        + " (SELECT sum(tokens) FROM ledger WHERE provider = new.provider"
        + "  AND started_at_ms > new.started_at_ms - 60000)); END",
    "CREATE TRIGGER test_log_correct AFTER UPDATE ON ledger_rows"
        + " WHEN old.started_at_ms < 9223372036854775807 BEGIN"
        + " INSERT INTO test_log (kind, lease_id, at_ms, tokens, window_tokens)"
        + " VALUES ('correct', new.lease_id, new.started_at_ms, new.tokens, old.tokens); END",
    "CREATE TRIGGER test_log_expire AFTER DELETE ON ledger_rows"
        + " WHEN old.started_at_ms < 9223372036854775807 BEGIN"
        + " INSERT INTO test_log (kind, lease_id, at_ms, tokens)"
        + " VALUES ('expire', old.lease_id, old.started_at_ms, old.tokens); END",
  };

  /** Starts logging, on a database already migrated. */
  static void install(Path db) throws Exception {
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db);
        Statement st = c.createStatement()) {
      st.execute("PRAGMA busy_timeout = 5000");
      st.execute("BEGIN IMMEDIATE");
      for (String sql : TRIGGERS) {
        st.execute(sql);
      }
      st.execute("COMMIT");
    }
  }

  /** Everything logged, in the database's order. */
  static List<Event> read(Path db) throws Exception {
    List<Event> out = new ArrayList<>();
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db);
        Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT seq, kind, lease_id, coalesce(at_ms, 0), coalesce(tokens, 0),"
                    + " coalesce(window_tokens, 0) FROM test_log ORDER BY seq")) {
      while (rs.next()) {
        out.add(
            new Event(
                rs.getLong(1),
                rs.getString(2),
                rs.getLong(3),
                rs.getLong(4),
                rs.getLong(5),
                rs.getLong(6)));
      }
    }
    return out;
  }
}
