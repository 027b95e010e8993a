package dev.inflight.bench;

import dev.inflight.client.Lease;
import dev.inflight.client.LimitSpec;
import dev.inflight.client.Limiter;
import dev.inflight.store.ProcessIdentity;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The benchmark harness behind {@code bin/bench}: measures every figure in one run and prints one
 * {@code name value unit} line per figure on stdout (progress goes to stderr).
 *
 * <p>Usage: {@code Bench WORK_DIR [figure,...]}. WORK_DIR must be an empty scratch directory; the
 * config root is {@code WORK_DIR/home}, never the user's own. Multi-process figures start real
 * worker JVMs ({@link Worker}) with this JVM's classpath.
 */
public final class Bench {
  private static final Logger QUIET = quietLibraryLogging();
  private static final String EOF = "\u0000eof";
  private static final long START = System.nanoTime();

  /** Reclaim rounds stop starting after this (a slow round can take the 30 s heartbeat TTL). */
  private static final long RECLAIM_BUDGET_SECONDS = 215;

  private final Path work;
  private final Path home;
  private final Set<String> only;
  private Limiter limiter;

  private Bench(Path work, Set<String> only) {
    this.work = work;
    this.home = work.resolve("home");
    this.only = only;
  }

  /** The library logs queueing at INFO through java.util.logging; the benchmark wants quiet. */
  static Logger quietLibraryLogging() {
    Logger l = Logger.getLogger("dev.inflight");
    l.setLevel(Level.WARNING);
    return l;
  }

  public static void main(String[] args) throws Exception {
    if (args.length < 1) {
      System.err.println("usage: Bench WORK_DIR [figure,...]");
      System.exit(2);
    }
    if (!System.getProperty("os.name").toLowerCase(java.util.Locale.ROOT).contains("linux")) {
      // Hand-off and reclaim subtract System.nanoTime() readings of different processes: on Linux
      // that is CLOCK_MONOTONIC, shared by every process; elsewhere it need not be.
      System.err.println("bench: Linux only (cross-process System.nanoTime is CLOCK_MONOTONIC)");
      System.exit(2);
    }
    Set<String> only =
        args.length > 1 ? new HashSet<>(Arrays.asList(args[1].split(","))) : Set.of();
    long t0 = System.nanoTime();
    new Bench(Path.of(args[0]).toAbsolutePath(), only).run();
    progress("done in %.0f s; load average %s", (System.nanoTime() - t0) / 1e9, loadAverage());
    if (QUIET.getLevel() != Level.WARNING) {
      throw new AssertionError("logging level changed");
    }
  }

  private boolean wanted(String figure) {
    return only.isEmpty() || only.contains(figure);
  }

  private void run() throws Exception {
    Files.createDirectories(home);
    progress(
        "config root %s; %d cores; load average %s",
        home, Runtime.getRuntime().availableProcessors(), loadAverage());
    try (Limiter l = Limiter.builder().home(home).build()) {
      limiter = l;
      if (wanted("cycle")) {
        cycle();
      }
      if (wanted("handoff")) {
        handoff();
      }
      if (wanted("contended")) {
        contended();
      }
      if (wanted("idle")) {
        idleCpu();
      }
      if (wanted("queue")) {
        queueScaling();
      }
      if (wanted("open")) {
        openCurrent();
      }
      if (wanted("reclaim")) {
        reclaim();
      }
    }
  }

  // ------------------------------------------------------------------ cycle and floor

  /** Uncontended tryAcquire+release against the bare transaction, batches interleaved. */
  private void cycle() throws Exception {
    progress("cycle: uncontended acquire+release vs the bare SQLite floor");
    limiter.limits().set(LimitSpec.of("cycle", 4));
    Path floorHome = work.resolve("floor");
    Limiter.builder().home(floorHome).build().close(); // same migration, its own file
    try (Floor floor = new Floor(floorHome.resolve("limiter.db"))) {
      for (int i = 0; i < 3000; i++) {
        limiterCycle("cycle");
        floor.cycle("cycle", 4);
      }
      int rounds = 11;
      int batch = 1000;
      double[] lim = new double[rounds];
      double[] flo = new double[rounds];
      for (int r = 0; r < rounds; r++) {
        lim[r] = limiterBatchMicros("cycle", batch);
        long t = System.nanoTime();
        for (int i = 0; i < batch; i++) {
          if (!floor.cycle("cycle", 4)) {
            throw new IllegalStateException("floor found its provider full");
          }
        }
        flo[r] = (System.nanoTime() - t) / 1e3 / batch;
      }
      double c = Stats.median(lim);
      double f = Stats.median(flo);
      progress("  limiter batches us: %s", Arrays.toString(round(lim)));
      progress("  floor batches us:   %s", Arrays.toString(round(flo)));
      emit("cycle_us", c, "us");
      emit("floor_cycle_us", f, "us");
      emit("cycle_ratio", c / f, "x");
    }
  }

  private void limiterCycle(String provider) {
    Lease lease =
        limiter
            .tryAcquire(provider)
            .orElseThrow(() -> new IllegalStateException(provider + " was not free"));
    lease.release();
  }

  /** Mean microseconds of one acquire+release over {@code n} cycles. */
  private double limiterBatchMicros(String provider, int n) {
    long t = System.nanoTime();
    for (int i = 0; i < n; i++) {
      limiterCycle(provider);
    }
    return (System.nanoTime() - t) / 1e3 / n;
  }

  // ------------------------------------------------------------------ hand-off

  /** A (this JVM) holds the only slot, B (a worker) queues; A releases; B reports its grant. */
  private void handoff() throws Exception {
    progress("handoff: release in this JVM -> grant in a waiting worker JVM");
    limiter.limits().set(LimitSpec.of("handoff", 1));
    int warm = 30;
    int n = 300;
    double[] ms = new double[n];
    double[] releaseMs = new double[n];
    try (Child b = Child.start("handoff", home.toString(), "handoff")) {
      b.expect("ready", 30);
      for (int i = 0; i < warm + n; i++) {
        Lease a =
            limiter
                .tryAcquire("handoff", "handoff-a")
                .orElseThrow(() -> new IllegalStateException("A could not take the free slot"));
        b.send("go");
        b.expect("queued", 10);
        Thread.sleep(3 + ThreadLocalRandom.current().nextInt(5)); // B's threads go idle
        long t0 = System.nanoTime();
        a.release();
        long released = System.nanoTime();
        long t1 = Long.parseLong(b.expect("granted", 10).substring("granted ".length()));
        if (i >= warm) {
          ms[i - warm] = (t1 - t0) / 1e6;
          releaseMs[i - warm] = (released - t0) / 1e6;
        }
      }
    }
    progress(
        "  handoff ms: min %.3f p50 %.3f p90 %.3f p99 %.3f max %.3f",
        Stats.quantile(ms, 0),
        Stats.quantile(ms, 0.5),
        Stats.quantile(ms, 0.9),
        Stats.quantile(ms, 0.99),
        Stats.quantile(ms, 1));
    progress(
        "  of which A's release() call itself: p50 %.3f p99 %.3f (the rest is B learning of it)",
        Stats.quantile(releaseMs, 0.5), Stats.quantile(releaseMs, 0.99));
    emit("handoff_p50_ms", Stats.quantile(ms, 0.5), "ms");
    emit("handoff_p99_ms", Stats.quantile(ms, 0.99), "ms");
  }

  // ------------------------------------------------------------------ contention

  /** Four worker JVMs acquire/release one provider of limit 2 for ten seconds; a file witnesses. */
  private void contended() throws Exception {
    progress("contended: 4 worker JVMs, limit 2, 4 s warm-up then 10 s, witness file");
    int procs = 4;
    int limit = 2;
    long warmSeconds = 4;
    long seconds = 10;
    limiter.limits().set(LimitSpec.of("contended", limit));
    Path witness = work.resolve("witness.log");
    Files.deleteIfExists(witness);
    List<Child> children = new ArrayList<>();
    try {
      for (int i = 0; i < procs; i++) {
        children.add(Child.start("contend", home.toString(), "contended", witness.toString()));
      }
      for (Child c : children) {
        c.expect("ready", 30);
      }
      long from = System.nanoTime() + TimeUnit.SECONDS.toNanos(warmSeconds);
      long end = from + TimeUnit.SECONDS.toNanos(seconds);
      for (Child c : children) {
        c.send("go " + from + " " + end);
      }
      Thread.sleep(TimeUnit.SECONDS.toMillis(warmSeconds) + 1000);
      java.util.Map<String, Long> cpu0 = threadNanos(children);
      long w0 = System.nanoTime();
      Thread.sleep(5000);
      java.util.Map<String, Long> cpu1 = threadNanos(children);
      double total = 0;
      for (var e : cpu1.entrySet()) {
        total += e.getValue() - cpu0.getOrDefault(e.getKey(), 0L);
      }
      progress(
          "  workers used %.2f cores; busiest threads (all 4) over 5 s:%s",
          total / (System.nanoTime() - w0), busiest(cpu0, cpu1));
      long reported = 0;
      long counted = 0;
      for (Child c : children) {
        String[] done = c.expect("done", seconds + 60).split(" ");
        reported += Long.parseLong(done[1]);
        counted += Long.parseLong(done[2]);
      }
      Stats.Replay r = Stats.replay(Files.readAllLines(witness), limit);
      if (r.grants() != reported) {
        throw new IllegalStateException(
            "witness saw " + r.grants() + " grants, workers reported " + reported);
      }
      progress(
          "  grants %d, most held at once %d, violations %d",
          r.grants(), r.maxHeld(), r.violations());
      emit("contended_grants_per_s", (double) counted / seconds, "grants/s");
      emit("violations", r.violations(), "count");
    } finally {
      for (Child c : children) {
        c.close();
      }
    }
  }

  // ------------------------------------------------------------------ idle CPU

  /** CPU of a worker JVM with 100 requests queued behind a holder in another JVM, over 10 s. */
  private void idleCpu() throws Exception {
    progress("idle: CPU of a JVM with 100 queued waiters, 6 s warm-up then 10 s");
    limiter.limits().set(LimitSpec.of("idle", 1));
    try (Child holder = Child.start("hold", home.toString(), "idle", "1")) {
      holder.expect("held", 30);
      try (Child idler = Child.start("wait", home.toString(), "idle", "100");
          Child bare = Child.start("bare", home.toString())) {
        idler.expect("queued", 60);
        bare.expect("ready", 30);
        Thread.sleep(6000);
        long pid = idler.pid();
        java.util.Map<String, Long> threads0 = threadNanos(pid);
        long sched0 = schedNanos(pid);
        long stat0 = statNanos(pid);
        long bare0 = statNanos(bare.pid());
        long t0 = System.nanoTime();
        Thread.sleep(10_000);
        long sched1 = schedNanos(pid);
        java.util.Map<String, Long> threads1 = threadNanos(pid);
        long stat1 = statNanos(pid);
        long bare1 = statNanos(bare.pid());
        double wall = System.nanoTime() - t0;
        double bySched = 100.0 * (sched1 - sched0) / wall;
        double byStat = 100.0 * (stat1 - stat0) / wall;
        progress(
            "  idle CPU %% of a core: %.3f (per-thread schedstat, ns), %.3f (utime+stime, 10 ms ticks)",
            bySched, byStat);
        progress("  busiest threads over the 10 s:%s", busiest(threads0, threads1));
        emit("idle_cpu_pct", Math.max(bySched, byStat), "%");
        emit("idle_cpu_bare_jvm_pct", 100.0 * (bare1 - bare0) / wall, "%");
      }
    }
  }

  /** The threads that used most CPU between two {@link #threadNanos} readings. */
  private static String busiest(
      java.util.Map<String, Long> before, java.util.Map<String, Long> after) {
    StringBuilder top = new StringBuilder();
    after.entrySet().stream()
        .map(
            e ->
                java.util.Map.entry(e.getKey(), e.getValue() - before.getOrDefault(e.getKey(), 0L)))
        .filter(e -> e.getValue() > 0)
        .sorted(java.util.Map.Entry.<String, Long>comparingByValue().reversed())
        .limit(8)
        .forEach(
            e ->
                top.append(
                    String.format(
                        java.util.Locale.ROOT, " %s=%.1fms", e.getKey(), e.getValue() / 1e6)));
    return top.toString();
  }

  private static java.util.Map<String, Long> threadNanos(List<Child> children) throws IOException {
    java.util.Map<String, Long> out = new java.util.TreeMap<>();
    for (Child c : children) {
      threadNanos(c.pid()).forEach((k, v) -> out.merge(k, v, Long::sum));
    }
    return out;
  }

  /** On-CPU nanoseconds of the process's live threads, summed by thread name. */
  private static java.util.Map<String, Long> threadNanos(long pid) throws IOException {
    java.util.Map<String, Long> out = new java.util.TreeMap<>();
    try (DirectoryStream<Path> tasks =
        Files.newDirectoryStream(Path.of("/proc/" + pid + "/task"))) {
      for (Path t : tasks) {
        try {
          String name = Files.readString(t.resolve("comm")).trim();
          long ns = Long.parseLong(Files.readString(t.resolve("schedstat")).trim().split(" ")[0]);
          out.merge(name, ns, Long::sum);
        } catch (IOException e) {
          // the thread ended between listing and reading
        }
      }
    }
    return out;
  }

  /** Sum of on-CPU nanoseconds of the process's live threads. */
  private static long schedNanos(long pid) throws IOException {
    long sum = 0;
    try (DirectoryStream<Path> tasks =
        Files.newDirectoryStream(Path.of("/proc/" + pid + "/task"))) {
      for (Path t : tasks) {
        try {
          sum += Long.parseLong(Files.readString(t.resolve("schedstat")).trim().split(" ")[0]);
        } catch (IOException e) {
          // the thread ended between listing and reading
        }
      }
    }
    return sum;
  }

  /** utime+stime of the whole process (threads that ended included), in nanoseconds. */
  private static long statNanos(long pid) {
    return ProcessHandle.of(pid)
        .flatMap(p -> p.info().totalCpuDuration())
        .map(Duration::toNanos)
        .orElseThrow(() -> new IllegalStateException("no CPU time for pid " + pid));
  }

  // ------------------------------------------------------------------ reclaim

  /** kill -9 of a worker holding the only slot, while this JVM waits for it. */
  private void reclaim() throws Exception {
    progress("reclaim: kill -9 of a holder -> grant here");
    limiter.limits().set(LimitSpec.of("reclaim", 1));
    int rounds = 5;
    List<Double> ms = new ArrayList<>();
    for (int r = 0; r < rounds; r++) {
      if ((System.nanoTime() - START) / 1e9 > RECLAIM_BUDGET_SECONDS) {
        progress("  stopping after %d rounds to stay within the time budget", r);
        break;
      }
      try (Child victim = Child.start("hold", home.toString(), "reclaim", "1")) {
        victim.expect("held", 30);
        long heldAt = System.nanoTime();
        CompletableFuture<Lease> f =
            limiter.acquireAsync("reclaim", "reclaimer", Duration.ofSeconds(40));
        Thread.sleep(300); // the dispatcher's first pass starts watching the holder's lock file
        if (f.isDone()) {
          throw new IllegalStateException("granted before the holder died");
        }
        String token = ProcessIdentity.startTokenOf(victim.pid()).orElse("unknown");
        CompletableFuture<Long> grantedAt = f.thenApply(lease -> System.nanoTime());
        long t0 = System.nanoTime();
        victim.kill9();
        double aliveMs = looksAliveMs(victim.pid(), token, t0);
        Lease lease;
        try {
          lease = f.get(45, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
          throw new IllegalStateException("no grant after kill -9 of the holder", e.getCause());
        }
        double took = (grantedAt.get() - t0) / 1e6;
        ms.add(took);
        if (took > 1000) {
          progress(
              "  round %d: %.0f ms; the holder had been alive %.1f s: its death was missed and only"
                  + " its heartbeat TTL (30 s after registering) reclaimed it",
              r, took, (t0 - heldAt) / 1e9 + 0.0);
        }
        progress(
            "  round %d: granted after %.1f ms; ProcessIdentity.isAlive was still true %.2f ms"
                + " after SIGKILL",
            r, took, aliveMs);
        lease.close();
      }
    }
    double[] all = ms.stream().mapToDouble(Double::doubleValue).toArray();
    progress("  reclaim ms: %s", Arrays.toString(round(all)));
    emit("reclaim_ms", Stats.median(all), "ms");
    emit("reclaim_max_ms", Stats.quantile(all, 1), "ms");
    emit("reclaim_rounds", all.length, "rounds");
  }

  /**
   * How long after {@code killedAt} the store's own liveness test still calls the process alive
   * (exiting, then a zombie until its parent reaps it). Polls for at most 2 s.
   */
  private static double looksAliveMs(long pid, String token, long killedAt) {
    long limit = killedAt + TimeUnit.SECONDS.toNanos(2);
    long now = System.nanoTime();
    while (now < limit && ProcessIdentity.isAlive(pid, token)) {
      now = System.nanoTime();
    }
    return (now - killedAt) / 1e6;
  }

  // ------------------------------------------------------------------ queue scaling

  /** Cycle cost with 10,000 requests queued on 100 other providers, against none. */
  private void queueScaling() throws Exception {
    progress("queue: cycle cost with 10,000 waiters on other providers / none");
    limiter.limits().set(LimitSpec.of("scaling", 4));
    int providers = 100;
    int per = 100;
    for (int p = 0; p < providers; p++) {
      limiter.limits().set(LimitSpec.of("q" + p, 1));
    }
    int rounds = 7;
    int batch = 1000;
    limiterBatchMicros("scaling", 3000);
    double[] none = batches("scaling", rounds, batch);
    double[] loaded;
    double[] stopped;
    try (Child q = Child.start("queue", home.toString(), "q", "" + providers, "" + per)) {
      q.expect("queued", 240);
      Thread.sleep(2000);
      loaded = batches("scaling", rounds, batch);
      signal("STOP", q.pid()); // the waiting process's reaction off: the database's own cost
      try {
        Thread.sleep(200);
        stopped = batches("scaling", rounds, batch);
      } finally {
        signal("CONT", q.pid());
      }
    }
    double base = Stats.median(none);
    progress("  none us:    %s", Arrays.toString(round(none)));
    progress("  10k us:     %s", Arrays.toString(round(loaded)));
    progress("  10k, waiting JVM stopped us: %s", Arrays.toString(round(stopped)));
    emit("queue_scaling_ratio", Stats.median(loaded) / base, "x");
    emit("queue_scaling_db_ratio", Stats.median(stopped) / base, "x");
  }

  private double[] batches(String provider, int rounds, int batch) {
    double[] us = new double[rounds];
    for (int r = 0; r < rounds; r++) {
      us[r] = limiterBatchMicros(provider, batch);
    }
    return us;
  }

  private static void signal(String sig, long pid) throws Exception {
    int rc =
        new ProcessBuilder("kill", "-" + sig, Long.toString(pid)).inheritIO().start().waitFor();
    if (rc != 0) {
      throw new IllegalStateException("kill -" + sig + " " + pid + " failed");
    }
  }

  // ------------------------------------------------------------------ opening

  /** build() + first status() on a current database: repeated in this JVM, and in fresh JVMs. */
  private void openCurrent() throws Exception {
    progress("open: build() + status() of a current database");
    int warm = 5;
    int n = 20;
    double[] ms = new double[n];
    for (int i = 0; i < warm + n; i++) {
      long t0 = System.nanoTime();
      try (Limiter l = Limiter.builder().home(home).build()) {
        l.status();
        if (i >= warm) {
          ms[i - warm] = (System.nanoTime() - t0) / 1e6;
        }
      }
    }
    int fresh = 5;
    double[] freshMs = new double[fresh];
    double[] wholeMs = new double[fresh];
    for (int i = 0; i < fresh; i++) {
      long t0 = System.nanoTime();
      try (Child c = Child.start("open", home.toString())) {
        freshMs[i] = Long.parseLong(c.expect("open", 60).substring("open ".length())) / 1e6;
        c.process.waitFor(30, TimeUnit.SECONDS);
      }
      wholeMs[i] = (System.nanoTime() - t0) / 1e6;
    }
    progress("  repeated opens ms: %s", Arrays.toString(round(ms)));
    progress(
        "  fresh JVM ms: %s (whole process %s)",
        Arrays.toString(round(freshMs)), Arrays.toString(round(wholeMs)));
    emit("open_current_ms", Stats.median(ms), "ms");
    emit("open_current_fresh_jvm_ms", Stats.median(freshMs), "ms");
  }

  // ------------------------------------------------------------------ output

  /** The 1, 5 and 15 minute load averages: how noisy the machine was around the figures. */
  private static String loadAverage() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split(" ");
      return f[0] + " " + f[1] + " " + f[2];
    } catch (IOException e) {
      return "unknown";
    }
  }

  private static void emit(String name, double value, String unit) {
    System.out.println(Stats.line(name, value, unit));
    System.out.flush();
  }

  static void progress(String format, Object... args) {
    System.err.printf(java.util.Locale.ROOT, "bench %5.1fs: ", (System.nanoTime() - START) / 1e9);
    System.err.println(String.format(java.util.Locale.ROOT, format, args));
  }

  private static double[] round(double[] v) {
    double[] r = new double[v.length];
    for (int i = 0; i < v.length; i++) {
      r[i] = Math.round(v[i] * 1000) / 1000.0;
    }
    return r;
  }

  // ------------------------------------------------------------------ worker JVMs

  /** A worker JVM: lines to its stdin, lines from its stdout (read on a thread, with timeouts). */
  static final class Child implements AutoCloseable {
    final Process process;
    private final PrintWriter in;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final String role;

    private Child(String role, Process process) {
      this.role = role;
      this.process = process;
      this.in = new PrintWriter(process.getOutputStream(), true, StandardCharsets.UTF_8);
      Thread t =
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
                  // the worker is gone
                } finally {
                  lines.add(EOF);
                }
              },
              "bench-" + role + "-stdout");
      t.setDaemon(true);
      t.start();
    }

    static Child start(String role, String... args) throws IOException {
      List<String> cmd = new ArrayList<>();
      cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
      cmd.add("-cp");
      cmd.add(System.getProperty("java.class.path"));
      cmd.add(Worker.class.getName());
      cmd.add(role);
      cmd.addAll(Arrays.asList(args));
      ProcessBuilder pb = new ProcessBuilder(cmd);
      pb.redirectError(ProcessBuilder.Redirect.INHERIT);
      return new Child(role, pb.start());
    }

    long pid() {
      return process.pid();
    }

    void send(String line) {
      in.println(line);
    }

    /** The next line, which must start with {@code word}. */
    String expect(String word, long timeoutSeconds) throws InterruptedException {
      String line = lines.poll(timeoutSeconds, TimeUnit.SECONDS);
      if (line == null || line.equals(EOF) || !line.startsWith(word)) {
        throw new IllegalStateException(
            "worker '"
                + role
                + "' (pid "
                + process.pid()
                + ") sent "
                + (line == null
                    ? "nothing within " + timeoutSeconds + "s"
                    : line.equals(EOF) ? "no more output" : "'" + line + "'")
                + " where '"
                + word
                + "' was expected");
      }
      return line;
    }

    /** SIGKILL: the JVM gets no chance to release or deregister. */
    void kill9() {
      process.destroyForcibly();
    }

    @Override
    public void close() throws InterruptedException {
      if (process.isAlive()) {
        in.println("quit");
        in.close();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
          process.destroyForcibly();
          process.waitFor(10, TimeUnit.SECONDS);
        }
      }
    }
  }
}
