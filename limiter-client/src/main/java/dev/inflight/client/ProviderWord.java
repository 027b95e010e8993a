package dev.inflight.client;

import dev.inflight.store.LeaseEngine;
import dev.inflight.store.StoreException;
import dev.inflight.store.UpstreamWord;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiFunction;

/**
 * {@link Limiter#observe}: what a provider's response headers say remains of its budget, read by
 * {@link RateLimitHeaders} and written for every process; a {@code retry-after} pauses the provider
 * as a 429 does.
 */
final class ProviderWord {
  private final LeaseEngine engine;
  private final Retrying retrying;
  private final Clocks clocks;
  private final Runnable onChanged;
  private final BiFunction<String, Duration, Instant> report429;

  ProviderWord(
      LeaseEngine engine,
      Retrying retrying,
      Clocks clocks,
      Runnable onChanged,
      BiFunction<String, Duration, Instant> report429) {
    this.engine = engine;
    this.retrying = retrying;
    this.clocks = clocks;
    this.onChanged = onChanged;
    this.report429 = report429;
  }

  /** {@code provider} and {@code model} are checked already. */
  Observation observe(String provider, String model, Map<String, ?> headers) {
    Instant now = clocks.wall().instant();
    RateLimitHeaders.Read r = RateLimitHeaders.read(headers, now);
    if (r.anyBudget()) {
      UpstreamWord word =
          new UpstreamWord(
              provider,
              model,
              r.requestsRemaining(),
              r.requestsResetAfterMs(),
              r.tokensRemaining(),
              r.tokensResetAfterMs());
      try {
        retrying.briefly("record the provider's word", () -> engine.recordWord(word));
      } catch (StoreException e) {
        throw Errors.limiter(e);
      }
      onChanged.run();
    }
    Optional<Instant> paused = Optional.empty();
    if (r.retryAfterMs() >= 0) {
      long ms = Math.min(r.retryAfterMs(), Validation.MAX_RETRY_AFTER.toMillis());
      paused = Optional.of(report429.apply(provider, Duration.ofMillis(ms)));
    }
    return new Observation(
        r.requestsRemaining(),
        r.requestsRemaining() < 0
            ? Optional.empty()
            : Optional.of(now.plusMillis(r.requestsResetAfterMs())),
        r.tokensRemaining(),
        r.tokensRemaining() < 0
            ? Optional.empty()
            : Optional.of(now.plusMillis(r.tokensResetAfterMs())),
        paused);
  }
}
