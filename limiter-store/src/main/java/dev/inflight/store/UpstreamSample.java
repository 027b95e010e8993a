package dev.inflight.store;

import java.util.Objects;
import java.util.OptionalInt;

/**
 * What a usage probe read of the provider's own in-flight count.
 *
 * @param inFlight the provider's count; empty to clear the sample (grants follow local accounting)
 * @param priorHiddenMin the least "not ours" count of this process's recent samples
 * @param validForMs how long other processes may use the sample
 */
public record UpstreamSample(
    String provider, OptionalInt inFlight, int priorHiddenMin, long validForMs) {
  public UpstreamSample {
    Objects.requireNonNull(provider, "provider");
    Objects.requireNonNull(inFlight, "inFlight");
  }

  public static UpstreamSample cleared(String provider) {
    return new UpstreamSample(provider, OptionalInt.empty(), Integer.MAX_VALUE, 0);
  }
}
