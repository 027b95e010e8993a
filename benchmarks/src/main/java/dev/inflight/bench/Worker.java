package dev.inflight.bench;

import dev.inflight.client.Lease;
import dev.inflight.client.Limiter;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.LockSupport;

/**
 * A worker JVM started by {@link Bench}: one role, one limiter on the config root it is given (or,
 * for the floor's roles, one bare connection to the floor's database). It talks to the harness
 * through lines on stdin/stdout and, for the witness, through one file opened with O_APPEND.
 *
 * <p>Timestamps it reports are {@link System#nanoTime()}: on Linux that is CLOCK_MONOTONIC, one
 * clock for every process on the machine, so the harness may subtract its own readings from them.
 * This does not hold on every OS; the harness refuses to run anywhere but Linux.
 */
public final class Worker {
  private static final java.util.logging.Logger QUIET = Bench.quietLibraryLogging();

  private Worker() {}

  public static void main(String[] args) throws Exception {
    String role = args[0];
    Path root = Path.of(args[1]);
    BufferedReader in =
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
    switch (role) {
      case "bare" -> {
        out.println("ready"); // a JVM with no limiter: the idle baseline
        in.readLine();
        return;
      }
      case "open" -> {
        long t0 = System.nanoTime();
        try (Limiter limiter = Limiter.builder().home(root).build()) {
          limiter.status();
          out.println("open " + (System.nanoTime() - t0));
        }
        return;
      }
      case "floor-contend" -> {
        // root is the floor's database file here, not a config root
        Contender.floor(root, args[2], Integer.parseInt(args[3]), Path.of(args[4]), in, out);
        return;
      }
      case "floor-handoff" -> {
        floorHandoff(root, args[2], in, out);
        return;
      }
      case "pg-spin" -> {
        PgWorker.spin(args, in, out);
        return;
      }
      case "pg-handoff" -> {
        PgWorker.handoff(args, in, out);
        return;
      }
      default -> {}
    }
    try (Limiter limiter = Limiter.builder().home(root).build()) {
      switch (role) {
        case "handoff" -> handoff(limiter, args[2], in, out);
        case "contend" -> Contender.limiter(limiter, args[2], Path.of(args[3]), in, out);
        case "hold" -> hold(limiter, args[2], Integer.parseInt(args[3]), in, out);
        case "budget" -> budget(limiter, args[2], Path.of(args[3]), Integer.parseInt(args[4]), out);
        case "wait" -> waitBehind(limiter, args[2], Integer.parseInt(args[3]), in, out);
        case "queue" ->
            queue(limiter, args[2], Integer.parseInt(args[3]), Integer.parseInt(args[4]), in, out);
        default -> throw new IllegalArgumentException("unknown role " + role);
      }
    }
  }

  /**
   * B of the hand-off (and the waiter of the hand edit): queue behind A on "go", report the instant
   * the lease arrived.
   */
  private static void handoff(Limiter limiter, String provider, BufferedReader in, PrintStream out)
      throws Exception {
    limiter.status(); // registers nothing, but loads the classes the timed path needs
    out.println("ready");
    String cmd;
    while ((cmd = in.readLine()) != null && cmd.equals("go")) {
      CompletableFuture<Lease> f = limiter.acquireAsync(provider, "handoff-b");
      if (f.isDone()) {
        throw new IllegalStateException("B was granted at once: A did not hold the lease");
      }
      out.println("queued");
      Lease lease = f.get();
      long t1 = System.nanoTime();
      lease.close();
      out.println("granted " + t1);
    }
  }

  /**
   * B of the floor's hand-off: on "go", poll the bare protocol (one attempt, then one every ~1 ms)
   * until A's row is gone and B's is in; report the instant B's row committed.
   */
  private static void floorHandoff(Path db, String provider, BufferedReader in, PrintStream out)
      throws Exception {
    try (Floor floor = new Floor(db)) {
      floor.release(floor.tryGrant(provider, Integer.MAX_VALUE)); // warms the statements
      out.println("ready");
      String cmd;
      while ((cmd = in.readLine()) != null && cmd.equals("go")) {
        long id = floor.tryGrant(provider, 1);
        if (id != 0) {
          throw new IllegalStateException("floor B was granted at once: A did not hold the row");
        }
        out.println("queued");
        while (id == 0) {
          LockSupport.parkNanos(1_000_000L);
          id = floor.tryGrant(provider, 1);
        }
        long t1 = System.nanoTime();
        floor.release(id);
        out.println("granted " + t1);
      }
    }
  }

  /** Holds {@code count} leases of {@code provider} until told to quit (or killed). */
  /**
   * The budget figure: takes and releases leases of {@code provider} as fast as they come for
   * {@code seconds}; writes {@code + WALL_MS_AFTER_GRANT ACQUIRED_AT_MS} per grant to the witness.
   */
  private static void budget(
      Limiter limiter, String provider, Path witness, int seconds, PrintStream out)
      throws Exception {
    long end = System.nanoTime() + seconds * 1_000_000_000L;
    try (Contender.Witness w = new Contender.Witness(witness)) {
      for (long left; (left = end - System.nanoTime()) > 0; ) {
        Lease lease;
        try {
          lease = limiter.acquire(provider, java.time.Duration.ofNanos(left));
        } catch (dev.inflight.client.LeaseTimeoutException e) {
          break; // the window was full when the run ended
        }
        w.line("+ " + System.currentTimeMillis() + " " + lease.acquiredAt().toEpochMilli());
        lease.close();
      }
    }
    out.println("done");
  }

  private static void hold(
      Limiter limiter, String provider, int count, BufferedReader in, PrintStream out)
      throws Exception {
    List<Lease> leases = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      leases.add(
          limiter
              .tryAcquire(provider, "holder")
              .orElseThrow(() -> new IllegalStateException("holder found " + provider + " full")));
    }
    out.println("held");
    in.readLine();
    leases.forEach(Lease::close);
  }

  /** Queues {@code count} requests for {@code provider} and waits, idle, until told to quit. */
  private static void waitBehind(
      Limiter limiter, String provider, int count, BufferedReader in, PrintStream out)
      throws Exception {
    List<CompletableFuture<Lease>> waiting = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      waiting.add(limiter.acquireAsync(provider, "idle-" + i));
    }
    if (waiting.stream().anyMatch(CompletableFuture::isDone)) {
      throw new IllegalStateException("a queued request was granted: the holder did not hold");
    }
    out.println("queued " + waiting.size());
    in.readLine(); // closing the limiter then leaves every queue in one transaction
  }

  /**
   * Holds one lease of each of {@code providers} providers named {@code prefix0..} (limit 1) and
   * queues {@code perProvider} requests behind each, then waits until told to quit.
   */
  private static void queue(
      Limiter limiter,
      String prefix,
      int providers,
      int perProvider,
      BufferedReader in,
      PrintStream out)
      throws Exception {
    List<Lease> held = new ArrayList<>();
    for (int p = 0; p < providers; p++) {
      String name = prefix + p;
      held.add(
          limiter
              .tryAcquire(name, "queue-holder")
              .orElseThrow(() -> new IllegalStateException(name + " was not free")));
    }
    List<CompletableFuture<Lease>> waiting = new ArrayList<>();
    for (int i = 0; i < perProvider; i++) {
      for (int p = 0; p < providers; p++) {
        waiting.add(limiter.acquireAsync(prefix + p, "queued-" + i));
      }
    }
    if (waiting.stream().anyMatch(CompletableFuture::isDone)) {
      throw new IllegalStateException("a queued request was granted: the holders did not hold");
    }
    out.println("queued " + waiting.size());
    in.readLine(); // closing the limiter then leaves every queue in one transaction
    held.forEach(Lease::close);
  }
}
