package dev.inflight.app;

import dev.inflight.client.ProviderStatus;
import dev.inflight.client.StatusSnapshot;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Every provider's {@link History}, and what the charts share: one time span and one vertical
 * scale, so that rows can be compared. Thread-safe: written by the reader thread, read by the
 * charts.
 */
final class Histories {
  /** How long an unlimited provider gone from the snapshots is kept after its last activity. */
  static final long IDLE_KEEP_MS = 10 * 60 * 1000L;

  private final Map<String, History> byProvider = new ConcurrentHashMap<>();

  History of(String provider) {
    return byProvider.computeIfAbsent(provider, k -> new History());
  }

  /**
   * Records a snapshot. A provider gone from it (unlimited and idle) gets zeros while its chart
   * still shows activity, so that its row can stay, and is forgotten after that.
   */
  void record(StatusSnapshot s, long atMs) {
    Set<String> seen = new HashSet<>();
    for (ProviderStatus p : s.providers()) {
      seen.add(p.provider());
      of(p.provider()).record(atMs, p.active(), p.queued(), p.limitInForce().orElse(0));
    }
    long since = atMs - IDLE_KEEP_MS + History.BUCKET_MS;
    byProvider
        .entrySet()
        .removeIf(e -> !seen.contains(e.getKey()) && !e.getValue().hasActivitySince(since));
    byProvider.forEach(
        (p, h) -> {
          if (!seen.contains(p)) {
            h.record(atMs, 0, 0, 0);
          }
        });
  }

  /** Every provider's samples, by provider (for saving). */
  Map<String, java.util.List<History.Sample>> samples() {
    Map<String, java.util.List<History.Sample>> out = new java.util.TreeMap<>();
    byProvider.forEach((p, h) -> out.put(p, h.samples()));
    return out;
  }

  /** Puts back what an earlier run saved (see {@link History#restore}). */
  void restore(Map<String, java.util.List<History.Sample>> saved, long nowMs) {
    saved.forEach((p, list) -> of(p).restore(list, nowMs));
  }

  /**
   * The span every chart shows: an hour once there is that much history (saved ones included);
   * until then the time since the first sample, in whole minutes (at least one).
   */
  long spanMs(long nowMs) {
    long first = nowMs;
    for (History h : byProvider.values()) {
      first = Math.min(first, h.firstAtMs().orElse(nowMs));
    }
    long minutes = Math.max(1, (nowMs - first + 59_999) / 60_000);
    return Math.min(History.WINDOW_MS, minutes * 60_000);
  }

  /**
   * The top of the common scale: the highest count or limit any provider reached in the span (at
   * least 2); above 10, rounded up to a number that reads well on an axis (12, 15, 20, 25, 30 …).
   */
  int scaleTop(long nowMs) {
    long from = nowMs - spanMs(nowMs);
    int max = 2;
    for (History h : byProvider.values()) {
      max = Math.max(max, h.highestSince(from));
    }
    return niceCeiling(max);
  }

  static int niceCeiling(int v) {
    if (v <= 10) {
      return v;
    }
    long step = 10;
    while (true) {
      for (int tenths : new int[] {12, 15, 20, 25, 30, 40, 50, 60, 80, 100}) {
        long c = tenths * step / 10;
        if (c >= v) {
          return (int) Math.min(Integer.MAX_VALUE, c);
        }
      }
      step *= 10;
    }
  }
}
