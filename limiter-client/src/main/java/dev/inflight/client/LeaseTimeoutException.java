package dev.inflight.client;

import java.time.Duration;
import java.util.OptionalInt;

/**
 * No lease came in time. Carries the provider's state at the moment of giving up, e.g. {@code no
 * lease for 'openai' after 30s (limit=4, active=4, queued=3, you were 2nd)}.
 */
public class LeaseTimeoutException extends LimiterException {
  private static final long serialVersionUID = 1L;

  private final String provider;
  private final Duration waited;
  private final transient OptionalInt limit;
  private final int active;
  private final int queued;
  private final int position;

  public LeaseTimeoutException(
      String provider,
      Duration waited,
      OptionalInt limit,
      int active,
      int cooling,
      int queued,
      int position,
      boolean paused) {
    this(provider, waited, limit, active, cooling, queued, position, paused, "");
  }

  /**
   * @param why what else held grants back, appended to the message (e.g. {@code paused until
   *     2026-11-22T12:03:41Z after a 429 from the provider}); empty for nothing
   */
  public LeaseTimeoutException(
      String provider,
      Duration waited,
      OptionalInt limit,
      int active,
      int cooling,
      int queued,
      int position,
      boolean paused,
      String why) {
    super(message(provider, waited, limit, active, cooling, queued, position, paused, why));
    this.provider = provider;
    this.waited = waited;
    this.limit = limit;
    this.active = active;
    this.queued = queued;
    this.position = position;
  }

  public String provider() {
    return provider;
  }

  public Duration waited() {
    return waited;
  }

  public OptionalInt limit() {
    return limit;
  }

  public int active() {
    return active;
  }

  public int queued() {
    return queued;
  }

  /** 1 for the head of the queue. */
  public int position() {
    return position;
  }

  private static String message(
      String provider,
      Duration waited,
      OptionalInt limit,
      int active,
      int cooling,
      int queued,
      int position,
      boolean paused,
      String why) {
    StringBuilder sb = new StringBuilder();
    sb.append("no lease for '").append(provider).append("' after ").append(Text.duration(waited));
    sb.append(" (limit=").append(limit.isPresent() ? Integer.toString(limit.getAsInt()) : "none");
    sb.append(", active=").append(active);
    if (cooling > 0) {
      sb.append(", cooling=").append(cooling);
    }
    sb.append(", queued=").append(queued);
    if (position > 0) {
      sb.append(", you were ").append(Text.ordinal(position));
    }
    if (paused) {
      sb.append(", paused");
    }
    if (why != null && !why.isEmpty()) {
      sb.append(", ").append(why);
    }
    return sb.append(')').toString();
  }
}
