package dev.inflight.client;

import java.time.Duration;
import java.time.Instant;

/**
 * A queued request (a snapshot).
 *
 * @param position 1 for the head of the provider's queue
 */
public record WaiterInfo(
    String provider,
    int position,
    long pid,
    String host,
    String processName,
    String label,
    Instant queuedAt,
    Duration waiting) {}
