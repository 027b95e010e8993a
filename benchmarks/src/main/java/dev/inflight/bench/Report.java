package dev.inflight.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The harness's output: figures on stdout, one {@code name value unit} line each, and progress on
 * stderr, stamped with the seconds since the harness started.
 */
final class Report {
  private static final long START = System.nanoTime();

  private Report() {}

  /** Seconds since this JVM loaded the harness. */
  static double elapsedSeconds() {
    return (System.nanoTime() - START) / 1e9;
  }

  static void emit(String name, double value, String unit) {
    System.out.println(Stats.line(name, value, unit));
    System.out.flush();
  }

  /**
   * A figure beside its floor, measured by the same harness in the same run, and figure / floor:
   * three lines, floor first.
   */
  static void compared(
      String floorName, double floor, String name, double value, String unit, String ratioName) {
    emit(floorName, floor, unit);
    emit(name, value, unit);
    emit(ratioName, value / floor, "x");
  }

  static void progress(String format, Object... args) {
    System.err.printf(Locale.ROOT, "bench %5.1fs: ", elapsedSeconds());
    System.err.println(String.format(Locale.ROOT, format, args));
  }

  /** The 1, 5 and 15 minute load averages: how noisy the machine was around the figures. */
  static String loadAverage() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split(" ");
      return f[0] + " " + f[1] + " " + f[2];
    } catch (IOException e) {
      return "unknown";
    }
  }

  /** Values rounded to three decimals, for progress lines. */
  static double[] round(double[] v) {
    double[] r = new double[v.length];
    for (int i = 0; i < v.length; i++) {
      r[i] = Math.round(v[i] * 1000) / 1000.0;
    }
    return r;
  }

  /** min, p50, p90, p99 and max of {@code ms}, for progress lines. */
  static String spread(double[] ms) {
    if (ms.length == 0) {
      return "(no samples)";
    }
    return String.format(
        Locale.ROOT,
        "min %.3f p50 %.3f p90 %.3f p99 %.3f max %.3f",
        Stats.quantile(ms, 0),
        Stats.quantile(ms, 0.5),
        Stats.quantile(ms, 0.9),
        Stats.quantile(ms, 0.99),
        Stats.quantile(ms, 1));
  }
}
