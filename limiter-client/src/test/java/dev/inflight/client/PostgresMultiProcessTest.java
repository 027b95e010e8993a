package dev.inflight.client;

import static org.assertj.core.api.Assertions.assertThat;

import dev.inflight.testing.Child;
import dev.inflight.testing.Eventually;
import dev.inflight.testing.Jvm;
import dev.inflight.testing.PgCluster;
import dev.inflight.testing.Witness;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The protocol's promises on PostgreSQL across real processes: JVMs that share one database only
 * through a URL ({@code INFLIGHT_DATABASE_URL}, each with a config root of its own, as on different
 * machines), a witness file written by the workers, {@code kill -9}, and a session cut by the
 * server ({@code pg_terminate_backend}).
 */
class PostgresMultiProcessTest {
  @TempDir Path dir;
  final List<Child> workers = new ArrayList<>();
  String url;

  @BeforeEach
  void database() {
    url = PgCluster.shared().newDatabase();
  }

  @AfterEach
  void killWorkers() {
    workers.forEach(w -> w.process().destroyForcibly());
  }

  Limiter admin() {
    return Limiter.builder().home(dir.resolve("admin")).database(url).build();
  }

  /** A worker JVM with a config root of its own: only the database URL is shared. */
  Child start(String name, String... args) {
    String[] full = new String[args.length + 1];
    full[0] = args[0];
    full[1] = dir.resolve(name).toString();
    System.arraycopy(args, 1, full, 2, args.length - 1);
    ProcessBuilder pb = new ProcessBuilder(Jvm.command(MultiProcessWorker.class.getName(), full));
    pb.environment().put("INFLIGHT_DATABASE_URL", url);
    Child c = Child.start(pb, name + " " + String.join(" ", args));
    workers.add(c);
    return c;
  }

  @Test
  void fourProcesses_onOneDatabase_neverExceedTheLimit_andKeepFifo() {
    int processes = 4;
    int cycles = 150;
    int limit = 2;
    Path witness = dir.resolve("witness.log");
    try (Limiter admin = admin()) {
      admin.limits().set(LimitSpec.of("openai", limit));
    }
    for (int i = 0; i < processes; i++) {
      start(
          "w" + i,
          "cycles",
          "openai",
          Integer.toString(cycles),
          witness.toString(),
          Integer.toString(i));
    }
    for (Child w : workers) {
      Child.Result r = w.await();
      assertThat(r.code()).as(r.describe()).isZero();
      assertThat(r.out()).contains("DONE");
    }
    Witness.Replay replay = Witness.replay(witness);
    assertThat(replay.grants()).isEqualTo(processes * cycles);
    assertThat(replay.maxHeld()).as("most leases the witness saw held at once").isEqualTo(limit);
    assertThat(replay.queued()).as("requests that had to queue").isGreaterThan(20);
    assertThat(replay.overtakes()).isEmpty();
  }

  @Test
  void aFreshDatabase_openedByFourProcessesAtOnce_isMigratedExactlyOnce() {
    for (int i = 0; i < 4; i++) {
      start("o" + i, "open");
    }
    for (Child w : workers) {
      Child.Result r = w.await();
      assertThat(r.code()).as(r.describe()).isZero();
      assertThat(r.out()).contains("OK");
    }
    String database = url.substring(url.lastIndexOf('/') + 1);
    Child.Result applied =
        PgCluster.shared()
            .psql(
                database,
                "SELECT count(*) FROM inflight.flyway_schema_history WHERE success AND version = '4'");
    assertThat(applied.out().trim()).as(applied.describe()).isEqualTo("1");
  }

  @Test
  void aServerRestart_underLoad_neverLetsMoreThanTheLimitHold_andEveryRequestIsServed() {
    int processes = 3;
    int cycles = 120;
    int limit = 2;
    Path witness = dir.resolve("witness.log");
    try (Limiter admin = admin()) {
      admin.limits().set(LimitSpec.of("openai", limit));
    }
    for (int i = 0; i < processes; i++) {
      start(
          "r" + i,
          "cycles",
          "openai",
          Integer.toString(cycles),
          witness.toString(),
          Integer.toString(i));
    }
    // Restart once the workers are well into their cycles: every session is cut, every
    // connection of every pool breaks, and the processes must ride it out.
    Eventually.until(() -> grantsSoFar(witness) >= 60);
    PgCluster.shared().restart();
    for (Child w : workers) {
      Child.Result r = w.await();
      assertThat(r.code()).as(r.describe()).isZero();
      assertThat(r.out()).contains("DONE");
    }
    Witness.Replay replay = Witness.replay(witness);
    assertThat(replay.grants()).isEqualTo(processes * cycles);
    assertThat(replay.maxHeld()).as("most leases the witness saw held at once").isEqualTo(limit);
  }

  /** Grants the witness has seen so far (0 while it is not there, or a line is half written). */
  private static int grantsSoFar(Path witness) {
    try {
      return java.nio.file.Files.exists(witness) ? Witness.replay(witness).grants() : 0;
    } catch (RuntimeException e) {
      return 0;
    }
  }

  @Test
  void killMinus9_ofAHolder_isReclaimedWithinTheGracePeriod_forAWaiterInAnotherProcess() {
    try (Limiter admin = admin()) {
      admin.limits().set(LimitSpec.of("llama", 1));
    }
    Child holder = start("holder", "hold", "llama");
    holder.awaitOut("HELD");
    Child waiter = start("waiter", "wait", "llama");
    waiter.awaitOut("QUEUED 1");

    long killedAt = System.nanoTime();
    holder.kill(); // SIGKILL: its session ends, and with it its advisory lock

    // The holder's heartbeat TTL is 10 minutes: only the lost session can grant this.
    waiter.awaitOut("GRANTED");
    System.out.printf(
        "postgres: kill -9 of a holder -> grant in another JVM: %d ms%n",
        (System.nanoTime() - killedAt) / 1_000_000);
    assertThat(waiter.await().code()).isZero();
    try (Limiter admin = admin()) {
      assertThat(admin.status().leases()).isEmpty();
    }
  }

  @Test
  void killMinus9_ofAHolderOnAnotherHost_isReclaimedAfterItsGracePeriod_byItsLockAlone() {
    try (Limiter admin = admin()) {
      admin.limits().set(LimitSpec.of("llama", 1));
    }
    // A pid namespace of its own gives the holder another host id: no waiter can look it up in
    // /proc, as for a process on another machine. Only its advisory lock tells that it lives.
    List<String> isolated = new ArrayList<>(List.of("unshare", "--pid", "--fork", "--mount-proc"));
    if (!"root".equals(System.getProperty("user.name"))) {
      isolated.addAll(1, List.of("--user", "--map-root-user"));
    }
    isolated.add("--kill-child");
    isolated.addAll(
        Jvm.command(
            MultiProcessWorker.class.getName(), "hold", dir.resolve("far").toString(), "llama"));
    ProcessBuilder pb = new ProcessBuilder(isolated);
    pb.environment().put("INFLIGHT_DATABASE_URL", url);
    Child holder = Child.start(pb, "holder on another host");
    workers.add(holder);
    holder.awaitOut("HELD");
    Child waiter = start("near", "wait", "llama");
    waiter.awaitOut("QUEUED 1");
    try (Limiter admin = admin()) {
      LeaseInfo held = admin.status().leases().get(0);
      assertThat(held.pid()).as("the holder's pid in its own namespace").isNotEqualTo(holder.pid());
    }

    long killedAt = System.nanoTime();
    holder.kill(); // unshare dies, and --kill-child takes the JVM with it: no release, no commit
    waiter.awaitOut("GRANTED");
    System.out.printf(
        "postgres: kill -9 of a holder on another host -> grant: %d ms (grace %d ms)%n",
        (System.nanoTime() - killedAt) / 1_000_000, 5000);
    assertThat(waiter.await().code()).isZero();
  }

  @Test
  void aSessionCutByTheServer_isTakenUpAgain_andItsLeaseIsNotGivenAway() {
    try (Limiter admin = admin()) {
      admin.limits().set(LimitSpec.of("llama", 1));
    }
    Child holder = start("holder", "hold", "llama");
    holder.awaitOut("HELD");
    Child waiter = start("waiter", "wait", "llama");
    waiter.awaitOut("QUEUED 1");
    String database = url.substring(url.lastIndexOf('/') + 1);

    // Cut the holder's session (the one that holds its advisory lock), as a restart or a
    // partition would: it connects again and takes its lock back within the grace period.
    String sessionOfHolder =
        " FROM pg_locks l WHERE l.locktype = 'advisory' AND l.objsubid = 2 AND l.granted"
            + " AND l.objid = (SELECT owner_id FROM inflight.leases WHERE provider = 'llama')::OID";
    Child.Result before = PgCluster.shared().psql(database, "SELECT l.pid" + sessionOfHolder);
    Child.Result cut =
        PgCluster.shared().psql(database, "SELECT pg_terminate_backend(l.pid)" + sessionOfHolder);
    assertThat(cut.code()).as(cut.describe()).isZero();
    assertThat(cut.out()).contains("t");
    // It is back when another backend (a new session) holds the holder's lock.
    Eventually.until(
        () -> {
          Child.Result now = PgCluster.shared().psql(database, "SELECT l.pid" + sessionOfHolder);
          return !now.out().isBlank() && !now.out().equals(before.out());
        });

    try (Limiter admin = admin()) {
      StatusSnapshot s = admin.status();
      assertThat(s.leases()).as("the holder's lease survives its session").hasSize(1);
      assertThat(s.waiters()).as("the waiter still waits").hasSize(1);
    }
    holder.kill();
    waiter.awaitOut("GRANTED");
  }
}
