package dev.inflight.store;

import java.util.Objects;

/**
 * One acquisition attempt.
 *
 * @param ownerId the registered process that will hold the lease (or wait)
 * @param pid its OS process id, copied into the row for display
 * @param token the request's secret: it becomes the lease's token when granted
 */
public record AcquireRequest(
    long ownerId, long pid, String provider, String label, String token, AcquireMode mode) {
  public AcquireRequest {
    Objects.requireNonNull(provider, "provider");
    Objects.requireNonNull(label, "label");
    Objects.requireNonNull(token, "token");
    Objects.requireNonNull(mode, "mode");
  }
}
