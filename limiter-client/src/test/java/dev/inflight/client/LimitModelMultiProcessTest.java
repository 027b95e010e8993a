package dev.inflight.client;

import static org.assertj.core.api.Assertions.assertThat;

import dev.inflight.testing.Child;
import dev.inflight.testing.Jvm;
import dev.inflight.testing.SharedClock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The limit model's promises across real processes, each proven by a witness file the workers write
 * (what they held and when), never by the limiter's own counts: pools per provider and model with
 * weights, priority classes and their aging, and per-minute budgets on a clock all the processes
 * share (replayed in the database's own order of grants and releases, which no worker can see:
 * {@link DatabaseLog}).
 */
class LimitModelMultiProcessTest {
  @TempDir Path home;
  final List<Child> workers = new ArrayList<>();

  @AfterEach
  void killWorkers() {
    workers.forEach(w -> w.process().destroyForcibly());
  }

  Child start(String... args) {
    Child c = Jvm.start(LimitModelWorker.class.getName(), args);
    workers.add(c);
    return c;
  }

  private static List<String[]> lines(Path witness) throws Exception {
    List<String[]> out = new ArrayList<>();
    for (String l : Files.readAllLines(witness)) {
      out.add(l.split(" "));
    }
    return out;
  }

  @Test
  void weightedRequestsForTwoModels_neverHoldMoreThanEitherLevel_andAllAreServed()
      throws Exception {
    int processes = 4;
    int cycles = 150;
    Path witness = home.resolve("witness.log");
    try (Limiter admin = Limiter.builder().home(home).build()) {
      admin.limits().set(LimitSpec.of("openai", 4));
      admin.limits().setModel(ModelLimitSpec.of("openai", "gpt-4o", 2));
    }
    for (int i = 0; i < processes; i++) {
      start(
          "mix",
          home.toString(),
          "openai",
          Integer.toString(cycles),
          witness.toString(),
          Integer.toString(i),
          "gpt-4o",
          "gpt-4o-mini");
    }
    for (Child w : workers) {
      Child.Result r = w.await();
      assertThat(r.code()).as(r.describe()).isZero();
    }
    Map<String, String[]> held = new HashMap<>();
    int units = 0;
    int bigUnits = 0;
    int maxUnits = 0;
    int maxBig = 0;
    int grants = 0;
    int heavy = 0;
    for (String[] f : lines(witness)) {
      switch (f[0]) {
        case "+" -> {
          held.put(f[1], f);
          int w = Integer.parseInt(f[4]);
          units += w;
          heavy += w > 1 ? 1 : 0;
          grants++;
          if (f[3].equals("gpt-4o")) {
            bigUnits += w;
          }
        }
        case "-" -> {
          String[] g = held.remove(f[1]);
          int w = Integer.parseInt(g[4]);
          units -= w;
          if (g[3].equals("gpt-4o")) {
            bigUnits -= w;
          }
        }
        default -> {}
      }
      maxUnits = Math.max(maxUnits, units);
      maxBig = Math.max(maxBig, bigUnits);
    }
    assertThat(grants).isEqualTo(processes * cycles);
    assertThat(heavy).as("weight-2 requests served").isGreaterThan(100);
    assertThat(maxUnits).as("most units the witness saw held for openai").isLessThanOrEqualTo(4);
    assertThat(maxBig).as("most units the witness saw held for gpt-4o").isLessThanOrEqualTo(2);
    assertThat(maxUnits).as("the provider's level was used to the full").isEqualTo(4);
  }

  @Test
  void interactiveOvertakesBatch_andABatchRequestThatAged_isServedBeforeLaterInteractiveOnes()
      throws Exception {
    Path witness = home.resolve("witness.log");
    Path clockFile = home.resolve("clock");
    try (SharedClock clock = SharedClock.create(clockFile, Instant.now());
        Limiter admin = Limiter.builder().home(home).clock(clock).ticker(clock).build()) {
      admin.limits().set(LimitSpec.of("openai", 1).withAging(Duration.ofSeconds(10)));
      Child holder = ask("openai", "normal", "holder", clockFile, witness);
      holder.awaitOut("GRANTED");
      Child batch = ask("openai", "batch", "batch", clockFile, witness);
      batch.awaitOut("QUEUED");
      Child interactive = ask("openai", "interactive", "interactive", clockFile, witness);
      interactive.awaitOut("QUEUED");

      holder.write("release");
      interactive.awaitOut("GRANTED"); // it came later, but its class is higher

      clock.advance(Duration.ofSeconds(20)); // two aging intervals: batch now ranks interactive
      Child late = ask("openai", "interactive", "late", clockFile, witness);
      late.awaitOut("QUEUED");
      interactive.write("release");
      batch.awaitOut("GRANTED"); // aged, and queued before the late interactive request
      batch.write("release");
      late.awaitOut("GRANTED");
      late.write("release");
      for (Child c : workers) {
        assertThat(c.await().code()).isZero();
      }
    }
    List<String> grantOrder = new ArrayList<>();
    for (String[] f : lines(witness)) {
      if (f[0].equals("+")) {
        grantOrder.add(f[1]);
      }
    }
    assertThat(grantOrder).containsExactly("holder", "interactive", "batch", "late");
  }

  private Child ask(String key, String priority, String label, Path clock, Path witness) {
    return start(
        "ask", home.toString(), key, priority, label, clock.toString(), witness.toString());
  }

  @Test
  void perMinuteBudgets_acrossProcesses_neverStartOrReserveMoreInAnyWindow() throws Exception {
    int rpm = 4;
    long tpm = 1_000;
    int processes = 3;
    int each = 6;
    Path witness = home.resolve("witness.log");
    Path clockFile = home.resolve("clock");
    try (SharedClock clock = SharedClock.create(clockFile, Instant.now());
        Limiter admin =
            Limiter.builder()
                .home(home)
                .clock(clock)
                .ticker(clock)
                .staleAfter(Duration.ofHours(6))
                .build()) {
      LimitSpec spec = LimitSpec.of("openai", 10).withBudgets(rpm, tpm, 0);
      admin.limits().set(spec);
      DatabaseLog.install(home.resolve("limiter.db"));
      for (int i = 0; i < processes; i++) {
        start(
            "budget",
            home.toString(),
            "openai",
            Integer.toString(each),
            witness.toString(),
            Integer.toString(i),
            clockFile.toString());
      }
      // Time moves only while requests wait: each step is 5 s of every process's clock, and a
      // write that settles (a limit set to itself) grants what the window freed.
      int steps = 0;
      while (workers.stream().anyMatch(w -> w.process().isAlive())) {
        if (admin.status().waiters().isEmpty()) {
          Thread.onSpinWait();
          continue;
        }
        clock.advance(Duration.ofSeconds(5));
        admin.limits().set(spec);
        steps++;
        assertThat(steps).as("steps of 5 s before every request was served").isLessThan(2_000);
      }
    }
    for (Child w : workers) {
      Child.Result r = w.await();
      assertThat(r.code()).as(r.describe()).isZero();
    }
    // Replay: what the limiter promises at each grant g (migrations/README.md, version 4): the
    // starts its database held in g's window (less than 60 s old at g's time, as the budget counts
    // them; granted before g, or g itself) number at most rpm, and hold at most tpm tokens, each at
    // its real count if its release committed before g's grant, else at its reservation.
    //
    // The workers say what each request reserved and used and when it started; the database's log
    // (DatabaseLog) says only which of two transactions came first, which no worker can see across
    // processes when both fall in one millisecond of the shared clock. Witness lines cannot tell:
    // a start written before g's line may have been granted after g (its "+" line came late), and
    // a release written before g's line may have committed after g (the worker writes it before it
    // releases). An earlier replay took the lines for that order and failed now and then (1012,
    // 1001, 1046 tokens) in windows where the database never held more than 757 to 921: at g it
    // counted, at their reservations, starts granted after g in the same millisecond, which the
    // database had granted only because g's own release had freed tokens for them.
    //
    // This can never hide an over-admission: a window's sum grows only at a grant (here a release
    // lowers it, no request using more than it reserved; a start leaving lowers it; and no row's
    // time moves, the shared clock never going back), so the most it ever holds is right after some
    // grant, and there the replay sums every row the database held, at the value it held, from the
    // workers' numbers. The checks below tie the log to the witness: the database granted every
    // worker's lease at the time the worker says, grant order never goes back in time, and the log
    // agrees with whatever order the witness lines do prove.
    record Start(String label, long at, long reserved, int line, long leaseId) {}
    List<Start> starts = new ArrayList<>();
    Map<String, Integer> releasedAtLine = new HashMap<>();
    Map<String, Long> used = new HashMap<>();
    List<String[]> all = lines(witness);
    for (int i = 0; i < all.size(); i++) {
      String[] f = all.get(i);
      if (f[0].equals("+")) {
        long at = Long.parseLong(f[3]);
        assertThat(at)
            .as("start time within what the worker saw")
            .isBetween(Long.parseLong(f[5]), Long.parseLong(f[6]));
        starts.add(new Start(f[1], at, Long.parseLong(f[4]), i, Long.parseLong(f[2])));
      } else if (f[0].equals("-")) {
        releasedAtLine.put(f[1], i);
        used.put(f[1], Long.parseLong(f[2]));
      }
    }
    Map<Long, DatabaseLog.Event> granted = new HashMap<>();
    Map<Long, Long> releasedSeq = new HashMap<>();
    for (DatabaseLog.Event e : DatabaseLog.read(home.resolve("limiter.db"))) {
      if (e.kind().equals("grant")) {
        granted.put(e.leaseId(), e);
      } else if (e.kind().equals("release")) {
        releasedSeq.put(e.leaseId(), e.seq());
      }
    }
    assertThat(granted).as("grants the database logged").hasSize(processes * each);
    for (Start s : starts) {
      assertThat(granted.get(s.leaseId()))
          .as("the database's grant of %s", s)
          .isNotNull()
          .extracting(DatabaseLog.Event::at)
          .isEqualTo(s.at());
      assertThat(releasedSeq).as("the database's release of %s", s).containsKey(s.leaseId());
    }
    starts.sort(java.util.Comparator.comparingLong(s -> granted.get(s.leaseId()).seq()));
    for (int i = 1; i < starts.size(); i++) {
      assertThat(starts.get(i).at())
          .as("grant order never goes back in time: %s after %s", starts.get(i), starts.get(i - 1))
          .isGreaterThanOrEqualTo(starts.get(i - 1).at());
    }
    int maxStarts = 0;
    long maxTokens = 0;
    Start worst = null;
    for (Start g : starts) {
      long grantedAt = granted.get(g.leaseId()).seq();
      int n = 0;
      long tokens = 0;
      for (Start s : starts) {
        long releasedAt = releasedSeq.get(s.leaseId());
        if (releasedAtLine.get(s.label()) > g.line()) {
          assertThat(releasedAt)
              .as("%s was released after %s was granted, as the witness lines say", s, g)
              .isGreaterThan(grantedAt);
        }
        if (granted.get(s.leaseId()).seq() <= grantedAt && s.at() > g.at() - 60_000) {
          n++;
          tokens += releasedAt < grantedAt ? used.get(s.label()) : s.reserved();
        }
      }
      if (tokens > tpm || n > rpm) {
        worst = worst == null ? g : worst;
      }
      maxStarts = Math.max(maxStarts, n);
      maxTokens = Math.max(maxTokens, tokens);
    }
    String report = "";
    if (worst != null) {
      // Keep what one failure needs to tell a real over-admission from the replay's own mistake.
      Start g = worst;
      StringBuilder b =
          new StringBuilder("the first grant over a budget: " + g + "; its window:\n");
      long grantedAt = granted.get(g.leaseId()).seq();
      for (Start s : starts) {
        if (s.at() > g.at() - 60_000 && s.at() <= g.at()) {
          b.append(
              String.format(
                  "  %s used %d, release line %s, log: granted %d released %d%s%n",
                  s,
                  used.get(s.label()),
                  releasedAtLine.get(s.label()),
                  granted.get(s.leaseId()).seq(),
                  releasedSeq.get(s.leaseId()),
                  granted.get(s.leaseId()).seq() > grantedAt ? " (after g: not counted)" : ""));
        }
      }
      b.append(windowInDatabase(home.resolve("limiter.db"), g.at()));
      b.append("kept in ").append(keep(witness, home.resolve("limiter.db")));
      report = "\n" + b;
    }
    assertThat(starts).hasSize(processes * each);
    assertThat(maxStarts).as("most starts in any 60 s window%s", report).isLessThanOrEqualTo(rpm);
    assertThat(maxTokens).as("most tokens in any 60 s window%s", report).isLessThanOrEqualTo(tpm);
    assertThat(maxStarts).as("the request budget was reached").isEqualTo(rpm);
  }

  /**
   * What the database logged about the window ending at {@code at} (see {@link DatabaseLog}): every
   * grant, release and ledger change of the leases that started in it, in the database's order.
   */
  private static String windowInDatabase(Path db, long at) throws Exception {
    List<DatabaseLog.Event> log = DatabaseLog.read(db);
    java.util.Set<Long> leases = new java.util.HashSet<>();
    for (DatabaseLog.Event e : log) {
      if (e.kind().equals("grant") && e.at() > at - 60_000 && e.at() <= at) {
        leases.add(e.leaseId());
      }
    }
    StringBuilder b =
        new StringBuilder("the database's log of it (seq kind lease at tokens window|old):\n");
    for (DatabaseLog.Event e : log) {
      if (leases.contains(e.leaseId())) {
        b.append(
            String.format(
                "  %d %s %d %d %d %d%n",
                e.seq(), e.kind(), e.leaseId(), e.at(), e.tokens(), e.windowTokens()));
      }
    }
    return b.toString();
  }

  /** Copies the witness and the database out of the temporary directory, for a failure. */
  private static Path keep(Path witness, Path db) throws Exception {
    Path dir = Files.createTempDirectory(Path.of("target"), "budget-window-").toAbsolutePath();
    Files.copy(witness, dir.resolve("witness.log"));
    try (var c = java.sql.DriverManager.getConnection("jdbc:sqlite:" + db);
        var st = c.createStatement()) {
      st.execute("VACUUM INTO '" + dir.resolve("limiter.db") + "'");
    }
    return dir;
  }

  @Test
  void aProcessRunningWhenAnotherMigratesTheFile_refusesToGrant_namingBothVersions()
      throws Exception {
    Child running = start("steps", home.toString(), "openai");
    running.awaitOut("READY");
    running.write("go");
    running.next("OK");
    Path db = home.resolve("limiter.db");
    // A newer inflight migrates the file while the first one runs (here: by hand, to a V6 that
    // adds a rule this process does not know).
    try (var c = java.sql.DriverManager.getConnection("jdbc:sqlite:" + db);
        var st = c.createStatement()) {
      st.execute("ALTER TABLE limits ADD COLUMN a_rule_from_v6 INTEGER");
      st.execute("PRAGMA user_version = 6");
    }
    running.write("go");
    String refused = running.next("REFUSED");
    assertThat(refused)
        .contains(db.toString())
        .contains("changed to schema version 6 while this process ran")
        .contains("writes schema version 5 only")
        .contains("restart this process");
    running.closeStdin();
    assertThat(running.await().code()).isZero();
  }
}
