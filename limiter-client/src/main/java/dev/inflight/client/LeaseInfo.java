package dev.inflight.client;

import java.time.Duration;
import java.time.Instant;

/**
 * A lease as other processes see it (a snapshot).
 *
 * @param pid the holder's process id, on {@code host}
 * @param processName the holder's executable name, when known
 * @param held how long it had been held when the snapshot was taken
 */
public record LeaseInfo(
    long id,
    String provider,
    long pid,
    String host,
    String processName,
    String label,
    Instant acquiredAt,
    Duration held) {}
