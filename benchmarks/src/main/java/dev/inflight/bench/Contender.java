package dev.inflight.bench;

import dev.inflight.client.Lease;
import dev.inflight.client.LeaseRequest;
import dev.inflight.client.Limiter;
import dev.inflight.client.WaitStats;
import java.io.BufferedReader;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.locks.LockSupport;

/**
 * The contenders of the contended figure, in a worker JVM: one through the limiter, one through the
 * bare protocol of {@link Floor}. Both run the same loop (ask, witness, hold 0–2 ms, witness,
 * release) until the harness's end instant, and count what happened between its start and end
 * instants ({@code go FROM END} on stdin, {@link System#nanoTime()} readings).
 *
 * <p>Each reports {@code done ALL COUNTED}, then {@code waits W...} (nanoseconds from the acquire
 * call to holding, of each grant counted), then {@code waitstats WAKEUPS QUEUED_GRANTS SIGNALS}:
 * for the limiter, {@link Limiter#waitStats()} read at the window's start and end instants; for the
 * floor, its polls after the first attempt and its grants that needed more than one attempt
 * (signals: none, it cannot be woken).
 */
final class Contender {
  private static final Duration TIMEOUT = Duration.ofSeconds(60);

  private Contender() {}

  /** Through the limiter: acquireAsync (the queue insert happens in this call), then wait. */
  static void limiter(
      Limiter limiter, String provider, Path witness, BufferedReader in, PrintStream out)
      throws Exception {
    try (Witness w = new Witness(witness)) {
      out.println("ready");
      Tally t = new Tally(in.readLine());
      // Read at the window's two instants by a thread of its own: the main thread may be waiting
      // for a lease right then (longer than the whole window, under heavy contention).
      WaitStats[] window = new WaitStats[2];
      Thread clock =
          new Thread(
              () -> {
                sleepUntil(t.from);
                window[0] = limiter.waitStats();
                sleepUntil(t.end);
                window[1] = limiter.waitStats();
              },
              "bench-window");
      clock.start();
      String prefix = ProcessHandle.current().pid() + "-";
      // "provider|model|model": the requests take the models in turn (the limit model's figure).
      String[] key = provider.split("\\|");
      long seq = 0;
      while (System.nanoTime() < t.end) {
        String label = prefix + seq;
        String model = key.length == 1 ? "" : key[1 + (int) (seq % (key.length - 1))];
        seq++;
        w.line("E " + label);
        long asked = System.nanoTime();
        CompletableFuture<Lease> f =
            limiter.acquireAsync(LeaseRequest.of(key[0], model).label(label), TIMEOUT);
        w.line("Q " + label);
        Lease lease = f.get();
        long held = System.nanoTime();
        if (lease.id() <= 0) {
          throw new IllegalStateException("a lease with no id: the limiter failed open");
        }
        w.line("+ " + label + " " + lease.id());
        t.grant(asked, held, 0);
        holdLikeARequest();
        w.line("- " + label);
        lease.close();
      }
      clock.join(); // happens-before: window[] is read only after the thread wrote it
      t.report(
          out,
          window[1].wakeups() - window[0].wakeups(),
          window[1].queuedGrants() - window[0].queuedGrants(),
          window[1].signals() - window[0].signals());
    }
  }

  /** Parks until {@link System#nanoTime()} reaches {@code instant}. */
  static void sleepUntil(long instant) {
    long left;
    while ((left = instant - System.nanoTime()) > 0) {
      LockSupport.parkNanos(left);
    }
  }

  /** Through the bare protocol: one attempt, then one every ~1 ms until granted. */
  static void floor(
      Path db, String provider, int limit, Path witness, BufferedReader in, PrintStream out)
      throws Exception {
    try (Floor floor = new Floor(db);
        Witness w = new Witness(witness)) {
      floor.release(floor.tryGrant(provider + "-warm", 1)); // prepares the native side
      out.println("ready");
      Tally t = new Tally(in.readLine());
      String prefix = ProcessHandle.current().pid() + "-";
      long seq = 0;
      while (System.nanoTime() < t.end) {
        String label = prefix + seq++;
        w.line("E " + label);
        long asked = System.nanoTime();
        long id = floor.tryGrant(provider, limit);
        w.line("Q " + label); // in line as the limiter's request is: it has asked once
        int polls = 0;
        while (id == 0) {
          LockSupport.parkNanos(1_000_000L);
          polls++;
          id = floor.tryGrant(provider, limit);
        }
        long held = System.nanoTime();
        w.line("+ " + label + " " + id);
        t.grant(asked, held, polls);
        holdLikeARequest();
        w.line("- " + label);
        floor.release(id);
      }
      t.report(out, t.polls, t.polledGrants, 0);
    }
  }

  /** The simulated request: held for a uniformly random 0–2 ms, the same for both contenders. */
  private static void holdLikeARequest() {
    long nanos = ThreadLocalRandom.current().nextLong(2_000_001L);
    if (nanos > 0) {
      LockSupport.parkNanos(nanos);
    }
  }

  /** What one contender counted inside the harness's window. */
  private static final class Tally {
    final long from;
    final long end;
    long all;
    int counted;
    long[] waits = new long[1 << 14];
    long polls;
    long polledGrants;

    Tally(String go) {
      String[] cmd = go.split(" ");
      if (cmd.length != 3 || !cmd[0].equals("go")) {
        throw new IllegalArgumentException("expected 'go FROM END' (was " + go + ")");
      }
      from = Long.parseLong(cmd[1]); // counting starts here (JIT warm-up before)
      end = Long.parseLong(cmd[2]);
    }

    void grant(long asked, long held, int pollsMade) {
      all++;
      if (held < from || held >= end) {
        return;
      }
      if (counted == waits.length) {
        waits = Arrays.copyOf(waits, counted * 2);
      }
      waits[counted++] = held - asked;
      if (pollsMade > 0) {
        polls += pollsMade;
        polledGrants++;
      }
    }

    void report(PrintStream out, long wakeups, long queuedGrants, long signals) {
      out.println("done " + all + " " + counted);
      StringBuilder b = new StringBuilder(counted * 8).append("waits");
      for (int i = 0; i < counted; i++) {
        b.append(' ').append(waits[i]);
      }
      out.println(b);
      out.println("waitstats " + wakeups + " " + queuedGrants + " " + signals);
    }
  }

  /** The witness: one {@code write(2)} per line on an O_APPEND file, so lines never interleave. */
  static final class Witness implements AutoCloseable {
    private final FileOutputStream out;

    Witness(Path file) throws IOException {
      out = new FileOutputStream(file.toFile(), true);
    }

    void line(String line) throws IOException {
      out.write((line + "\n").getBytes(StandardCharsets.US_ASCII));
    }

    @Override
    public void close() throws IOException {
      out.close();
    }
  }
}
