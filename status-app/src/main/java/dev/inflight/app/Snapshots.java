package dev.inflight.app;

import dev.inflight.client.LeaseInfo;
import dev.inflight.client.ProviderStatus;
import dev.inflight.client.StatusSnapshot;
import dev.inflight.client.WaiterInfo;
import java.time.Duration;
import java.util.List;

/** What in a snapshot calls for a repaint or a read: plain functions of snapshots. */
final class Snapshots {
  private Snapshots() {}

  /** A 429 pause that has run out: no commit says so, so only a read clears it from the screen. */
  static boolean pauseEnded(ProviderStatus p, long nowMs) {
    return p.pausedUntil().isPresent() && p.pausedUntil().get().toEpochMilli() <= nowMs;
  }

  /**
   * Whether a budget window of the provider or one of its models has freed room by {@code nowMs}.
   */
  static boolean windowFreed(ProviderStatus p, long nowMs) {
    return Gauge.due(p.window(), nowMs)
        || p.models().stream().anyMatch(m -> Gauge.due(m.window(), nowMs));
  }

  /** What the window shows of a snapshot, without the durations that tick by themselves. */
  static List<Object> visible(StatusSnapshot s) {
    return List.of(
        s.providers().stream()
            .map(
                p ->
                    new ProviderStatus(
                        p.provider(),
                        p.limit(),
                        p.cooldown(),
                        p.paused(),
                        p.active(),
                        p.cooling(),
                        p.queued(),
                        Duration.ZERO,
                        p.adaptive(),
                        p.effectiveLimit(),
                        p.pausedUntil(),
                        p.pauseReason(),
                        p.upstreamInFlight(),
                        p.window(),
                        p.models(),
                        p.queuedByClass()))
            .toList(),
        s.leases().stream()
            .map(
                l ->
                    new LeaseInfo(
                        l.id(),
                        l.provider(),
                        l.pid(),
                        l.host(),
                        l.processName(),
                        l.label(),
                        l.acquiredAt(),
                        Duration.ZERO,
                        l.model(),
                        l.weight(),
                        l.tokens()))
            .toList(),
        s.waiters().stream()
            .map(
                w ->
                    new WaiterInfo(
                        w.provider(),
                        w.position(),
                        w.pid(),
                        w.host(),
                        w.processName(),
                        w.label(),
                        w.queuedAt(),
                        Duration.ZERO,
                        w.model(),
                        w.weight(),
                        w.tokens(),
                        w.priority()))
            .toList());
  }
}
