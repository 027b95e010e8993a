package dev.inflight.client;

import dev.inflight.testing.SharedClock;
import dev.inflight.testing.Witness;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * A child JVM for {@code LimitModelMultiProcessTest}: it takes leases under the limit model and
 * writes what it held to a witness file (never the limiter's counts).
 *
 * <ul>
 *   <li>{@code mix HOME PROVIDER COUNT WITNESS SEED MODEL...}: COUNT requests, each for one of the
 *       models at random, of weight 1 or 2 and class interactive or batch; witness lines {@code +
 *       label leaseId model weight} and {@code - label}.
 *   <li>{@code ask HOME KEY PRIORITY LABEL CLOCK WITNESS}: one request on the shared clock; prints
 *       QUEUED or GRANTED, writes {@code + LABEL leaseId}, holds until a line on stdin.
 *   <li>{@code steps HOME PROVIDER}: for each line on stdin, takes and releases a lease; prints OK,
 *       or REFUSED and the error's message.
 *   <li>{@code budget HOME PROVIDER COUNT WITNESS SEED CLOCK}: COUNT requests on the shared clock,
 *       each expecting 150 to 350 tokens and reporting as used all of them (even requests: four
 *       such starts can fill a window, so the token budget binds) or half (odd ones: the release
 *       frees the rest); witness lines {@code + label leaseId startMs tokens beforeMs afterMs} and
 *       {@code - label used}.
 * </ul>
 */
public final class LimitModelWorker {
  private LimitModelWorker() {}

  public static void main(String[] args) throws Exception {
    Path home = Path.of(args[1]);
    switch (args[0]) {
      case "mix" ->
          mix(
              home,
              args[2],
              Integer.parseInt(args[3]),
              Path.of(args[4]),
              Long.parseLong(args[5]),
              List.of(args).subList(6, args.length));
      case "ask" -> ask(home, args[2], Priority.parse(args[3]), args[4], args[5], Path.of(args[6]));
      case "budget" ->
          budget(
              home,
              args[2],
              Integer.parseInt(args[3]),
              Path.of(args[4]),
              Long.parseLong(args[5]),
              Path.of(args[6]));
      case "steps" -> steps(home, args[2]);
      default -> throw new IllegalArgumentException("unknown mode " + args[0]);
    }
  }

  private static void say(String line) {
    System.out.println(line);
    System.out.flush();
  }

  private static void mix(
      Path home, String provider, int count, Path witness, long seed, List<String> models)
      throws Exception {
    long pid = ProcessHandle.current().pid();
    Random rnd = new Random(seed);
    try (Witness w = Witness.append(witness);
        Limiter l = Limiter.builder().home(home).build()) {
      for (int i = 0; i < count; i++) {
        String label = pid + "-" + i;
        String model = models.get(rnd.nextInt(models.size()));
        int weight = 1 + rnd.nextInt(2);
        Priority p = rnd.nextBoolean() ? Priority.INTERACTIVE : Priority.BATCH;
        w.line("E " + label);
        Lease lease =
            l.acquireAsync(
                    LeaseRequest.of(provider, model).weight(weight).priority(p).label(label),
                    Duration.ofMinutes(2))
                .get(3, TimeUnit.MINUTES);
        w.line("+ " + label + " " + lease.id() + " " + model + " " + weight);
        long holdNanos = rnd.nextInt(1_500_000);
        if (holdNanos > 0) {
          LockSupport.parkNanos(holdNanos); // the simulated request: workload, not a test wait
        }
        w.line("- " + label);
        lease.close();
      }
      say("DONE");
    }
  }

  private static void steps(Path home, String provider) throws Exception {
    try (Limiter l = Limiter.builder().home(home).build();
        java.io.BufferedReader in =
            new java.io.BufferedReader(
                new java.io.InputStreamReader(
                    System.in, java.nio.charset.StandardCharsets.UTF_8))) {
      say("READY");
      while (in.readLine() != null) {
        try {
          l.acquire(provider, Duration.ofSeconds(30)).release();
          say("OK");
        } catch (LimiterException e) {
          say("REFUSED " + e.getMessage());
        }
      }
    }
  }

  private static Limiter onClock(Path home, SharedClock clock) {
    return Limiter.builder()
        .home(home)
        .clock(clock)
        .ticker(clock)
        .staleAfter(Duration.ofHours(6))
        .build();
  }

  private static void ask(
      Path home, String key, Priority priority, String label, String clockFile, Path witness)
      throws Exception {
    try (SharedClock clock = SharedClock.open(Path.of(clockFile));
        Witness w = Witness.append(witness);
        Limiter l =
            Limiter.builder()
                .home(home)
                .clock(clock)
                .ticker(clock)
                .staleAfter(Duration.ofHours(6))
                .listener(
                    new LimiterListener() {
                      @Override
                      public void queued(String p, String lab, int position, int ahead) {
                        say("QUEUED " + position);
                      }
                    })
                .build()) {
      Lease lease =
          l.acquireAsync(LeaseRequest.of(key).priority(priority).label(label), null)
              .get(3, TimeUnit.MINUTES);
      w.line("+ " + label + " " + lease.id());
      say("GRANTED " + label);
      System.in.read(); // hold until the test says
      w.line("- " + label);
      lease.close();
      say("RELEASED");
    }
  }

  private static void budget(
      Path home, String provider, int count, Path witness, long seed, Path clockFile)
      throws Exception {
    long pid = ProcessHandle.current().pid();
    Random rnd = new Random(seed);
    try (SharedClock clock = SharedClock.open(clockFile);
        Witness w = Witness.append(witness);
        Limiter l = onClock(home, clock)) {
      for (int i = 0; i < count; i++) {
        String label = pid + "-" + i;
        long tokens = 150 + rnd.nextInt(201);
        long before = clock.millis();
        w.line("E " + label);
        Lease lease =
            l.acquireAsync(LeaseRequest.of(provider).tokens(tokens).label(label), null)
                .get(3, TimeUnit.MINUTES);
        long after = clock.millis();
        w.line(
            "+ "
                + label
                + " "
                + lease.id()
                + " "
                + lease.acquiredAt().toEpochMilli()
                + " "
                + tokens
                + " "
                + before
                + " "
                + after);
        long used = i % 2 == 0 ? tokens : tokens / 2;
        w.line("- " + label + " " + used);
        lease.release(Outcome.SUCCEEDED, used);
      }
      say("DONE");
    }
  }
}
