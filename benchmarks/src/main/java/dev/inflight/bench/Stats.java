package dev.inflight.bench;

import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Order statistics and the replay of the witness file; pure functions, unit-tested.
 *
 * <p>The witness file is written by the worker JVMs, one {@code write(2)} per line on an {@code
 * O_APPEND} descriptor, so lines of every process interleave whole and in the order they were
 * written. For each request {@code label} (unique across processes):
 *
 * <ul>
 *   <li>{@code E label}: about to ask (written before the acquire call);
 *   <li>{@code Q label}: the acquire call has returned: the request is in the provider's queue, or
 *       already holds its lease (written before waiting);
 *   <li>{@code + label id}: holds its lease, whose id the database assigned when it granted it;
 *   <li>{@code - label}: about to release it.
 * </ul>
 */
final class Stats {
  private Stats() {}

  /** The {@code q}-quantile (0..1) by the nearest-rank method; the input is not modified. */
  static double quantile(double[] values, double q) {
    if (values.length == 0) {
      throw new IllegalArgumentException("values must not be empty");
    }
    if (q < 0 || q > 1) {
      throw new IllegalArgumentException("q must be from 0 to 1 (was " + q + ")");
    }
    double[] s = values.clone();
    Arrays.sort(s);
    int rank = (int) Math.ceil(q * s.length);
    return s[Math.max(0, rank - 1)];
  }

  /** {@link #quantile}, or NaN (not measured) when there are no values. */
  static double quantileOrNaN(double[] values, double q) {
    return values.length == 0 ? Double.NaN : quantile(values, q);
  }

  static double median(double[] values) {
    return quantile(values, 0.5);
  }

  /** What the witness saw: grants counted, the most leases held at once, and violations. */
  record Replay(long grants, int maxHeld, long violations, int unbalanced) {}

  /**
   * Replays witness lines in file order. A violation is a grant that made more than {@code limit}
   * held at once. Because the witness writes after acquiring and before releasing, it can only
   * under-count how many were held, never over-count: a violation seen here is a real one.
   */
  static Replay replay(List<String> lines, int limit) {
    long grants = 0;
    long violations = 0;
    int held = 0;
    int max = 0;
    for (String line : lines) {
      switch (kind(line)) {
        case '+' -> {
          grants++;
          held++;
          if (held > limit) {
            violations++;
          }
          max = Math.max(max, held);
        }
        case '-' -> held--;
        default -> {}
      }
    }
    return new Replay(grants, max, violations, held);
  }

  /**
   * What the witness says about first-come-first-served.
   *
   * @param checked grants made while some request that had been queued before this one even asked
   *     was still waiting: the grants that could have overtaken
   * @param violations grants that did overtake: a request granted before one that was queued before
   *     it asked
   */
  record Fifo(long checked, long violations) {}

  /**
   * Counts overtakings. Request A was queued before request B asked when A's {@code Q} line comes
   * before B's {@code E} line: A's queue transaction committed before B's began. Lease ids grow in
   * grant order (AUTOINCREMENT, assigned in the granting transaction), so B overtook A when B's
   * lease id is lower than A's. Requests whose E..Q spans overlap are never compared, since their
   * order in the queue cannot be known from outside; a request granted at once (no queueing) is
   * handled alike, because its grant happened inside its own E..Q span, and a grant that never
   * queues (tryAcquire, or acquire with a free slot) is only possible when nobody is queued. So a
   * violation counted here is a real one; a request whose E or + line is missing is ignored.
   */
  static Fifo fifo(List<String> lines) {
    // label -> {E line, Q line, whether a request queued before it asked was still waiting}
    Map<String, int[]> spans = new HashMap<>();
    Map<String, Long> ids = new HashMap<>();
    int waiting = 0; // requests past their Q line and before their + line
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i);
      char k = kind(line);
      if (k == '-') {
        continue;
      }
      String[] f = fields(line, k == '+' ? 3 : 2);
      int[] span = spans.computeIfAbsent(f[1], l -> new int[] {-1, -1, 0});
      if (k == 'E') {
        span[0] = i;
        span[2] = waiting > 0 ? 1 : 0;
      } else if (k == 'Q') {
        span[1] = i;
        waiting++;
      } else {
        waiting -= span[1] >= 0 ? 1 : 0;
        ids.put(f[1], Long.parseLong(f[2]));
      }
    }
    // By Q line; maxId[i] is the highest lease id among the first i+1 requests to be queued.
    long[][] queued =
        spans.entrySet().stream()
            .filter(e -> e.getValue()[1] >= 0 && ids.containsKey(e.getKey()))
            .map(e -> new long[] {e.getValue()[1], ids.get(e.getKey())})
            .sorted(Comparator.comparingLong(q -> q[0]))
            .toArray(long[][]::new);
    long[] queuedAt = new long[queued.length];
    long[] maxId = new long[queued.length];
    for (int i = 0; i < queued.length; i++) {
      queuedAt[i] = queued[i][0];
      maxId[i] = Math.max(i == 0 ? Long.MIN_VALUE : maxId[i - 1], queued[i][1]);
    }
    long checked = 0;
    long violations = 0;
    for (var e : spans.entrySet()) {
      int[] b = e.getValue();
      Long id = ids.get(e.getKey());
      if (b[0] < 0 || id == null) {
        continue;
      }
      checked += b[2];
      int before = lowerBound(queuedAt, b[0]); // requests queued before B asked
      if (before > 0 && maxId[before - 1] > id) {
        violations++;
      }
    }
    return new Fifo(checked, violations);
  }

  /** How many of the sorted {@code values} are below {@code key}. */
  private static int lowerBound(long[] values, long key) {
    int lo = 0;
    int hi = values.length;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (values[mid] < key) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  private static char kind(String line) {
    if (line.length() < 3 || line.charAt(1) != ' ' || "EQ+-".indexOf(line.charAt(0)) < 0) {
      throw new IllegalArgumentException(
          "witness line must be 'E label', 'Q label', '+ label id' or '- label' (was "
              + line
              + ")");
    }
    return line.charAt(0);
  }

  private static String[] fields(String line, int n) {
    String[] f = line.split(" ");
    if (f.length != n) {
      throw new IllegalArgumentException(
          "witness line must have " + n + " fields (was " + line + ")");
    }
    return f;
  }

  /** Formats a figure as {@code name value unit} with a sensible number of digits. */
  static String line(String name, double value, String unit) {
    return name + " " + format(value) + " " + unit;
  }

  static String format(double v) {
    if (v == Math.rint(v) && Math.abs(v) < 1e15) {
      return Long.toString((long) v);
    }
    double a = Math.abs(v);
    String f = a >= 100 ? "%.0f" : a >= 10 ? "%.1f" : a >= 1 ? "%.2f" : "%.3f";
    return String.format(java.util.Locale.ROOT, f, v);
  }
}
