package dev.inflight.client;

import java.time.Instant;
import java.util.Optional;

/**
 * A level's per-minute budgets and what the rolling 60-second window holds now: requests started,
 * and tokens they reserved (or, once released, really used). A budget of 0 is none.
 *
 * @param changesAt when the oldest start in the window leaves it, freeing what it held
 */
public record Window(
    int requestsPerMinute,
    int requests,
    long tokensPerMinute,
    long tokens,
    Optional<Instant> changesAt) {
  public static final Window NONE = new Window(0, 0, 0, 0, Optional.empty());

  /** Whether the level has a budget at all. */
  public boolean any() {
    return requestsPerMinute > 0 || tokensPerMinute > 0;
  }
}
