package dev.inflight.store.sqlite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.inflight.store.EngineConfig;
import dev.inflight.store.Engines;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Schema V5: the ledger's totals moved into the ledger's own B-tree. Upgrading keeps every row and
 * counts the totals afresh; the views {@code ledger} and {@code ledger_totals} read and take writes
 * as V4's tables did; every write keeps the totals equal to the rows; hand edits that would forge
 * or corrupt a totals row are refused and change nothing.
 */
class SchemaV5MigrationTest {
  @TempDir Path dir;

  private final long now = System.currentTimeMillis();

  private Path version4(String... rows) throws SQLException {
    return OlderSchema.at(dir.resolve("limiter.db"), 4, rows);
  }

  private Path version5() throws SQLException {
    Path db = version4();
    Engines.open(EngineConfig.of(db)).close();
    return db;
  }

  private static List<String> rows(Connection c, String sql) throws SQLException {
    List<String> out = new ArrayList<>();
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      int n = rs.getMetaData().getColumnCount();
      while (rs.next()) {
        StringBuilder b = new StringBuilder();
        for (int i = 1; i <= n; i++) {
          b.append(i > 1 ? "|" : "").append(rs.getString(i));
        }
        out.add(b.toString());
      }
    }
    return out;
  }

  private static final String TOTALS =
      "SELECT provider, model, requests, tokens FROM ledger_totals ORDER BY provider, model";

  /** What the totals must be: the rows themselves, summed per level. */
  private static final String COUNTED =
      "SELECT provider, '', count(*), sum(tokens) FROM ledger GROUP BY provider"
          + " UNION ALL SELECT provider, model, count(*), sum(tokens) FROM ledger"
          + " WHERE model <> '' GROUP BY provider, model ORDER BY 1, 2";

  /** A ledger row written through the view, as a V4 client writes it. */
  private void start(Connection c, int leaseId, long at, String model, int tokens)
      throws SQLException {
    execute(
        c,
        "INSERT INTO ledger (provider, started_at_ms, lease_id, model, tokens) VALUES ('openai', "
            + at
            + ", "
            + leaseId
            + ", '"
            + model
            + "', "
            + tokens
            + ")");
  }

  private static void execute(Connection c, String sql) throws SQLException {
    try (Statement s = c.createStatement()) {
      s.execute(sql);
    }
  }

  @Test
  void version4Database_isUpgraded_keepingEveryRow_andCountingTheTotalsAfresh() throws Exception {
    long t = now - 30_000;
    Path db =
        version4(
            "INSERT INTO ledger (provider, started_at_ms, lease_id, model, tokens) VALUES"
                + " ('openai', "
                + t
                + ", 1, 'gpt-4o', 100),"
                + " ('openai', "
                + (t + 1)
                + ", 2, '', 50),"
                + " ('openai', "
                + (t + 2)
                + ", 3, 'gpt-4o', 7),"
                + " ('local', "
                + (t + 3)
                + ", 4, '', 0)",
            // V4's totals, wrong by hand: V5 counts them from the rows instead of copying them.
            "UPDATE ledger_totals SET requests = 99 WHERE provider = 'openai' AND model = ''");
    Engines.open(EngineConfig.of(db)).close();
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db)) {
      assertThat(rows(c, "PRAGMA user_version")).containsExactly("5");
      assertThat(rows(c, "SELECT * FROM ledger ORDER BY lease_id"))
          .containsExactly(
              "openai|" + t + "|1|gpt-4o|100",
              "openai|" + (t + 1) + "|2||50",
              "openai|" + (t + 2) + "|3|gpt-4o|7",
              "local|" + (t + 3) + "|4||0");
      assertThat(rows(c, TOTALS))
          .containsExactly("local||1|0", "openai||3|157", "openai|gpt-4o|2|107");
    }
  }

  @Test
  void everyWrite_throughTheViewOrTheTable_keepsTheTotalsEqualToTheRows() throws Exception {
    Path db = version5();
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db)) {
      start(c, 1, now, "gpt-4o", 1000);
      execute(
          c,
          "INSERT INTO ledger (provider, started_at_ms, lease_id) VALUES ('openai', "
              + (now + 1)
              + ", 2)");
      execute(
          c,
          "INSERT INTO ledger_rows (provider, started_at_ms, lease_id, model, tokens)"
              + " VALUES ('openai', "
              + (now + 2)
              + ", 3, 'gpt-4o-mini', 40)");
      assertThat(rows(c, TOTALS))
          .containsExactly("openai||3|1040", "openai|gpt-4o|1|1000", "openai|gpt-4o-mini|1|40");

      execute(c, "UPDATE ledger SET tokens = 600 WHERE lease_id = 1"); // a release's real count
      execute(c, "UPDATE ledger_rows SET tokens = 10 WHERE provider = 'openai' AND lease_id = 3");
      execute(c, "UPDATE ledger SET started_at_ms = started_at_ms - 5"); // a clock pulled back
      execute(c, "DELETE FROM ledger WHERE lease_id = 2");
      assertThat(rows(c, TOTALS)).isEqualTo(rows(c, COUNTED));
      assertThat(rows(c, TOTALS))
          .containsExactly("openai||2|610", "openai|gpt-4o|1|600", "openai|gpt-4o-mini|1|10");

      execute(
          c,
          "DELETE FROM ledger_rows WHERE provider = 'openai' AND started_at_ms <= "
              + (now - 4)); // the window's expiry: lease 1 (now - 5), not lease 3 (now - 3)
      assertThat(rows(c, TOTALS))
          .containsExactly("openai||1|10", "openai|gpt-4o|0|0", "openai|gpt-4o-mini|1|10");
      assertThat(rows(c, "SELECT lease_id FROM ledger")).containsExactly("3");
    }
  }

  @Test
  void emptyingAWindowByHand_keepsItsTotalsRight_andTheirRowsGoOnlyOnceTheLevelIsEmpty()
      throws Exception {
    Path db = version5();
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db)) {
      for (int i = 1; i <= 3; i++) {
        start(c, i, now + i, "gpt-4o", 10);
      }
      execute(c, "DELETE FROM ledger WHERE provider = 'openai'");
      assertThat(rows(c, TOTALS)).containsExactly("openai||0|0", "openai|gpt-4o|0|0");
      execute(c, "DELETE FROM ledger_rows WHERE started_at_ms = 9223372036854775807");
      assertThat(rows(c, TOTALS)).isEmpty();
      start(c, 4, now + 4, "gpt-4o", 10);
      assertThat(rows(c, TOTALS)).containsExactly("openai||1|10", "openai|gpt-4o|1|10");
      // everything at once: the rows go first (the key's order), then their totals
      execute(c, "DELETE FROM ledger_rows");
      assertThat(rows(c, "SELECT count(*) FROM ledger_rows")).containsExactly("0");
    }
  }

  @Test
  void handEditsThatWouldForgeOrCorruptATotalsRow_areRefused_andChangeNothing() throws Exception {
    Path db = version5();
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db)) {
      start(c, 1, now, "gpt-4o", 10);
      List<String> before = rows(c, "SELECT * FROM ledger_rows ORDER BY 1, 2, 3");
      String[][] refused = {
        {
          "INSERT INTO ledger (provider, started_at_ms, lease_id) VALUES ('openai',"
              + " 9223372036854775807, 5)",
          "started_at_ms must be at most a day from now"
        },
        {
          // counts its level right, but the level has its totals row already
          "INSERT INTO ledger_rows (provider, started_at_ms, lease_id, model, requests, tokens)"
              + " VALUES ('openai', 9223372036854775807, -7, 'gpt-4o', 1, 10)",
          "UNIQUE constraint failed: ledger_rows.provider, ledger_rows.model"
        },
        {
          "INSERT INTO ledger_rows (provider, started_at_ms, lease_id, model, requests)"
              + " VALUES ('openai', 9223372036854775807, -7, 'gpt-4o-mini', -1000)",
          "is kept by the database and must count its level's rows"
        },
        {
          "INSERT INTO ledger_rows (provider, started_at_ms, lease_id, requests)"
              + " VALUES ('openai', "
              + now
              + ", 9, 2)",
          "CHECK constraint failed"
        },
        {"UPDATE ledger SET tokens = -1", "CHECK constraint failed"},
        {"UPDATE ledger SET model = 'gpt-4o-mini'", "never change"},
        {"UPDATE ledger SET started_at_ms = 9223372036854775807", "at most a day from now"},
        {
          "UPDATE ledger_rows SET started_at_ms = 5 WHERE started_at_ms = 9223372036854775807",
          "never moves"
        },
        {
          "UPDATE ledger_rows SET model = 'other' WHERE started_at_ms = 9223372036854775807",
          "never change"
        },
        // an edit meant for the rows that forgets its WHERE reaches the totals too
        {"UPDATE ledger_rows SET tokens = 5", "is kept by the database"},
        {
          "UPDATE ledger_rows SET requests = 0 WHERE started_at_ms = 9223372036854775807",
          "is kept by the database"
        },
        {"UPDATE ledger_rows SET started_at_ms = started_at_ms - 5", "never moves"},
        {
          "DELETE FROM ledger_rows WHERE started_at_ms > " + now, // the newest rows, by hand
          "is kept while its level has rows"
        },
        {
          "INSERT INTO ledger (provider, started_at_ms, lease_id) VALUES ('openai', 'soon', 5)",
          "started_at_ms must be an integer"
        },
      };
      for (String[] edit : refused) {
        assertThatThrownBy(() -> execute(c, edit[0]))
            .as(edit[0])
            .isInstanceOf(SQLException.class)
            .hasMessageContaining(edit[1]);
        assertThat(rows(c, "SELECT * FROM ledger_rows ORDER BY 1, 2, 3"))
            .as(edit[0])
            .isEqualTo(before);
      }
    }
  }
}
