package dev.inflight.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.inflight.store.LeaseEngine;
import dev.inflight.store.Liveness;
import dev.inflight.store.ProcessIdentity;
import dev.inflight.store.StoreException;
import dev.inflight.testing.MutableClock;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A release that could not be written is written later exactly as it was asked for. */
class ReleaseRetryTest {
  @TempDir Path home;
  final MutableClock clock = new MutableClock();

  /** The real engine, except that its first {@code release} fails with an I/O error. */
  LeaseEngine failingFirstRelease(LeaseEngine real) {
    AtomicInteger releases = new AtomicInteger();
    return (LeaseEngine)
        Proxy.newProxyInstance(
            LeaseEngine.class.getClassLoader(),
            new Class<?>[] {LeaseEngine.class},
            (proxy, m, args) -> {
              if (m.getName().equals("release") && releases.getAndIncrement() == 0) {
                throw new StoreException(
                    real.location(), StoreException.Kind.IO, "disk I/O error (as a test)");
              }
              try {
                return m.invoke(real, args);
              } catch (InvocationTargetException e) {
                throw e.getCause();
              }
            });
  }

  LimiterBuilder builder() {
    return Limiter.builder().home(home).clock(clock).ticker(clock);
  }

  @Test
  void failedRateLimitedRelease_isRetriedAsRateLimited_soEveryProcessPauses_andTheLimitStepsDown() {
    Settings s = builder().settings(ProcessIdentity.current());
    LeaseEngine real = LimiterBuilder.open(s, Liveness.system());
    Limiter flaky = new DefaultLimiter(s, failingFirstRelease(real));
    flaky.limits().set(LimitSpec.of("openai", 3).withAdaptive(true));
    Lease lease = flaky.tryAcquire("openai", "got-429").orElseThrow();

    assertThatThrownBy(() -> lease.releaseRateLimited(Duration.ofSeconds(20)))
        .isInstanceOf(LimiterException.class)
        .hasMessageContaining("will be retried");
    flaky.close(); // writes the failed release before it deregisters

    try (Limiter other = builder().build()) {
      ProviderStatus st = other.status().providers().get(0);
      assertThat(st.pausedUntil()).hasValue(clock.instant().plusSeconds(20));
      assertThat(st.pauseReason()).isEqualTo("429 from the provider");
      assertThat(st.effectiveLimit()).hasValue(2);
      assertThat(st.active()).isZero();
    }
  }
}
