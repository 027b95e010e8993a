package dev.inflight.store;

import java.util.Objects;

/**
 * A provider's new limit row; its paused flag is kept as it is. Every other column is set as given
 * (read the row first to change one of them alone).
 *
 * @param maxInFlight units in flight at once, 1 to 10000; 0 for no in-flight cap (a provider held
 *     only by its budgets)
 * @param requestsPerMinute requests started in any 60 s, 1 to 1000000; 0 for none
 * @param tokensPerMinute tokens reserved or used by requests started in any 60 s; 0 for none
 * @param defaultTokens the tokens a request that names none is taken to expect
 * @param agingMs how long a queued request waits before it rises one priority class
 */
public record LimitChange(
    String provider,
    int maxInFlight,
    long cooldownMs,
    boolean adaptive,
    int requestsPerMinute,
    long tokensPerMinute,
    long defaultTokens,
    long agingMs) {
  public LimitChange {
    Objects.requireNonNull(provider, "provider");
  }

  /** An in-flight limit with no budgets and the default aging interval. */
  public LimitChange(String provider, int maxInFlight, long cooldownMs, boolean adaptive) {
    this(provider, maxInFlight, cooldownMs, adaptive, 0, 0, 0, Rows.LimitRow.DEFAULT_AGING_MS);
  }
}
