package dev.inflight.app;

import dev.inflight.client.Window;
import java.time.Duration;
import java.time.Instant;

/**
 * One per-minute budget of a level as its gauge shows it: the use in the current window against the
 * budget ({@code 412/500 rpm}, {@code 28k/30k tpm}) and how full that is. Plain values; needs no
 * toolkit.
 *
 * @param fraction use over budget, from 0 to 1 (a window over its budget, as after a hand edit
 *     lowered it, shows full)
 * @param full whether the budget admits nothing more until the window frees
 */
record Gauge(String text, double fraction, boolean full) {
  /** No such budget: the gauge is hidden. */
  static final Gauge NONE = new Gauge("", 0, false);

  boolean shown() {
    return !text.isEmpty();
  }

  /** The requests-per-minute gauge of a window, or {@link #NONE}. */
  static Gauge requests(Window w) {
    return w.requestsPerMinute() <= 0 ? NONE : of(w.requests(), w.requestsPerMinute(), "rpm");
  }

  /** The tokens-per-minute gauge of a window, or {@link #NONE}. */
  static Gauge tokens(Window w) {
    return w.tokensPerMinute() <= 0 ? NONE : of(w.tokens(), w.tokensPerMinute(), "tpm");
  }

  private static Gauge of(long used, long budget, String unit) {
    long u = Math.max(0, used);
    return new Gauge(
        Fmt.amount(u) + "/" + Fmt.amount(budget) + " " + unit,
        Math.min(1.0, (double) u / budget),
        u >= budget);
  }

  /**
   * When the window next frees room (its oldest start leaves it), counted down between reads:
   * {@code frees in 12s}; empty when the level has no budget or nothing in its window.
   */
  static String frees(Window w, Instant now) {
    if (!w.any() || (w.requests() <= 0 && w.tokens() <= 0) || w.changesAt().isEmpty()) {
      return "";
    }
    Duration left = Duration.between(now, w.changesAt().get());
    return left.isNegative() || left.isZero() ? "freeing" : "frees in " + Fmt.countdown(left);
  }

  /** Whether the window's oldest start has left it by {@code nowMs}: only a read shows that. */
  static boolean due(Window w, long nowMs) {
    return w.any() && w.changesAt().isPresent() && w.changesAt().get().toEpochMilli() <= nowMs;
  }
}
