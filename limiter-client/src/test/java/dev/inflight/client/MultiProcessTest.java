package dev.inflight.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The protocol's promises across real processes: several JVMs on one database file, a witness file
 * written by the workers (not the limiter's count), {@code kill -9}, and hand edits.
 */
class MultiProcessTest {
  /** Guards against hangs only; nothing here asserts how long anything took. */
  static final long GUARD_SECONDS = 120;

  @TempDir Path home;
  final List<Worker> workers = new ArrayList<>();

  @AfterEach
  void killWorkers() {
    workers.forEach(w -> w.process.destroyForcibly());
  }

  @Test
  void fourProcesses_thousandsOfCycles_neverExceedLimit_andKeepFifo() throws Exception {
    int processes = 4;
    int cycles = 500;
    int limit = 2;
    try (Limiter admin = Limiter.builder().home(home).build()) {
      admin.limits().set(LimitSpec.of("openai", limit));
    }
    Path witness = home.resolve("witness.log");
    for (int i = 0; i < processes; i++) {
      start( // registers the worker in `workers`
          "cycles",
          home.toString(),
          "openai",
          Integer.toString(cycles),
          witness.toString(),
          Integer.toString(i));
    }
    for (Worker w : workers) {
      w.expect("DONE", 600); // a loaded machine is slow; this only guards against a hang
      assertThat(w.process.waitFor(GUARD_SECONDS, TimeUnit.SECONDS)).isTrue();
      assertThat(w.process.exitValue()).isZero();
    }

    List<String> lines = Files.readAllLines(witness);
    int held = 0;
    int maxHeld = 0;
    int grants = 0;
    Map<String, Integer> enteredAt = new HashMap<>();
    Map<String, Integer> queuedAt = new HashMap<>();
    Map<String, Long> leaseOf = new HashMap<>();
    for (int i = 0; i < lines.size(); i++) {
      String[] f = lines.get(i).split(" ");
      switch (f[0]) {
        case "E" -> enteredAt.put(f[1], i);
        case "Q" -> queuedAt.put(f[1], i);
        case "+" -> {
          held++;
          grants++;
          maxHeld = Math.max(maxHeld, held);
          leaseOf.put(f[1], Long.parseLong(f[2]));
        }
        case "-" -> held--;
        default -> fail("bad witness line " + lines.get(i));
      }
    }
    assertThat(grants).isEqualTo(processes * cycles);
    assertThat(maxHeld).as("most leases the witness saw held at once").isLessThanOrEqualTo(limit);
    assertThat(maxHeld).as("the test really contended").isEqualTo(limit);
    assertThat(queuedAt).as("requests that had to queue").hasSizeGreaterThan(100);

    // FIFO: if A was fully queued before B even started asking, A is granted before B.
    List<String> overtakes = new ArrayList<>();
    for (Map.Entry<String, Integer> a : queuedAt.entrySet()) {
      for (Map.Entry<String, Integer> b : enteredAt.entrySet()) {
        if (a.getValue() < b.getValue() && leaseOf.get(a.getKey()) > leaseOf.get(b.getKey())) {
          overtakes.add(b.getKey() + " overtook " + a.getKey());
        }
      }
    }
    assertThat(overtakes).isEmpty();
  }

  @Test
  void killMinus9_ofHolder_isReclaimed_andWaiterInAnotherProcessIsGranted() throws Exception {
    try (Limiter admin = Limiter.builder().home(home).build()) {
      admin.limits().set(LimitSpec.of("llama", 1));
    }
    Worker holder = start("hold", home.toString(), "llama");
    holder.expect("HELD");
    Worker waiter = start("wait", home.toString(), "llama");
    waiter.expect("QUEUED 1");

    holder.process.destroyForcibly(); // SIGKILL: no close, no release, no commit
    assertThat(holder.process.waitFor(GUARD_SECONDS, TimeUnit.SECONDS)).isTrue();

    // The holder's heartbeat TTL is 10 minutes: only death detection can grant this.
    waiter.expect("GRANTED");
    assertThat(waiter.process.waitFor(GUARD_SECONDS, TimeUnit.SECONDS)).isTrue();
    try (Limiter admin = Limiter.builder().home(home).build()) {
      assertThat(admin.status().leases()).isEmpty();
    }
  }

  @Test
  void rateLimited_inOneProcess_pausesAWaiterInAnother_untilResumedFromAThird() throws Exception {
    try (Limiter here = Limiter.builder().home(home).build()) {
      here.limits().set(LimitSpec.of("openai", 2));
      Worker hit = start("rate-limited", home.toString(), "openai");
      hit.expect("RATE_LIMITED");
      assertThat(hit.process.waitFor(GUARD_SECONDS, TimeUnit.SECONDS)).isTrue();

      Worker waiter = start("wait", home.toString(), "openai");
      waiter.expect("QUEUED 1"); // two slots free, but the provider said 429
      ProviderStatus st = here.status().providers().get(0);
      assertThat(st.active()).isZero();
      assertThat(st.queued()).isEqualTo(1);
      assertThat(st.pausedUntil()).isPresent();
      assertThat(st.pauseReason()).isEqualTo("429 from the provider");

      here.limits().resume("openai");
      waiter.expect("GRANTED");
      assertThat(waiter.process.waitFor(GUARD_SECONDS, TimeUnit.SECONDS)).isTrue();
    }
  }

  @Test
  void handEdit_withSqlite3OrJdbc_raisingLimit_wakesWaiterInAnotherProcess() throws Exception {
    try (Limiter here = Limiter.builder().home(home).build()) {
      here.limits().set(LimitSpec.of("anthropic", 1));
      Lease mine = here.tryAcquire("anthropic", "held-here").orElseThrow();
      Worker waiter = start("wait", home.toString(), "anthropic");
      waiter.expect("QUEUED 1");

      String edit = "UPDATE limits SET max_in_flight = 2 WHERE provider = 'anthropic'";
      if (sqlite3Installed()) {
        Process p =
            new ProcessBuilder("sqlite3", here.databaseFile().toString(), edit).inheritIO().start();
        assertThat(p.waitFor(GUARD_SECONDS, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isZero();
      } else {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + here.databaseFile());
            Statement s = c.createStatement()) {
          s.executeUpdate(edit);
        }
      }
      waiter.expect("GRANTED");
      mine.close();
    }
  }

  @Test
  void releaseInOneProcess_grantsWaiterInAnother() throws Exception {
    try (Limiter here = Limiter.builder().home(home).build()) {
      here.limits().set(LimitSpec.of("openai", 1));
      Lease mine = here.tryAcquire("openai").orElseThrow();
      Worker first = start("wait", home.toString(), "openai", "first");
      first.expect("QUEUED 1");
      Worker second = start("wait", home.toString(), "openai", "second");
      second.expect("QUEUED 2");
      mine.close();
      first.expect("GRANTED");
      second.expect("GRANTED");
      assertThat(here.status().waiters()).isEmpty();
    }
  }

  @Test
  void manyProcesses_openingAFreshRootAtOnce_allSucceed_andMigrateOnce() throws Exception {
    Path fresh = home.resolve("fresh-root");
    for (int i = 0; i < 6; i++) {
      start("open", fresh.toString());
    }
    for (Worker w : workers) {
      w.expect("OK");
      assertThat(w.process.waitFor(GUARD_SECONDS, TimeUnit.SECONDS)).isTrue();
      assertThat(w.process.exitValue()).as(w.stderr()).isZero();
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

  // ---------------------------------------------------------------- plumbing

  static boolean sqlite3Installed() {
    try {
      Process p = new ProcessBuilder("sqlite3", "-version").redirectErrorStream(true).start();
      p.getInputStream().readAllBytes();
      return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
    } catch (IOException | InterruptedException e) {
      return false;
    }
  }

  Worker start(String... args) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-cp");
    cmd.add(System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")));
    cmd.add(MultiProcessWorker.class.getName());
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).start();
    Worker w = new Worker(p);
    workers.add(w);
    return w;
  }

  static final class Worker {
    final Process process;
    final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    final StringBuffer err = new StringBuffer();

    Worker(Process process) {
      this.process = process;
      Thread out =
          new Thread(
              () -> {
                try (BufferedReader r =
                    new BufferedReader(
                        new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                  String line;
                  while ((line = r.readLine()) != null) {
                    lines.add(line);
                  }
                } catch (IOException e) {
                  // process ended
                }
              });
      out.setDaemon(true);
      out.start();
      Thread errs =
          new Thread(
              () -> {
                try (BufferedReader r =
                    new BufferedReader(
                        new InputStreamReader(process.getErrorStream(), StandardCharsets.UTF_8))) {
                  String line;
                  while ((line = r.readLine()) != null) {
                    err.append(line).append('\n');
                  }
                } catch (IOException e) {
                  // process ended
                }
              });
      errs.setDaemon(true);
      errs.start();
    }

    String stderr() {
      return err.toString();
    }

    /** Waits for the next line starting with {@code prefix}; fails (with stderr) on a hang. */
    String expect(String prefix) throws InterruptedException {
      return expect(prefix, GUARD_SECONDS);
    }

    String expect(String prefix, long guardSeconds) throws InterruptedException {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(guardSeconds);
      while (true) {
        long left = deadline - System.nanoTime();
        String line = lines.poll(Math.max(0, left), TimeUnit.NANOSECONDS);
        if (line == null) {
          fail("no line starting with '" + prefix + "' from worker; stderr:\n" + stderr());
        }
        if (line.startsWith(prefix)) {
          return line;
        }
      }
    }
  }
}
