package dev.inflight.bench;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/** CPU time of worker processes, read from {@code /proc} (Linux only, as the harness is). */
final class CpuTime {
  private CpuTime() {}

  /**
   * On-CPU nanoseconds of the live threads of all {@code children}, summed by thread name; a worker
   * that has already ended counts for nothing.
   */
  static Map<String, Long> threadNanos(List<Child> children) throws IOException {
    Map<String, Long> out = new TreeMap<>();
    for (Child c : children) {
      try {
        threadNanos(c.pid()).forEach((k, v) -> out.merge(k, v, Long::sum));
      } catch (NoSuchFileException e) {
        // the worker ended
      }
    }
    return out;
  }

  /** On-CPU nanoseconds of the process's live threads, summed by thread name. */
  static Map<String, Long> threadNanos(long pid) throws IOException {
    Map<String, Long> out = new TreeMap<>();
    try (DirectoryStream<Path> tasks =
        Files.newDirectoryStream(Path.of("/proc/" + pid + "/task"))) {
      for (Path t : tasks) {
        try {
          String name = Files.readString(t.resolve("comm")).trim();
          out.merge(name, onCpuNanos(t), Long::sum);
        } catch (IOException e) {
          // the thread ended between listing and reading
        }
      }
    }
    return out;
  }

  /** Sum of on-CPU nanoseconds of the process's live threads (ended threads are not counted). */
  static long schedNanos(long pid) throws IOException {
    long sum = 0;
    try (DirectoryStream<Path> tasks =
        Files.newDirectoryStream(Path.of("/proc/" + pid + "/task"))) {
      for (Path t : tasks) {
        try {
          sum += onCpuNanos(t);
        } catch (IOException e) {
          // the thread ended between listing and reading
        }
      }
    }
    return sum;
  }

  private static long onCpuNanos(Path task) throws IOException {
    return Long.parseLong(Files.readString(task.resolve("schedstat")).trim().split(" ")[0]);
  }

  /** utime+stime of the whole process (threads that ended included), in nanoseconds. */
  static long statNanos(long pid) {
    return ProcessHandle.of(pid)
        .flatMap(p -> p.info().totalCpuDuration())
        .map(Duration::toNanos)
        .orElseThrow(() -> new IllegalStateException("no CPU time for pid " + pid));
  }

  /** Both readings of one process at one instant: {@link #schedNanos} and {@link #statNanos}. */
  record Reading(long sched, long stat, long at) {
    static Reading of(long pid) throws IOException {
      return new Reading(schedNanos(pid), statNanos(pid), System.nanoTime());
    }

    /**
     * Percent of one core used since {@code earlier}: the larger of the two measures (per-thread
     * schedstat has nanosecond resolution but misses threads that ended; utime+stime counts them in
     * 10 ms ticks).
     */
    double percentSince(Reading earlier) {
      return Math.max(schedPercentSince(earlier), statPercentSince(earlier));
    }

    double schedPercentSince(Reading earlier) {
      return 100.0 * (sched - earlier.sched) / (at - earlier.at);
    }

    double statPercentSince(Reading earlier) {
      return 100.0 * (stat - earlier.stat) / (at - earlier.at);
    }
  }

  /** The threads that used most CPU between two {@link #threadNanos} readings. */
  static String busiest(Map<String, Long> before, Map<String, Long> after) {
    StringBuilder top = new StringBuilder();
    after.entrySet().stream()
        .map(e -> Map.entry(e.getKey(), e.getValue() - before.getOrDefault(e.getKey(), 0L)))
        .filter(e -> e.getValue() > 0)
        .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
        .limit(8)
        .forEach(
            e ->
                top.append(
                    String.format(Locale.ROOT, " %s=%.1fms", e.getKey(), e.getValue() / 1e6)));
    return top.toString();
  }
}
