package dev.inflight.app;

import dev.inflight.client.LeaseInfo;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Grants per provider in the last minute and how long they waited (p50, p90), from the leases the
 * app sees: each lease seen for the first time is one grant, at its {@code acquiredAt}, having
 * waited {@code acquiredAt - queuedAt}. A lease taken and released between two reads is never seen,
 * so a provider of very short leases is undercounted (the tooltip says so).
 *
 * <p>UI thread only; needs no toolkit.
 */
final class Grants {
  static final Duration WINDOW = Duration.ofMinutes(1);
  static final int MAX_KEPT = 100_000;

  /** One grant: when, and how long it had waited. */
  record Grant(long atMs, long waitedMs) {}

  /** What the card shows: grants in the window, and the waits' p50 and p90 (ms). */
  record Stats(int count, long p50Ms, long p90Ms) {
    static final Stats NONE = new Stats(0, 0, 0);

    /** {@code 12 grants/min · wait p50 0.4s, p90 3.1s}; {@code no grants in the last minute}. */
    String text() {
      if (count == 0) {
        return "no grants in the last minute";
      }
      return count
          + (count == 1 ? " grant/min" : " grants/min")
          + " · wait p50 "
          + Fmt.duration(Duration.ofMillis(p50Ms))
          + ", p90 "
          + Fmt.duration(Duration.ofMillis(p90Ms));
    }
  }

  private final Map<String, Deque<Grant>> byProvider = new HashMap<>();
  private Set<Long> seen = new HashSet<>();

  /** Counts the leases not seen before; forgets the ids of leases gone from the snapshot. */
  void see(List<LeaseInfo> leases) {
    Set<Long> now = new HashSet<>();
    for (LeaseInfo l : leases) {
      now.add(l.id());
      if (!seen.contains(l.id())) {
        Deque<Grant> d = byProvider.computeIfAbsent(l.provider(), k -> new ArrayDeque<>());
        d.addLast(new Grant(l.acquiredAt().toEpochMilli(), l.waited().toMillis()));
        if (d.size() > MAX_KEPT) {
          d.pollFirst();
        }
      }
    }
    seen = now; // a lease id never comes back once its lease is gone
  }

  /** The provider's grants in the minute before {@code now}. */
  Stats of(String provider, Instant now) {
    Deque<Grant> d = byProvider.get(provider);
    if (d == null) {
      return Stats.NONE;
    }
    long from = now.toEpochMilli() - WINDOW.toMillis();
    d.removeIf(g -> g.atMs() <= from);
    if (d.isEmpty()) {
      return Stats.NONE;
    }
    long[] waits = d.stream().mapToLong(Grant::waitedMs).sorted().toArray();
    return new Stats(waits.length, percentile(waits, 50), percentile(waits, 90));
  }

  /** The nearest-rank percentile of sorted values: the smallest value at or above p % of them. */
  static long percentile(long[] sorted, int p) {
    if (sorted.length == 0) {
      return 0;
    }
    int rank = (int) Math.ceil(p / 100.0 * sorted.length);
    return sorted[Math.max(0, Math.min(sorted.length, rank) - 1)];
  }
}
