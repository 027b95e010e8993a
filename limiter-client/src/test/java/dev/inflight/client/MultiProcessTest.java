package dev.inflight.client;

import static org.assertj.core.api.Assertions.assertThat;

import dev.inflight.testing.Child;
import dev.inflight.testing.Jvm;
import dev.inflight.testing.Tools;
import dev.inflight.testing.Witness;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The protocol's promises across real processes: several JVMs on one database file, a witness file
 * written by the workers (not the limiter's count), {@code kill -9}, and hand edits.
 */
class MultiProcessTest {
  @TempDir Path home;
  final List<Child> workers = new ArrayList<>();

  @AfterEach
  void killWorkers() {
    workers.forEach(w -> w.process().destroyForcibly());
  }

  Child start(String... args) {
    Child c = Jvm.start(MultiProcessWorker.class.getName(), args);
    workers.add(c);
    return c;
  }

  @Test
  void fourProcesses_thousandsOfCycles_neverExceedLimit_keepFifo_andShowTheQueueInOrder()
      throws Exception {
    int processes = 4;
    int cycles = 500;
    int limit = 2;
    Path witness = home.resolve("witness.log");
    try (Limiter admin = Limiter.builder().home(home).build()) {
      admin.limits().set(LimitSpec.of("openai", limit));
      for (int i = 0; i < processes; i++) {
        start(
            "cycles",
            home.toString(),
            "openai",
            Integer.toString(cycles),
            witness.toString(),
            Integer.toString(i));
      }
      // While they contend, what status shows must agree with itself: the request at position 1
      // has waited at least as long as the one at position 2, and so on.
      List<String> disorder = new ArrayList<>();
      int queuesSeen = 0;
      while (workers.stream().anyMatch(w -> w.process().isAlive())) {
        StatusSnapshot s = admin.status();
        List<WaiterInfo> q =
            s.waiters().stream().filter(w -> w.provider().equals("openai")).toList();
        if (q.size() >= 2) {
          queuesSeen++;
        }
        for (int i = 1; i < q.size(); i++) {
          if (q.get(i).queuedAt().isBefore(q.get(i - 1).queuedAt())) {
            disorder.add(q.get(i - 1) + " before " + q.get(i));
          }
        }
      }
      assertThat(disorder).as("queue order against queued-at times").isEmpty();
      assertThat(queuesSeen).as("status saw queues of two or more").isPositive();
    }
    for (Child w : workers) {
      Child.Result r = w.await();
      assertThat(r.code()).as(r.describe()).isZero();
      assertThat(r.out()).contains("DONE");
    }

    Witness.Replay replay = Witness.replay(witness);
    assertThat(replay.grants()).isEqualTo(processes * cycles);
    assertThat(replay.maxHeld()).as("most leases the witness saw held at once").isEqualTo(limit);
    assertThat(replay.queued()).as("requests that had to queue").isGreaterThan(100);
    // FIFO: if A was fully queued before B even started asking, A is granted before B.
    assertThat(replay.overtakes()).isEmpty();
  }

  @Test
  void killMinus9_ofHolder_isReclaimed_andWaiterInAnotherProcessIsGranted() {
    try (Limiter admin = Limiter.builder().home(home).build()) {
      admin.limits().set(LimitSpec.of("llama", 1));
    }
    Child holder = start("hold", home.toString(), "llama");
    holder.awaitOut("HELD");
    Child waiter = start("wait", home.toString(), "llama");
    waiter.awaitOut("QUEUED 1");

    holder.kill(); // SIGKILL: no close, no release, no commit

    // The holder's heartbeat TTL is 10 minutes: only death detection can grant this.
    waiter.awaitOut("GRANTED");
    assertThat(waiter.await().code()).isZero();
    try (Limiter admin = Limiter.builder().home(home).build()) {
      assertThat(admin.status().leases()).isEmpty();
    }
  }

  @Test
  void rateLimited_inOneProcess_pausesAWaiterInAnother_untilResumedFromAThird() {
    try (Limiter here = Limiter.builder().home(home).build()) {
      here.limits().set(LimitSpec.of("openai", 2));
      Child hit = start("rate-limited", home.toString(), "openai");
      hit.awaitOut("RATE_LIMITED");
      assertThat(hit.await().code()).isZero();

      Child waiter = start("wait", home.toString(), "openai");
      waiter.awaitOut("QUEUED 1"); // two slots free, but the provider said 429
      ProviderStatus st = here.status().providers().get(0);
      assertThat(st.active()).isZero();
      assertThat(st.queued()).isEqualTo(1);
      assertThat(st.pausedUntil()).isPresent();
      assertThat(st.pauseReason()).isEqualTo("429 from the provider");

      here.limits().resume("openai");
      waiter.awaitOut("GRANTED");
      assertThat(waiter.await().code()).isZero();
    }
  }

  @Test
  void handEdit_withSqlite3_raisingLimit_wakesWaiterInAnotherProcess() {
    try (Limiter here = Limiter.builder().home(home).build()) {
      here.limits().set(LimitSpec.of("anthropic", 1));
      Lease mine = here.tryAcquire("anthropic", "held-here").orElseThrow();
      Child waiter = start("wait", home.toString(), "anthropic");
      waiter.awaitOut("QUEUED 1");

      Child.Result edit =
          Tools.sqlite3(
              here.databaseFile(),
              "UPDATE limits SET max_in_flight = 2 WHERE provider = 'anthropic'");
      assertThat(edit.code()).as(edit.describe()).isZero();

      waiter.awaitOut("GRANTED");
      mine.close();
    }
  }

  @Test
  void aChildOfTheHolder_joinsItsLeaseAtLimitOne_whileASiblingWithTheSameTokenDoesNot()
      throws Exception {
    try (Limiter admin = Limiter.builder().home(home).build()) {
      admin.limits().set(LimitSpec.of("openai", 1));
      Child parent = start("nest", home.toString(), "openai");
      String[] held = parent.awaitOut("HELD").split(" ");
      String child = parent.awaitOut("CHILD");
      // Granted at once (no deadlock at limit 1), under the parent's lease id, and its release
      // left the parent's lease held.
      assertThat(child).startsWith("CHILD exit 0:").contains("GRANTED " + held[1]);
      assertThat(child).contains("RELEASED JOINED");
      assertThat(parent.awaitOut("STILL_HELD")).isEqualTo("STILL_HELD true");
      assertThat(admin.status().leases()).hasSize(1);

      // Not a descendant: the token alone joins nothing.
      ProcessBuilder pb =
          new ProcessBuilder(
              Jvm.command(MultiProcessWorker.class.getName(), "try", home.toString(), "openai"));
      pb.environment().put("INFLIGHT_LEASE_TOKEN", held[2]);
      Child sibling = Child.start(pb, "sibling with the parent's token");
      workers.add(sibling);
      assertThat(sibling.awaitOut("TRY")).isEqualTo("TRY busy");

      parent.closeStdin();
      assertThat(parent.await().code()).isZero();
      assertThat(admin.status().leases()).isEmpty();
    }
  }

  @Test
  void releaseInOneProcess_grantsWaiterInAnother() {
    try (Limiter here = Limiter.builder().home(home).build()) {
      here.limits().set(LimitSpec.of("openai", 1));
      Lease mine = here.tryAcquire("openai").orElseThrow();
      Child first = start("wait", home.toString(), "openai", "first");
      first.awaitOut("QUEUED 1");
      Child second = start("wait", home.toString(), "openai", "second");
      second.awaitOut("QUEUED 2");
      mine.close();
      first.awaitOut("GRANTED");
      second.awaitOut("GRANTED");
      assertThat(here.status().waiters()).isEmpty();
    }
  }

  @Test
  void aRequestWhoseRowWasDeleted_queuesAgainAtTheBack_andStatusShowsItThere() {
    try (Limiter here = Limiter.builder().home(home).build()) {
      here.limits().set(LimitSpec.of("openai", 1));
      Lease mine = here.tryAcquire("openai").orElseThrow();
      Child first = start("wait", home.toString(), "openai", "first");
      first.awaitOut("QUEUED 1");
      Child second = start("wait", home.toString(), "openai", "second");
      second.awaitOut("QUEUED 2");

      // Someone deletes the first request's row by hand: its process queues it again, last.
      Child.Result edit =
          Tools.sqlite3(here.databaseFile(), "DELETE FROM queue WHERE label = 'first'");
      assertThat(edit.code()).as(edit.describe()).isZero();
      StatusSnapshot s;
      do {
        s = here.status();
      } while (s.waiters().size() < 2);
      Map<String, WaiterInfo> byLabel =
          s.waiters().stream().collect(Collectors.toMap(WaiterInfo::label, w -> w));
      assertThat(byLabel.get("second").position()).isEqualTo(1);
      assertThat(byLabel.get("first").position()).isEqualTo(2);
      assertThat(byLabel.get("first").queuedAt())
          .isAfterOrEqualTo(byLabel.get("second").queuedAt());

      mine.close();
      second.awaitOut("GRANTED");
      first.awaitOut("GRANTED");
    }
  }

  @Test
  void manyProcesses_openingAFreshRootAtOnce_allSucceed_andMigrateOnce() throws Exception {
    Path fresh = home.resolve("fresh-root");
    for (int i = 0; i < 6; i++) {
      start("open", fresh.toString());
    }
    for (Child w : workers) {
      Child.Result r = w.await();
      assertThat(r.code()).as(r.describe()).isZero();
      assertThat(r.out()).contains("OK");
    }
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + fresh.resolve("limiter.db"));
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT count(*) FROM flyway_schema_history WHERE version IS NOT NULL")) {
      rs.next();
      assertThat(rs.getInt(1)).isEqualTo(dev.inflight.store.Engines.schemaVersion());
    }
  }
}
