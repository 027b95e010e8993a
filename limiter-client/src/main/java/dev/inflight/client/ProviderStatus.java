package dev.inflight.client;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * One provider at one instant (a snapshot; stale as soon as it is returned).
 *
 * @param limit the configured limit; empty when the provider has no limit
 * @param active leases held now
 * @param cooling released leases whose cooldown has not ended (they still count)
 * @param queued requests waiting
 * @param longestWait how long the oldest waiting request has waited (zero when none)
 * @param adaptive whether 429s lower the limit in force and successes raise it back
 * @param effectiveLimit the adaptive limit in force, while it is below {@code limit}
 * @param pausedUntil when a pause after a 429 ends, while one is in force
 * @param pauseReason why admission is paused until {@code pausedUntil} ("" when not)
 * @param upstreamInFlight the provider's own in-flight count, from a usage probe, while fresh
 */
public record ProviderStatus(
    String provider,
    OptionalInt limit,
    Duration cooldown,
    boolean paused,
    int active,
    int cooling,
    int queued,
    Duration longestWait,
    boolean adaptive,
    OptionalInt effectiveLimit,
    Optional<Instant> pausedUntil,
    String pauseReason,
    OptionalInt upstreamInFlight,
    Window window,
    List<ModelStatus> models,
    Map<Priority, Integer> queuedByClass) {

  public ProviderStatus {
    models = List.copyOf(models);
    queuedByClass = Map.copyOf(queuedByClass);
  }

  /** A provider's state without budgets, models or classes (a provider limited in flight only). */
  public ProviderStatus(
      String provider,
      OptionalInt limit,
      Duration cooldown,
      boolean paused,
      int active,
      int cooling,
      int queued,
      Duration longestWait,
      boolean adaptive,
      OptionalInt effectiveLimit,
      Optional<Instant> pausedUntil,
      String pauseReason,
      OptionalInt upstreamInFlight) {
    this(
        provider,
        limit,
        cooldown,
        paused,
        active,
        cooling,
        queued,
        longestWait,
        adaptive,
        effectiveLimit,
        pausedUntil,
        pauseReason,
        upstreamInFlight,
        Window.NONE,
        List.of(),
        queued == 0 ? Map.of() : Map.of(Priority.NORMAL, queued));
  }

  /** A provider with no adaptive limit, no 429 pause and no upstream count. */
  public ProviderStatus(
      String provider,
      OptionalInt limit,
      Duration cooldown,
      boolean paused,
      int active,
      int cooling,
      int queued,
      Duration longestWait) {
    this(
        provider,
        limit,
        cooldown,
        paused,
        active,
        cooling,
        queued,
        longestWait,
        false,
        OptionalInt.empty(),
        Optional.empty(),
        "",
        OptionalInt.empty());
  }

  /** The limit grants obey now: the adaptive one while lower, else the configured one. */
  public OptionalInt limitInForce() {
    return effectiveLimit.isPresent() ? effectiveLimit : limit;
  }

  /**
   * Slots a new request could take now, or {@link Integer#MAX_VALUE} when unlimited: none while
   * paused; else the limit in force less active and cooling leases, and less what the provider
   * itself counts beyond them.
   */
  public int free() {
    if (paused || pausedUntil.isPresent()) {
      return 0;
    }
    if (limit.isEmpty()) {
      return Integer.MAX_VALUE;
    }
    int inFlight = active + cooling;
    if (upstreamInFlight.isPresent()) {
      inFlight = Math.max(inFlight, upstreamInFlight.getAsInt());
    }
    return Math.max(0, limitInForce().getAsInt() - inFlight);
  }
}
