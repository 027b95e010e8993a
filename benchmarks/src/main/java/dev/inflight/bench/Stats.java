package dev.inflight.bench;

import java.util.Arrays;
import java.util.List;

/** Order statistics and the replay of the witness file; pure functions, unit-tested. */
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

  static double median(double[] values) {
    return quantile(values, 0.5);
  }

  /** What the witness saw: grants counted, the most leases held at once, and violations. */
  record Replay(long grants, int maxHeld, long violations, int unbalanced) {}

  /**
   * Replays witness lines in file order: {@code +id} right after a lease was granted, {@code -id}
   * right before it is released. A violation is a grant that made more than {@code limit} held at
   * once. Because the witness writes after acquiring and before releasing, it can only under-count
   * how many were held, never over-count: a violation seen here is a real one.
   */
  static Replay replay(List<String> lines, int limit) {
    long grants = 0;
    long violations = 0;
    int held = 0;
    int max = 0;
    for (String line : lines) {
      if (line.isEmpty()) {
        continue;
      }
      char c = line.charAt(0);
      if (c == '+') {
        grants++;
        held++;
        if (held > limit) {
          violations++;
        }
        max = Math.max(max, held);
      } else if (c == '-') {
        held--;
      } else {
        throw new IllegalArgumentException(
            "witness line must start with + or - (was " + line + ")");
      }
    }
    return new Replay(grants, max, violations, held);
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
