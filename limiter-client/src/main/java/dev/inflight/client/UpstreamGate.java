package dev.inflight.client;

import dev.inflight.store.LeaseEngine;
import dev.inflight.store.Rows.UpstreamRecord;
import dev.inflight.store.UpstreamSample;
import java.util.ArrayDeque;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;

/**
 * One provider's usage probe, as this process drives it: at most one call in flight (a call that
 * overruns its timeout is abandoned, not repeated), one call per cache period while requests wait,
 * and every answer written to the database so that all processes admit by it. Timed by the
 * limiter's monotonic ticker, in milliseconds. Driven by the dispatcher thread only.
 */
final class UpstreamGate {
  /** Samples the headroom estimate looks back over. */
  static final int WINDOW = 5;

  /** How many cache periods an answer stays valid in the database (for every process). */
  static final int VALIDITY_PERIODS = 3;

  private final LeaseEngine engine;
  private final Events events;
  private final String provider;
  private final UsageProbe probe;
  private final long ttlMs;
  private final long timeoutMs;
  private final Executor executor;
  private final Runnable onAnswer;

  private CompletableFuture<Optional<UpstreamUsage>> inFlight;
  private long startedAtMs;
  private boolean abandoned;
  private long answeredAtMs = Long.MIN_VALUE / 2;
  private final ArrayDeque<Integer> hidden = new ArrayDeque<>();
  private boolean unavailable;

  UpstreamGate(
      LeaseEngine engine,
      Events events,
      String provider,
      UsageProbe probe,
      Upstream settings,
      Executor executor,
      Runnable onAnswer) {
    this.engine = engine;
    this.events = events;
    this.provider = provider;
    this.probe = probe;
    this.ttlMs = settings.probeCacheTtl().toMillis();
    this.timeoutMs = settings.probeTimeout().toMillis();
    this.executor = executor;
    this.onAnswer = onAnswer;
  }

  /**
   * Takes in a finished call, gives up on an overdue one, and starts a new call when requests of
   * this process wait for the provider and the last answer is older than the cache period.
   *
   * @return when to poll again (monotonic milliseconds), {@link Long#MAX_VALUE} for "when
   *     signalled"
   */
  long poll(long nowMs, boolean waiting) {
    if (inFlight != null) {
      if (inFlight.isDone()) {
        CompletableFuture<Optional<UpstreamUsage>> done = inFlight;
        inFlight = null;
        if (abandoned) {
          abandoned = false; // a late answer: the next call reads a fresh one
        } else {
          accept(done, nowMs);
        }
      } else if (!abandoned && nowMs - startedAtMs >= timeoutMs) {
        abandoned = true;
        fallBack(nowMs, "did not answer within " + Text.duration(limiterTimeout()));
      }
    }
    if (inFlight == null && waiting && nowMs - answeredAtMs >= ttlMs) {
      start(nowMs);
    }
    if (inFlight != null) {
      return abandoned ? Long.MAX_VALUE : startedAtMs + timeoutMs;
    }
    return waiting ? answeredAtMs + ttlMs : Long.MAX_VALUE;
  }

  private java.time.Duration limiterTimeout() {
    return java.time.Duration.ofMillis(timeoutMs);
  }

  private void start(long nowMs) {
    startedAtMs = nowMs;
    CompletableFuture<Optional<UpstreamUsage>> f =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return probe.usage(provider);
              } catch (Exception e) {
                throw new CompletionException(e);
              }
            },
            executor);
    inFlight = f;
    f.whenComplete((r, e) -> onAnswer.run());
  }

  private void accept(CompletableFuture<Optional<UpstreamUsage>> done, long nowMs) {
    Optional<UpstreamUsage> usage;
    try {
      usage = done.join();
    } catch (CompletionException e) {
      Throwable cause = e.getCause() == null ? e : e.getCause();
      fallBack(nowMs, "failed: " + cause);
      return;
    } catch (RuntimeException e) {
      fallBack(nowMs, "failed: " + e);
      return;
    }
    if (usage == null || usage.isEmpty()) {
      fallBack(nowMs, "returned no usage");
      return;
    }
    int prior = hidden.stream().mapToInt(Integer::intValue).min().orElse(Integer.MAX_VALUE);
    UpstreamRecord r =
        engine.recordUpstream(
            new UpstreamSample(
                provider,
                OptionalInt.of(usage.get().concurrentSessions()),
                prior,
                VALIDITY_PERIODS * ttlMs));
    answeredAtMs = nowMs;
    hidden.addLast(r.hiddenNow());
    if (hidden.size() > WINDOW) {
      hidden.removeFirst();
    }
    events.reclaimed(r.reclaimed());
    if (unavailable) {
      unavailable = false;
      events.probeRecovered(provider);
    }
  }

  /** Forgets the provider's count: grants follow local accounting (with the cooldown). */
  private void fallBack(long nowMs, String why) {
    answeredAtMs = nowMs;
    hidden.clear();
    UpstreamRecord r = engine.recordUpstream(UpstreamSample.cleared(provider));
    events.reclaimed(r.reclaimed());
    if (!unavailable) {
      unavailable = true;
      events.probeUnavailable(provider, why);
    }
  }
}
