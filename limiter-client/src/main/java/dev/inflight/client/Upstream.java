package dev.inflight.client;

import java.time.Duration;
import java.util.Map;

/** The builder's settings for upstream-aware admission. */
record Upstream(
    Map<String, UsageProbe> probes,
    Duration probeCacheTtl,
    Duration probeTimeout,
    Duration defaultRetryAfter) {

  static Upstream none() {
    return new Upstream(
        Map.of(), Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofSeconds(30));
  }
}
