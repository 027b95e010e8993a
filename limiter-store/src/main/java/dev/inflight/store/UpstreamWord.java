package dev.inflight.store;

import java.util.Objects;

/**
 * What a provider's response said remains of a level's budget (OpenAI's {@code
 * x-ratelimit-remaining-*}, Anthropic's {@code anthropic-ratelimit-*-remaining}), with how long
 * until each count resets. -1 where it said nothing; a count it said nothing of is left as the last
 * observation had it.
 *
 * @param model the model the response was for ("" for the provider as a whole)
 */
public record UpstreamWord(
    String provider,
    String model,
    long requestsRemaining,
    long requestsResetAfterMs,
    long tokensRemaining,
    long tokensResetAfterMs) {
  /** The longest reset a word may name; a longer one is taken as this. */
  public static final long MAX_RESET_MS = 86_400_000;

  public UpstreamWord {
    Objects.requireNonNull(provider, "provider");
    Objects.requireNonNull(model, "model");
    requestsResetAfterMs = Math.min(Math.max(0, requestsResetAfterMs), MAX_RESET_MS);
    tokensResetAfterMs = Math.min(Math.max(0, tokensResetAfterMs), MAX_RESET_MS);
    if (requestsRemaining < -1 || tokensRemaining < -1) {
      throw new IllegalArgumentException("remaining counts must be >= 0, or -1 for unknown");
    }
  }

  /** Whether it says anything at all. */
  public boolean any() {
    return requestsRemaining >= 0 || tokensRemaining >= 0;
  }
}
