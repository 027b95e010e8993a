package dev.inflight.client;

/**
 * What a provider reports about our key at one moment.
 *
 * @param concurrentSessions the requests the provider counts as in flight, ours and anyone else's
 *     using the same key (0 or more)
 */
public record UpstreamUsage(int concurrentSessions) {
  public UpstreamUsage {
    if (concurrentSessions < 0) {
      throw new IllegalArgumentException(
          "concurrentSessions must be 0 or more (was " + concurrentSessions + ")");
    }
  }
}
