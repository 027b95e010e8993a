package dev.inflight.client;

import java.util.Optional;

/**
 * Reads how many requests a provider itself counts as in flight for our key, for example from a
 * usage endpoint or the last response's headers. Register one per provider with {@link
 * LimiterBuilder#usageProbe}; then a queued request is granted only while the provider's own count
 * is below the limit too, and requests the provider counts that no process of ours holds shrink the
 * slots we hand out.
 *
 * <p>The limiter calls it on its own thread, never while holding the database, never twice at once
 * for one provider, at most once per {@link LimiterBuilder#probeCacheTtl} and only while requests
 * of this process wait for that provider. When it returns empty, throws, or takes longer than
 * {@link LimiterBuilder#probeTimeout}, grants fall back to local accounting (with the cooldown),
 * and the listener hears of it once.
 */
@FunctionalInterface
public interface UsageProbe {
  /**
   * The provider's current usage, or empty when it cannot tell.
   *
   * @throws Exception any failure: treated like empty
   */
  Optional<UpstreamUsage> usage(String provider) throws Exception;
}
