package dev.inflight.store;

import java.util.Objects;

/** A provider's new limit; its paused flag is kept as it is. */
public record LimitChange(String provider, int maxInFlight, long cooldownMs, boolean adaptive) {
  public LimitChange {
    Objects.requireNonNull(provider, "provider");
  }
}
