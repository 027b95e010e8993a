package dev.inflight.store;

import java.util.Objects;

/**
 * A model's new limit row under its provider. Limits are 0 where the row sets none; a row that sets
 * none still names the model as a level of its own (for the provider's word about it).
 */
public record ModelLimitChange(
    String provider,
    String model,
    int maxInFlight,
    int requestsPerMinute,
    long tokensPerMinute,
    long defaultTokens) {
  public ModelLimitChange {
    Objects.requireNonNull(provider, "provider");
    Objects.requireNonNull(model, "model");
  }
}
