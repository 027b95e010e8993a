package dev.inflight.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.inflight.store.Rows.AcquireOutcome;
import dev.inflight.store.Rows.ProviderState;
import dev.inflight.store.Rows.ReleaseOutcome;
import dev.inflight.store.Rows.TokenState;
import dev.inflight.testing.MutableClock;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * What every conformance suite of the engine seam shares: the engine under test, opened with a
 * {@link MutableClock} it reads and a liveness the test decides, one registered owner, and helpers
 * that take, queue and release. A subclass for each engine opens it and makes hand edits the way a
 * person would with the engine's own command-line tool.
 */
public abstract class ConformanceBase {
  protected final MutableClock clock = new MutableClock();

  /** Pids the liveness check reports as dead (processes of "this host" that have ended). */
  protected final Set<Long> dead = new HashSet<>();

  protected static final String HOST = "conformance-host";
  protected static final Duration TTL = Duration.ofSeconds(30);

  protected LeaseEngine engine;
  protected long owner;

  /** Opens the engine under test with this suite's clock and liveness; {@code hostId} is "here". */
  protected abstract LeaseEngine open(Liveness liveness, String hostId);

  /**
   * Runs {@code sql} as a person would by hand (sqlite3, psql).
   *
   * @return null when the edit was applied, else what the tool printed when the database refused it
   */
  protected abstract String handEdit(String sql);

  @BeforeEach
  void openEngine() {
    engine = open((pid, token) -> !dead.contains(pid), HOST);
    owner = register(4242, HOST, Duration.ofHours(1));
  }

  @AfterEach
  void closeEngine() {
    engine.close();
  }

  // ---------------------------------------------------------------- helpers

  protected long register(long pid, String hostId) {
    return register(pid, hostId, TTL);
  }

  protected long register(long pid, String hostId, Duration ttl) {
    return engine.register(
        Registration.first(new ProcessIdentity("box", hostId, pid, "start-" + pid, "test"), ttl));
  }

  /** A granted token, or "queued:" + token. */
  protected String take(String provider) {
    return take(owner, provider);
  }

  protected String take(long who, String provider) {
    String token = UUID.randomUUID().toString();
    AcquireOutcome o =
        engine.acquire(new AcquireRequest(who, 1, provider, "", token, AcquireMode.QUEUE));
    return o.kind() == AcquireOutcome.Kind.GRANTED ? token : "queued:" + token;
  }

  protected static String queued(String taken) {
    assertThat(taken).startsWith("queued:");
    return taken.substring("queued:".length());
  }

  protected ReleaseOutcome release(String token, Ending ending, long retryAfterMs) {
    return engine.release(new ReleaseRequest(token, ending, retryAfterMs));
  }

  protected ProviderState state(String provider) {
    return engine.snapshot().providers().stream()
        .filter(p -> p.provider().equals(provider))
        .findFirst()
        .orElseThrow(() -> new AssertionError(provider + " is not in the snapshot"));
  }

  protected void setLimit(String provider, int max, long cooldownMs, boolean adaptive) {
    engine.setLimit(new LimitChange(provider, max, cooldownMs, adaptive));
  }

  protected void advance(long ms) {
    clock.advance(Duration.ofMillis(ms));
  }

  protected TokenState stateOf(String token) {
    return engine.check(owner, List.of(token)).tokens().get(token);
  }
}
