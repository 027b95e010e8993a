package dev.inflight.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.inflight.testing.MutableClock;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Upstream-aware admission through the public API: the usage gate, the shared 429 pause and the
 * adaptive limit. Time is a {@link MutableClock}; a fake probe stands in for the provider. Two
 * limiters on one config root share nothing but the database.
 */
class UpstreamAdmissionTest {
  @TempDir Path home;
  final MutableClock clock = new MutableClock();
  final RecordingListener events = new RecordingListener();
  final List<Limiter> open = new ArrayList<>();

  /** A provider whose own in-flight count the test sets; counts calls and overlapping calls. */
  static final class FakeProbe implements UsageProbe {
    final AtomicReference<Optional<UpstreamUsage>> answer = new AtomicReference<>(Optional.empty());
    final AtomicReference<RuntimeException> failure = new AtomicReference<>();
    final AtomicReference<CountDownLatch> gate = new AtomicReference<>();
    final AtomicInteger calls = new AtomicInteger();
    final AtomicInteger running = new AtomicInteger();
    final AtomicInteger mostAtOnce = new AtomicInteger();

    void sessions(int n) {
      answer.set(Optional.of(new UpstreamUsage(n)));
    }

    @Override
    public Optional<UpstreamUsage> usage(String provider) throws Exception {
      calls.incrementAndGet();
      mostAtOnce.accumulateAndGet(running.incrementAndGet(), Math::max);
      try {
        CountDownLatch g = gate.get();
        if (g != null) {
          g.await();
        }
        RuntimeException e = failure.get();
        if (e != null) {
          throw e;
        }
        return answer.get();
      } finally {
        running.decrementAndGet();
      }
    }
  }

  Limiter limiter(LimiterBuilder b) {
    // Minutes pass on the test clock between heartbeats: no process may look silent.
    Limiter l =
        b.home(home)
            .clock(clock)
            .ticker(clock)
            .listener(events)
            .staleAfter(Duration.ofHours(1))
            .build();
    open.add(l);
    return l;
  }

  Limiter plain() {
    return limiter(Limiter.builder());
  }

  Limiter probed(FakeProbe probe) {
    return limiter(Limiter.builder().usageProbe("openai", probe));
  }

  @AfterEach
  void closeAll() {
    open.forEach(Limiter::close);
  }

  /** Moves the clock and wakes every dispatcher, as the passing of time would. */
  void advance(Duration d) {
    clock.advance(d);
    for (Limiter l : open) {
      ((DefaultLimiter) l).dispatcher().signal();
    }
  }

  /** Waits for something another thread does (not for time to pass); fails on a hang. */
  static void until(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("never happened: " + what);
      }
      Thread.sleep(2);
    }
  }

  static <T> T await(CompletableFuture<T> f) throws Exception {
    return f.get(30, TimeUnit.SECONDS); // guards against a hang only
  }

  static ProviderStatus statusOf(Limiter l, String provider) {
    return l.status().providers().stream()
        .filter(p -> p.provider().equals(provider))
        .findFirst()
        .orElseThrow();
  }

  // ---------------------------------------------------------------- usage gate

  @Test
  void queuedRequest_isNotGranted_whileUpstreamCountIsAtTheLimit_evenWhenALocalSlotFrees()
      throws Exception {
    FakeProbe probe = new FakeProbe();
    probe.sessions(2);
    Limiter other = plain();
    other.limits().set(LimitSpec.of("openai", 2));
    Lease first = other.tryAcquire("openai").orElseThrow();
    other.tryAcquire("openai").orElseThrow();

    Limiter me = probed(probe);
    CompletableFuture<Lease> waiting = me.acquireAsync("openai", "me");
    until(
        "the probe's answer is recorded",
        () -> statusOf(me, "openai").upstreamInFlight().isPresent());
    assertThat(statusOf(me, "openai").upstreamInFlight()).hasValue(2);

    // The provider's own counter lags our release: the slot is not handed out on our count alone.
    first.close();
    assertThat(statusOf(me, "openai").active()).isEqualTo(1);
    assertThat(statusOf(me, "openai").queued()).isEqualTo(1);
    assertThat(waiting).isNotDone();

    probe.sessions(1);
    advance(Duration.ofSeconds(1)); // the cache period: the probe is asked again
    assertThat(await(waiting).label()).isEqualTo("me");
    assertThat(probe.calls.get()).isGreaterThanOrEqualTo(2);
  }

  @Test
  void probeThatFails_fallsBackToLocalAccounting_reportedOncePerEpisode() throws Exception {
    FakeProbe probe = new FakeProbe();
    probe.failure.set(new IllegalStateException("usage endpoint returned 503"));
    Limiter other = plain();
    other.limits().set(LimitSpec.of("openai", 1));
    Lease held = other.tryAcquire("openai").orElseThrow();

    Limiter me = probed(probe);
    CompletableFuture<Lease> waiting = me.acquireAsync("openai", "me");
    until(
        "the failure is reported",
        () -> events.events.stream().anyMatch(e -> e.startsWith("probeUnavailable")));
    held.close();
    Lease granted = await(waiting); // granted by local accounting: a broken probe never blocks

    // Still failing at the next poll: the same episode, not reported again.
    CompletableFuture<Lease> second = me.acquireAsync("openai", "second");
    advance(Duration.ofSeconds(1));
    until("the probe is asked again", () -> probe.calls.get() >= 2);
    granted.close();
    Lease secondLease = await(second);

    // It answers again: reported once, and its count gates grants again.
    probe.failure.set(null);
    probe.sessions(1);
    CompletableFuture<Lease> third = me.acquireAsync("openai", "third");
    advance(Duration.ofSeconds(1));
    until("the probe recovers", () -> events.events.contains("probeRecovered openai"));
    secondLease.close();
    assertThat(third).isNotDone(); // the provider still counts the request we just ended
    probe.sessions(0);
    advance(Duration.ofSeconds(1));
    await(third).close();

    assertThat(events.events.stream().filter(e -> e.startsWith("probe")))
        .containsExactly(
            "probeUnavailable openai failed: java.lang.IllegalStateException: usage endpoint returned 503",
            "probeRecovered openai");
  }

  @Test
  void slowProbe_isNeverCalledTwiceAtOnce_andATimeoutFallsBack() throws Exception {
    FakeProbe probe = new FakeProbe();
    probe.sessions(0);
    CountDownLatch stuck = new CountDownLatch(1);
    probe.gate.set(stuck);
    Limiter other = plain();
    other.limits().set(LimitSpec.of("openai", 1));
    Lease held = other.tryAcquire("openai").orElseThrow();

    Limiter me = probed(probe);
    CompletableFuture<Lease> waiting = me.acquireAsync("openai", "me");
    until("the probe is called", () -> probe.calls.get() == 1);
    for (int i = 0; i < 3; i++) {
      advance(Duration.ofMillis(500)); // cache periods pass while the call hangs
    }
    assertThat(probe.calls.get()).isEqualTo(1);

    advance(Duration.ofMillis(500)); // 2 s: the default probe timeout
    until(
        "the timeout is reported",
        () -> events.events.stream().anyMatch(e -> e.startsWith("probeUnavailable")));
    assertThat(events.events).contains("probeUnavailable openai did not answer within 2s");
    held.close();
    await(waiting).close(); // local accounting admits
    assertThat(probe.calls.get()).isEqualTo(1);

    stuck.countDown();
    until("the hung call returns", () -> probe.running.get() == 0);
    probe.gate.set(null);
    Lease blocker = other.tryAcquire("openai").orElseThrow();
    CompletableFuture<Lease> second = me.acquireAsync("openai", "second");
    advance(Duration.ofSeconds(1));
    until("a new call is made", () -> probe.calls.get() == 2);
    blocker.close();
    await(second).close();
    assertThat(probe.mostAtOnce.get()).isEqualTo(1);
  }

  @Test
  void hiddenUpstreamUsers_shrinkOurGrants_andTheHeadroomComesBackWhenTheyLeave() throws Exception {
    FakeProbe probe = new FakeProbe();
    Limiter me = probed(probe);
    me.limits().set(LimitSpec.of("openai", 4));
    List<Lease> mine = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      mine.add(me.tryAcquire("openai").orElseThrow());
    }
    // The provider counts our 4 and 2 more from a tool we cannot see, on the same key.
    probe.sessions(6);
    CompletableFuture<Lease> waiting = me.acquireAsync("openai", "me");
    until(
        "the first answer is recorded",
        () -> statusOf(me, "openai").upstreamInFlight().isPresent());

    // We end two requests; the provider now counts our 2 and the same 2 others.
    mine.remove(0).close();
    mine.remove(0).close();
    probe.sessions(4);
    advance(Duration.ofSeconds(1));
    until(
        "the second answer is recorded",
        () -> statusOf(me, "openai").upstreamInFlight().equals(java.util.OptionalInt.of(4)));
    ProviderStatus st = statusOf(me, "openai");
    assertThat(st.active()).isEqualTo(2);
    assertThat(st.free()).isZero(); // 4 - 2 ours - 2 theirs: the headroom shrank
    assertThat(waiting).isNotDone();

    // The other tool stops: the next answer shows only ours, and the waiter gets a slot.
    probe.sessions(2);
    advance(Duration.ofSeconds(1));
    assertThat(await(waiting).label()).isEqualTo("me");
    assertThat(statusOf(me, "openai").active()).isEqualTo(3);
  }

  // ---------------------------------------------------------------- 429 pause

  @Test
  void rateLimitedRelease_pausesAWaiterOfAnotherLimiter_untilRetryAfter() throws Exception {
    Limiter a = plain();
    Limiter b = plain();
    a.limits().set(LimitSpec.of("anthropic", 2));
    Lease hit = a.tryAcquire("anthropic", "got-429").orElseThrow();
    Lease busy = a.tryAcquire("anthropic", "busy").orElseThrow();
    CompletableFuture<Lease> waiting = b.acquireAsync("anthropic", "b");

    Instant pausedAt = clock.instant();
    hit.releaseRateLimited(Duration.ofSeconds(20));

    ProviderStatus st = statusOf(b, "anthropic");
    assertThat(st.pausedUntil()).hasValue(pausedAt.plusSeconds(20));
    assertThat(st.pauseReason()).isEqualTo("429 from the provider");
    assertThat(st.free()).isZero();
    assertThat(b.tryAcquire("anthropic")).isEmpty();
    assertThat(events.events).contains("rateLimited anthropic until " + pausedAt.plusSeconds(20));

    advance(Duration.ofMillis(19_999));
    assertThat(statusOf(b, "anthropic").queued()).isEqualTo(1);
    assertThat(waiting).isNotDone();

    advance(
        Duration.ofMillis(1)); // nothing commits when a pause ends: b's dispatcher sees the time
    assertThat(await(waiting).label()).isEqualTo("b");
    assertThat(statusOf(a, "anthropic").pausedUntil()).isEmpty();
    busy.close();
  }

  @Test
  void rateLimitedWithoutRetryAfter_usesTheConfiguredDefault_andResumeLiftsItEarly()
      throws Exception {
    Limiter a = limiter(Limiter.builder().defaultRetryAfter(Duration.ofMinutes(2)));
    a.limits().set(LimitSpec.of("openai", 1));
    Instant t0 = clock.instant();
    a.tryAcquire("openai").orElseThrow().release(Outcome.RATE_LIMITED);
    assertThat(statusOf(a, "openai").pausedUntil()).hasValue(t0.plus(Duration.ofMinutes(2)));

    Limiter b = plain();
    CompletableFuture<Lease> waiting = b.acquireAsync("openai", "b");
    b.limits().resume("openai");
    assertThat(await(waiting).label()).isEqualTo("b");
    assertThat(statusOf(b, "openai").pausedUntil()).isEmpty();
  }

  @Test
  void report429_withoutALease_pausesEveryone_evenAnUnlimitedProvider() throws Exception {
    Limiter a = plain();
    Instant until = a.report429("local-llama", Duration.ofSeconds(5));
    assertThat(until).isEqualTo(clock.instant().plusSeconds(5));
    Limiter b = plain();
    assertThat(b.tryAcquire("local-llama")).isEmpty();
    assertThat(statusOf(b, "local-llama").pauseReason()).isEqualTo("429 reported");
    CompletableFuture<Lease> waiting = b.acquireAsync("local-llama", "b");
    advance(Duration.ofSeconds(5));
    await(waiting).close();
  }

  @Test
  void timeoutDuringA429Pause_saysSo_andAShorterLater429KeepsAndReportsTheLongerPause()
      throws Exception {
    Limiter a = plain();
    a.limits().set(LimitSpec.of("openai", 4));
    Instant t0 = clock.instant();
    a.report429("openai", Duration.ofSeconds(60));
    Instant kept = a.report429("openai", Duration.ofSeconds(5));
    assertThat(kept).isEqualTo(t0.plusSeconds(60));
    assertThat(events.events).endsWith("rateLimited openai until " + t0.plusSeconds(60));

    CompletableFuture<Lease> waiting = a.acquireAsync("openai", "w", Duration.ofSeconds(2));
    advance(Duration.ofSeconds(2));
    assertThatThrownBy(() -> await(waiting))
        .hasCauseInstanceOf(LeaseTimeoutException.class)
        .cause()
        .hasMessage(
            "no lease for 'openai' after 2s (limit=4, active=0, queued=1, you were 1st, paused until "
                + t0.plusSeconds(60)
                + " after a 429 reported)");
  }

  @Test
  void rateLimitedRelease_ofALeaseAlreadyTakenBack_stillPausesEveryone() {
    Limiter a = plain();
    a.limits().set(LimitSpec.of("openai", 2));
    Lease lease = a.tryAcquire("openai").orElseThrow();
    a.forceRelease(lease.id());
    assertThat(lease.releaseRateLimited(Duration.ofSeconds(10))).isEqualTo(ReleaseResult.LOST);
    ProviderStatus st = statusOf(plain(), "openai");
    assertThat(st.pausedUntil()).hasValue(clock.instant().plusSeconds(10));
    assertThat(st.pauseReason()).isEqualTo("429 from the provider");
  }

  @Test
  void failedAndCancelledOutcomes_onlyFreeTheSlot() {
    Limiter a = plain();
    a.limits().set(LimitSpec.of("openai", 1).withAdaptive(true));
    assertThat(a.tryAcquire("openai").orElseThrow().release(Outcome.FAILED))
        .isEqualTo(ReleaseResult.RELEASED);
    assertThat(a.tryAcquire("openai").orElseThrow().release(Outcome.CANCELLED))
        .isEqualTo(ReleaseResult.RELEASED);
    ProviderStatus st = statusOf(a, "openai");
    assertThat(st.pausedUntil()).isEmpty();
    assertThat(st.effectiveLimit()).isEmpty();
    assertThat(st.free()).isEqualTo(1);
  }

  @Test
  void badRetryAfter_isRefused_namingIt_andTheLeaseStaysHeld() {
    Limiter a = plain();
    a.limits().set(LimitSpec.of("openai", 1));
    Lease l = a.tryAcquire("openai").orElseThrow();
    assertThatThrownBy(() -> l.releaseRateLimited(Duration.ofSeconds(-1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("retryAfter must be from 0 to 24h (was PT-1S)");
    assertThatThrownBy(() -> a.report429("openai", Duration.ofHours(25)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("retryAfter must be from 0 to 24h (was PT25H)");
    assertThatThrownBy(() -> l.release(null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("outcome must be one of");
    ProviderStatus st = statusOf(a, "openai");
    assertThat(st.active()).isEqualTo(1);
    assertThat(st.pausedUntil()).isEmpty();
    assertThat(l.release()).isEqualTo(ReleaseResult.RELEASED);
  }

  // ---------------------------------------------------------------- adaptive limit

  @Test
  void adaptiveLimit_stepsDownWith429s_neverBelowOne_andBackUpAfterQuietSuccesses()
      throws Exception {
    Limiter a = plain();
    a.limits().set(LimitSpec.of("openai", 3).withAdaptive(true));

    a.tryAcquire("openai").orElseThrow().releaseRateLimited(Duration.ZERO);
    assertThat(statusOf(a, "openai").effectiveLimit()).hasValue(2);
    for (int i = 0; i < 4; i++) {
      clock.advance(Duration.ofMillis(10));
      a.tryAcquire("openai").orElseThrow().releaseRateLimited(Duration.ZERO);
    }
    ProviderStatus st = statusOf(a, "openai");
    assertThat(st.effectiveLimit()).hasValue(1);
    assertThat(st.limit()).hasValue(3);
    assertThat(a.limits().get("openai").orElseThrow().maxInFlight()).isEqualTo(3);

    // At the reduced limit only one request runs.
    Lease one = a.tryAcquire("openai").orElseThrow();
    assertThat(a.tryAcquire("openai")).isEmpty();
    one.close();

    // Quiet, with successes: one step up per quiet period.
    clock.advance(Duration.ofSeconds(30));
    a.tryAcquire("openai").orElseThrow().close();
    assertThat(statusOf(a, "openai").effectiveLimit()).hasValue(2);
    clock.advance(Duration.ofSeconds(30));
    Lease x = a.tryAcquire("openai").orElseThrow();
    Lease y = a.tryAcquire("openai").orElseThrow();
    assertThat(a.tryAcquire("openai")).isEmpty();
    x.close();
    y.close();
    st = statusOf(a, "openai");
    assertThat(st.effectiveLimit()).isEmpty();
    assertThat(st.limitInForce()).hasValue(3);
  }
}
