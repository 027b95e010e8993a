package dev.inflight.app;

import dev.inflight.cli.StatusText;
import dev.inflight.client.ProviderStatus;
import dev.inflight.client.StatusSnapshot;
import dev.inflight.client.Text;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.Set;

/**
 * When a desktop notification is due: once when a provider is paused by a 429, and once when a
 * request of a provider has waited longer than the threshold. One per episode, not one per read: an
 * episode ends when the pause ends or nobody waits that long any more, and only then can the next
 * one speak. Episodes are followed while notifications are off too, so turning them on in the
 * middle of one does not announce it late.
 *
 * <p>UI thread only; needs no toolkit. The time is the caller's (tests give their own).
 */
final class Alerts {
  /** Shows a notification (the tray icon's message in the app). */
  interface Sink {
    void show(String title, String text);
  }

  private final Sink sink;
  private final Set<String> paused = new HashSet<>();
  private final Set<String> waiting = new HashSet<>();
  private boolean enabled;
  private Duration threshold = AppPrefs.DEFAULT_WAIT;

  Alerts(Sink sink) {
    this.sink = sink;
  }

  void setEnabled(boolean on) {
    this.enabled = on;
  }

  void setThreshold(Duration d) {
    this.threshold = d;
  }

  /**
   * Looks at a snapshot read at {@code s.at()} as of {@code now} (waits have grown by the time
   * since the read).
   */
  void check(StatusSnapshot s, Instant now) {
    Duration since = Duration.between(s.at(), now);
    if (since.isNegative()) {
      since = Duration.ZERO;
    }
    Set<String> pausedNow = new HashSet<>();
    Set<String> waitingNow = new HashSet<>();
    for (ProviderStatus p : s.providers()) {
      String name = p.provider();
      if (p.pausedUntil().isPresent() && p.pausedUntil().get().isAfter(now)) {
        pausedNow.add(name);
        if (!paused.contains(name)) {
          say(
              Text.printable(name) + " paused by a 429",
              Text.printable(name) + " paused " + StatusText.paused(p, now));
        }
      }
      Duration longest = p.longestWait().plus(since);
      if (p.queued() > 0 && longest.compareTo(threshold) >= 0) {
        waitingNow.add(name);
        if (!waiting.contains(name)) {
          say(
              "A request for " + Text.printable(name) + " has waited " + Fmt.duration(longest),
              p.queued()
                  + (p.queued() == 1 ? " request waits" : " requests wait")
                  + " for "
                  + Text.printable(name)
                  + " (limit "
                  + StatusText.limit(p)
                  + ", active "
                  + p.active()
                  + ")");
        }
      }
    }
    paused.retainAll(pausedNow);
    paused.addAll(pausedNow);
    waiting.retainAll(waitingNow);
    waiting.addAll(waitingNow);
  }

  private void say(String title, String text) {
    if (enabled) {
      sink.show(title, text);
    }
  }
}
