package dev.inflight.app;

import dev.inflight.client.Lease;
import dev.inflight.client.Limiter;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A second process for the tests: takes one lease ({@code HOME PROVIDER LABEL}), prints {@code held
 * ID}, and holds it until killed.
 */
public final class HoldLease {
  private HoldLease() {}

  public static void main(String[] args) throws Exception {
    Limiter limiter = Limiter.builder().home(Path.of(args[0])).build();
    Lease lease = limiter.acquire(args[1], args[2], Duration.ofSeconds(60));
    System.out.println("held " + lease.id());
    System.out.flush();
    Thread.sleep(Long.MAX_VALUE);
  }
}
