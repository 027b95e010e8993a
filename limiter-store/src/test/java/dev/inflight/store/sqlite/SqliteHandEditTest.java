package dev.inflight.store.sqlite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.inflight.store.EngineConfig;
import dev.inflight.store.Engines;
import dev.inflight.store.LeaseEngine;
import dev.inflight.store.LimitChange;
import dev.inflight.store.Rows;
import dev.inflight.testing.Child;
import dev.inflight.testing.MutableClock;
import dev.inflight.testing.Tools;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The database itself refuses bad hand edits of {@code limits}, from JDBC and from sqlite3. */
class SqliteHandEditTest {
  @TempDir Path dir;
  final MutableClock clock = new MutableClock(java.time.Instant.ofEpochMilli(1_000));
  LeaseEngine store;
  Path db;

  @BeforeEach
  void open() {
    db = dir.resolve("limiter.db");
    store = Engines.open(EngineConfig.of(db).withClock(clock));
    store.setLimit(new LimitChange("openai", 4, 0, false));
  }

  @AfterEach
  void close() {
    store.close();
  }

  static final String[] BAD_EDITS = {
    "UPDATE limits SET max_in_flight = 0",
    "UPDATE limits SET max_in_flight = -3",
    "UPDATE limits SET max_in_flight = 10001",
    "UPDATE limits SET max_in_flight = 2.5",
    "UPDATE limits SET max_in_flight = '2.5'",
    "UPDATE limits SET max_in_flight = 'lots'",
    "UPDATE limits SET requests_per_minute = 0",
    "UPDATE limits SET tokens_per_minute = -5",
    "UPDATE limits SET aging_ms = 10",
    "UPDATE limits SET default_tokens = -1",
    "UPDATE limits SET tokens_per_minute = 100, default_tokens = 500",
    "INSERT INTO model_limits (provider, model, max_in_flight) VALUES ('openai', 'openai/gpt-4o', 2)",
    "INSERT INTO model_limits (provider, model, max_in_flight) VALUES ('', 'gpt-4o', 2)",
    "INSERT INTO model_limits (provider, model, max_in_flight) VALUES ('openai', '', 2)",
    "INSERT INTO model_limits (provider, model, max_in_flight) VALUES ('openai', 'g' || char(27), 2)",
    "INSERT INTO model_limits (provider, model, max_in_flight) VALUES ('openai', 'gpt-4o', 0)",
    "INSERT INTO model_limits (provider, model, requests_per_minute) VALUES ('openai', 'gpt-4o', -1)",
    "INSERT INTO model_limits (provider, model, tokens_per_minute) VALUES ('openai', 'gpt-4o', 'many')",
    "INSERT INTO queue (token, provider, owner_id, pid, queued_at_ms, weight)"
        + " VALUES ('cccccccccccccccccccc', 'openai', 1, 1, 1000, 0)",
    "INSERT INTO queue (token, provider, owner_id, pid, queued_at_ms, priority)"
        + " VALUES ('cccccccccccccccccccc', 'openai', 1, 1, 1000, 'urgent')",
    "INSERT INTO queue (token, provider, owner_id, pid, queued_at_ms, tokens)"
        + " VALUES ('cccccccccccccccccccc', 'openai', 1, 1, 1000, -1)",
    "INSERT INTO queue (token, provider, owner_id, pid, queued_at_ms, model)"
        + " VALUES ('cccccccccccccccccccc', 'openai', 1, 1, 1000, 'a' || char(10))",
    "INSERT INTO ledger (lease_id, provider, started_at_ms, tokens) VALUES (7, 'openai', 1000, -1)",
    "INSERT INTO upstream_budget (provider, requests_remaining, observed_at_ms)"
        + " VALUES ('openai', 5, 1000)",
    "UPDATE limits SET cooldown_ms = -1",
    "UPDATE limits SET cooldown_ms = 1.5",
    "UPDATE limits SET paused = 2",
    "UPDATE limits SET adaptive = 2",
    "UPDATE limits SET adaptive = 'yes'",
    "UPDATE limits SET provider = ''",
    "INSERT INTO limits (provider, max_in_flight) VALUES ('', 1)",
    "INSERT INTO limits (provider, max_in_flight) VALUES (printf('%.201c', 'x'), 1)",
    "INSERT INTO limits (provider, max_in_flight) VALUES ('a' || char(10) || 'b', 1)",
    "INSERT INTO limits (provider, max_in_flight) VALUES ('a' || char(0) || 'b', 1)",
    "INSERT INTO limits (provider, max_in_flight) VALUES ('tab' || char(9), 1)",
    "INSERT INTO limits (provider, max_in_flight) VALUES ('del' || char(127), 1)",
    "INSERT INTO limits (provider, max_in_flight) VALUES ('c1' || char(133), 1)",
    "INSERT INTO limits (provider, max_in_flight) VALUES (x'6869', 1)",
    "INSERT INTO limits (provider, max_in_flight) VALUES ('fine', 0)",
    "INSERT INTO limits (provider, max_in_flight) VALUES ('openai', 3)",
  };

  @Test
  void everyBadEdit_withJdbc_isRefused_andNothingChanges() throws SQLException {
    List<Rows.LimitRow> before = store.limits();
    List<Rows.ModelLimitRow> modelsBefore = store.modelLimits();
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db);
        Statement s = c.createStatement()) {
      for (String edit : BAD_EDITS) {
        assertThatThrownBy(() -> s.executeUpdate(edit)).as(edit).isInstanceOf(SQLException.class);
      }
    }
    assertThat(store.limits()).isEqualTo(before);
    assertThat(store.modelLimits()).isEqualTo(modelsBefore).isEmpty();
    assertThat(store.snapshot().waiters()).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 10000})
  void goodEdit_withJdbc_isAccepted_andStampsUpdatedAt(int max) throws SQLException {
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db);
        Statement s = c.createStatement()) {
      s.executeUpdate("UPDATE limits SET max_in_flight = " + max + " WHERE provider = 'openai'");
    }
    Rows.LimitRow row = store.limit("openai").orElseThrow();
    assertThat(row.maxInFlight()).isEqualTo(max);
    assertThat(row.updatedAtMs()).isGreaterThan(1_000); // the trigger stamped the wall clock
  }

  @Test
  void everyBadEdit_withSqlite3Cli_isRefused_andNothingChanges() throws Exception {
    List<Rows.LimitRow> before = store.limits();
    for (String edit : BAD_EDITS) {
      Child.Result r = sqlite3(db, edit);
      assertThat(r.code()).as(edit).isNotZero();
      assertThat(r.err())
          .as(edit)
          .containsAnyOf(
              "constraint failed",
              "cannot store",
              "CHECK",
              "UNIQUE",
              "must not hold control",
              "own name");
    }
    assertThat(store.limits()).isEqualTo(before);
  }

  @Test
  void goodEdit_withSqlite3Cli_isAccepted() throws Exception {
    Child.Result r =
        sqlite3(db, "UPDATE limits SET max_in_flight = 9, paused = 1 WHERE provider = 'openai'");
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(store.limit("openai").orElseThrow())
        .satisfies(
            l -> {
              assertThat(l.maxInFlight()).isEqualTo(9);
              assertThat(l.paused()).isTrue();
            });
  }

  static Child.Result sqlite3(Path db, String sql) {
    return Tools.sqlite3(db, sql);
  }

  @Test
  void databaseAndDirectory_arePrivateToTheUser() throws IOException {
    Path fresh = dir.resolve("new-root").resolve("limiter.db");
    try (LeaseEngine s = Engines.open(EngineConfig.of(fresh))) {
      s.setLimit(new LimitChange("x", 1, 0, false));
    }
    assertThat(Files.getPosixFilePermissions(fresh.getParent()))
        .isEqualTo(java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
    assertThat(Files.getPosixFilePermissions(fresh))
        .isEqualTo(java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
  }

  @Test
  void controlCharactersAndInvalidUtf8_inRowsOtherProcessesPrint_areRefused() {
    store.register(
        dev.inflight.store.Registration.first(
            dev.inflight.store.ProcessIdentity.current(), java.time.Duration.ofHours(1)));
    String now = Long.toString(clock.millis());
    for (String edit :
        List.of(
            "UPDATE processes SET name = 'x' || char(27) || '[2J'",
            "INSERT INTO leases (token, provider, owner_id, pid, label, queued_at_ms, acquired_at_ms)"
                + " VALUES ('aaaaaaaaaaaaaaaaaaaa', 'openai', 1, 1, 'clear' || char(27) || '[2J', "
                + now
                + ", "
                + now
                + ")",
            "INSERT INTO queue (token, provider, owner_id, pid, label, queued_at_ms)"
                + " VALUES ('bbbbbbbbbbbbbbbbbbbb', 'a' || char(10) || 'b', 1, 1, '', "
                + now
                + ")",
            "INSERT INTO limits (provider, max_in_flight) VALUES (CAST(x'ff' AS TEXT), 1)",
            "INSERT INTO limits (provider, max_in_flight) VALUES (CAST(x'6fc0' AS TEXT), 1)",
            "INSERT INTO limits (provider, max_in_flight) VALUES ('r' || char(65533), 1)",
            "UPDATE limits SET provider = CAST(x'ff' AS TEXT)")) {
      Child.Result r = sqlite3(db, edit);
      assertThat(r.code()).as(edit).isNotZero();
      assertThat(r.err()).as(edit).contains("must not hold control characters");
    }
    assertThat(store.limits()).extracting(Rows.LimitRow::provider).containsExactly("openai");
  }

  @Test
  void aWaiterWithAHeldLeasesToken_fromBeforeTheTriggers_isDropped_andTheQueueMoves() {
    store.setLimit(new LimitChange("openai", 2, 0, false));
    long owner =
        store.register(
            dev.inflight.store.Registration.first(
                dev.inflight.store.ProcessIdentity.current(), java.time.Duration.ofHours(1)));
    String a = "a".repeat(32);
    String b = "b".repeat(32);
    String good = "c".repeat(32);
    take(owner, a);
    take(owner, b);
    // A row a foreign client wrote before version 3 refused it: its token is lease a's.
    assertThat(sqlite3(db, "DROP TRIGGER queue_token_unique_insert").code()).isZero();
    String now = Long.toString(clock.millis());
    assertThat(
            sqlite3(
                    db,
                    "INSERT INTO queue (token, provider, owner_id, pid, label, queued_at_ms)"
                        + " VALUES ('"
                        + a
                        + "', 'openai', "
                        + owner
                        + ", 1, 'bad', "
                        + now
                        + ")")
                .code())
        .isZero();
    take(owner, good);

    store.release(dev.inflight.store.ReleaseRequest.succeeded(b));

    var snapshot = store.snapshot();
    assertThat(snapshot.waiters()).isEmpty();
    assertThat(snapshot.leases()).hasSize(2);
    assertThat(store.check(owner, List.of(good)).tokens().get(good).kind())
        .isEqualTo(dev.inflight.store.Rows.TokenState.Kind.GRANTED);
    assertThat(store.forceRelease(snapshot.leases().get(0).id())).isPresent();
    // The bad row's owner is alive and registered: it keeps its proof of life.
    assertThat(dir.resolve("procs").resolve(owner + ".lock")).exists();
  }

  @Test
  void aCoolingRowThatEndsBeforeItBegins_fromBeforeTheTriggers_neverWedgesItsProvider() {
    store.setLimit(new LimitChange("openai", 1, 250, false));
    long owner =
        store.register(
            dev.inflight.store.Registration.first(
                dev.inflight.store.ProcessIdentity.current(), java.time.Duration.ofHours(1)));
    long ahead = clock.millis() + 3_600_000;
    assertThat(sqlite3(db, "DROP TRIGGER leases_times_insert").code()).isZero();
    assertThat(
            sqlite3(
                    db,
                    "INSERT INTO leases (token, provider, owner_id, pid, label, queued_at_ms,"
                        + " acquired_at_ms, released_at_ms, cool_until_ms) VALUES ('"
                        + "d".repeat(32)
                        + "', 'openai', NULL, 1, '', 1, 1, "
                        + ahead
                        + ", "
                        + (ahead - 5_000)
                        + ")")
                .code())
        .isZero();
    String token = "e".repeat(32);
    var o =
        store.acquire(
            new dev.inflight.store.AcquireRequest(
                owner, 1, "openai", "", token, dev.inflight.store.AcquireMode.QUEUE));
    assertThat(o.kind()).isEqualTo(dev.inflight.store.Rows.AcquireOutcome.Kind.GRANTED);
    assertThat(store.reapAll()).isEmpty();
  }

  private void take(long owner, String token) {
    store.acquire(
        new dev.inflight.store.AcquireRequest(
            owner, 1, "openai", "", token, dev.inflight.store.AcquireMode.QUEUE));
  }
}
