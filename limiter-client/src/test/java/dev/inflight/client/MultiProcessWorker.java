package dev.inflight.client;

import dev.inflight.testing.Witness;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * A separate JVM for {@link MultiProcessTest}: takes leases through the library and reports on
 * stdout, and (in {@code cycles} mode) appends to a witness file that the test replays to check the
 * limit and FIFO order independently of the limiter's own bookkeeping.
 */
public final class MultiProcessWorker {
  private MultiProcessWorker() {}

  public static void main(String[] args) throws Exception {
    java.util.logging.LogManager.getLogManager().reset(); // keep stdout/stderr for the protocol
    String mode = args[0];
    Path home = Path.of(args[1]);
    switch (mode) {
      case "open" -> {
        try (Limiter l = Limiter.builder().home(home).build()) {
          l.status();
          System.out.println("OK");
        }
      }
      case "hold" -> {
        Limiter l =
            Limiter.builder()
                .home(home)
                .heartbeatInterval(Duration.ofMinutes(5))
                .staleAfter(Duration.ofMinutes(10))
                .build();
        Lease lease = l.acquire(args[2], "holder", Duration.ofMinutes(2));
        System.out.println("HELD " + lease.id());
        System.out.flush();
        Thread.currentThread().join(); // until killed
      }
      case "wait" -> {
        Limiter l =
            Limiter.builder()
                .home(home)
                .listener(
                    new LimiterListener() {
                      @Override
                      public void queued(String provider, String label, int position, int ahead) {
                        System.out.println("QUEUED " + position);
                        System.out.flush();
                      }
                    })
                .build();
        Lease lease =
            l.acquire(args[2], args.length > 3 ? args[3] : "waiter", Duration.ofMinutes(2));
        System.out.println("GRANTED " + lease.id());
        System.out.flush();
        ReleaseResult released = lease.release();
        System.out.println("RELEASED " + released);
        System.out.flush();
        l.close();
      }
      case "rate-limited" -> {
        try (Limiter l = Limiter.builder().home(home).build()) {
          Lease lease = l.acquire(args[2], "got-429", Duration.ofMinutes(2));
          lease.releaseRateLimited(Duration.ofHours(1));
          System.out.println("RATE_LIMITED " + lease.id());
          System.out.flush();
        }
      }
      case "nest" -> nest(home, args[2]);
      case "try" -> {
        try (Limiter l = Limiter.builder().home(home).build()) {
          Optional<Lease> lease = l.tryAcquire(args[2], "sibling");
          System.out.println(lease.isPresent() ? "TRY granted " + lease.get() : "TRY busy");
          System.out.flush();
        }
      }
      case "cycles" ->
          cycles(
              home, args[2], Integer.parseInt(args[3]), Path.of(args[4]), Long.parseLong(args[5]));
      default -> throw new IllegalArgumentException("unknown mode " + mode);
    }
  }

  /**
   * Holds a lease of {@code provider} and runs a child JVM ("wait" mode, with the lease's child
   * environment) that asks for the same provider; reports the child's answer, then whether this
   * process still holds its own lease. Prints the token for the test's non-descendant sibling.
   */
  private static void nest(Path home, String provider) throws Exception {
    try (Limiter l = Limiter.builder().home(home).build();
        Lease lease = l.acquire(provider, "parent", Duration.ofMinutes(2))) {
      System.out.println(
          "HELD " + lease.id() + " " + lease.childEnvironment().get("INFLIGHT_LEASE_TOKEN"));
      System.out.flush();
      ProcessBuilder pb =
          new ProcessBuilder(
              dev.inflight.testing.Jvm.command(
                  MultiProcessWorker.class.getName(), "wait", home.toString(), provider, "child"));
      pb.environment().putAll(lease.childEnvironment());
      pb.redirectErrorStream(true);
      Process child = pb.start();
      String out = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      System.out.println("CHILD exit " + child.waitFor() + ": " + out.strip().replace('\n', '|'));
      boolean stillHeld = l.status().leases().stream().anyMatch(i -> i.id() == lease.id());
      System.out.println("STILL_HELD " + stillHeld);
      System.out.flush();
      System.in.read(); // hold until told
    }
  }

  private static void cycles(Path home, String provider, int count, Path witness, long seed)
      throws Exception {
    long pid = ProcessHandle.current().pid();
    Random rnd = new Random(seed);
    try (Witness w = Witness.append(witness);
        Limiter l =
            Limiter.builder()
                .home(home)
                .listener(
                    new LimiterListener() {
                      @Override
                      public void queued(String p, String label, int position, int ahead) {
                        w.line("Q " + label);
                      }
                    })
                .build()) {
      System.out.println("READY");
      System.out.flush();
      for (int i = 0; i < count; i++) {
        String label = pid + "-" + i;
        w.line("E " + label);
        CompletableFuture<Lease> f = l.acquireAsync(provider, label, Duration.ofMinutes(2));
        Lease lease = f.get(3, TimeUnit.MINUTES);
        w.line("+ " + label + " " + lease.id());
        long holdNanos = rnd.nextInt(2_000_000);
        if (holdNanos > 0) {
          LockSupport.parkNanos(holdNanos); // simulated request: the workload, not a test wait
        }
        w.line("- " + label);
        lease.close();
      }
      System.out.println("DONE");
      System.out.flush();
    }
  }
}
