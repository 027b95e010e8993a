package dev.inflight.client;

import java.time.Duration;
import java.util.Map;

/** The builder's settings for upstream-aware admission. */
record Upstream(
    Map<String, UsageProbe> probes,
    Duration probeCacheTtl,
    Duration probeTimeout,
    Duration defaultRetryAfter) {}
