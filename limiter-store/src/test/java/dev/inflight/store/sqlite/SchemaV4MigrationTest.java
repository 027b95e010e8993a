package dev.inflight.store.sqlite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.inflight.store.AcquireMode;
import dev.inflight.store.AcquireRequest;
import dev.inflight.store.EngineConfig;
import dev.inflight.store.Engines;
import dev.inflight.store.LeaseEngine;
import dev.inflight.store.ProcessIdentity;
import dev.inflight.store.Registration;
import dev.inflight.store.Rows;
import dev.inflight.store.StoreException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Upgrading to schema V4: limits kept, V3 clients fenced off, later migrations noticed. */
class SchemaV4MigrationTest {
  @TempDir Path dir;

  private Path version3(String... rows) throws SQLException {
    return OlderSchema.at(dir.resolve("limiter.db"), 3, rows);
  }

  @Test
  void version3Database_isUpgraded_keepingEveryLimitAndEveryQueuedRequest() throws Exception {
    Path db =
        version3(
            "INSERT INTO limits (provider, max_in_flight, cooldown_ms, paused, adaptive)"
                + " VALUES ('openai', 3, 250, 1, 1), ('local', 1, 0, 0, 0)",
            "INSERT INTO processes (host, host_id, pid, start_token, started_at_ms,"
                + " heartbeat_at_ms, expires_at_ms) VALUES ('h', 'h', 7, 's', 1, 1,"
                + " CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) + 3600000)",
            "INSERT INTO waiters (token, provider, owner_id, pid, label, queued_at_ms)"
                + " VALUES ('"
                + "w".repeat(20)
                + "', 'local', 1, 7, 'kept', 5)");
    try (LeaseEngine s = Engines.open(EngineConfig.of(db))) {
      assertThat(s.limits())
          .containsExactly(
              new Rows.LimitRow("local", 1, 0, false, false, s.limit("local").get().updatedAtMs()),
              new Rows.LimitRow(
                  "openai", 3, 250, true, true, s.limit("openai").get().updatedAtMs()));
      assertThat(s.snapshot().waiters())
          .singleElement()
          .satisfies(
              w -> {
                assertThat(w.label()).isEqualTo("kept");
                assertThat(w.weight()).isEqualTo(1);
                assertThat(w.model()).isEmpty();
                assertThat(w.priority()).isEqualTo(dev.inflight.store.Priority.NORMAL);
              });
    }
  }

  /** The first statement of every V3 write (its settle's state read), as V3 clients run it. */
  private static final String V3_STATE =
      "SELECT m.max_in_flight, (SELECT count(*) FROM waiters w WHERE w.provider = ?1)"
          + " FROM (SELECT ?1 AS provider) q LEFT JOIN limits m ON m.provider = q.provider"
          + " LEFT JOIN admission a ON a.provider = q.provider";

  @Test
  void aVersion3ClientStillRunning_canNoLongerGrant_onceTheFileIsVersion4() throws Exception {
    Path db = version3("INSERT INTO limits (provider, max_in_flight) VALUES ('openai', 1)");
    try (Connection v3 = DriverManager.getConnection("jdbc:sqlite:" + db);
        var ps = v3.prepareStatement(V3_STATE)) {
      ps.setString(1, "openai");
      ps.executeQuery().close(); // prepared and working under V3
      try (LeaseEngine upgrader = Engines.open(EngineConfig.of(db))) {
        assertThat(upgrader.limit("openai")).isPresent();
      }
      ps.setString(1, "openai");
      assertThatThrownBy(ps::executeQuery).hasMessageContaining("no such table: waiters");
    }
  }

  @Test
  void aRunningProcess_refusesToWrite_onceAnotherMigratesTheFileFurther() throws Exception {
    Path db = dir.resolve("limiter.db");
    try (LeaseEngine running = Engines.open(EngineConfig.of(db))) {
      long me =
          running.register(Registration.first(ProcessIdentity.current(), Duration.ofMinutes(1)));
      running.acquire(request(me));
      try (Connection later = DriverManager.getConnection("jdbc:sqlite:" + db);
          Statement s = later.createStatement()) {
        s.execute("ALTER TABLE limits ADD COLUMN from_the_future INTEGER");
        s.execute("PRAGMA user_version = 6");
      }
      assertThatThrownBy(() -> running.acquire(request(me)))
          .isInstanceOf(StoreException.class)
          .hasMessageContaining(db.toString())
          .hasMessageContaining("changed to schema version 6 while this process ran")
          .hasMessageContaining("restart this process");
      assertThat(running.snapshot().leases()).hasSize(1); // the refused acquire wrote nothing
    }
  }

  private static AcquireRequest request(long owner) {
    return new AcquireRequest(
        owner, 1, "openai", "", UUID.randomUUID().toString(), AcquireMode.QUEUE);
  }
}
