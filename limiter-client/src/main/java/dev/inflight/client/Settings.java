package dev.inflight.client;

import dev.inflight.store.ProcessIdentity;
import java.nio.file.Path;
import java.time.Duration;

/** What {@link LimiterBuilder} decided, handed to the limiter's parts in one immutable record. */
record Settings(
    Path home,
    String databaseUrl,
    Clocks clocks,
    Duration heartbeatInterval,
    Duration staleAfter,
    Duration busyTimeout,
    FailurePolicy failurePolicy,
    LimiterListener listener,
    ProcessIdentity identity,
    Upstream upstream,
    String inheritedLeaseToken) {}
