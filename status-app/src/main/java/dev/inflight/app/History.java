package dev.inflight.app;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * The last ten minutes of one provider's active and queued counts and of the limit in force, one
 * sample per second (the highest counts seen in that second, so a short burst is not lost; the
 * lowest limit, so a 429's step down is not lost). Thread-safe: written by the reader thread, read
 * by the chart.
 */
public final class History {
  /** How far back the chart looks. */
  public static final long WINDOW_MS = 10 * 60 * 1000L;

  static final long BUCKET_MS = 1000L;

  /** One second of history. */
  public record Sample(long atMs, int active, int queued, int limit) {}

  private final ArrayDeque<Sample> samples = new ArrayDeque<>();

  /** Records counts seen at {@code nowMs} ({@code limit} 0 when unlimited). */
  public synchronized void record(long nowMs, int active, int queued, int limit) {
    long bucket = nowMs - Math.floorMod(nowMs, BUCKET_MS);
    Sample last = samples.peekLast();
    if (last != null && last.atMs() == bucket) {
      samples.pollLast();
      samples.addLast(
          new Sample(
              bucket,
              Math.max(active, last.active()),
              Math.max(queued, last.queued()),
              lowerLimit(limit, last.limit())));
    } else if (last == null || last.atMs() < bucket) {
      samples.addLast(new Sample(bucket, active, queued, limit));
    }
    while (!samples.isEmpty() && samples.peekFirst().atMs() <= nowMs - WINDOW_MS) {
      samples.pollFirst();
    }
  }

  private static int lowerLimit(int a, int b) {
    if (a == 0 || b == 0) {
      return a == 0 ? b : a; // 0: unlimited in that reading
    }
    return Math.min(a, b);
  }

  /** Whether anything was active or queued at or after {@code fromMs}. */
  public synchronized boolean hasActivitySince(long fromMs) {
    for (Sample s : samples) {
      if (s.atMs() >= fromMs && (s.active() > 0 || s.queued() > 0)) {
        return true;
      }
    }
    return false;
  }

  /** When the oldest sample kept was taken; empty before the first. */
  public synchronized java.util.OptionalLong firstAtMs() {
    Sample s = samples.peekFirst();
    return s == null ? java.util.OptionalLong.empty() : java.util.OptionalLong.of(s.atMs());
  }

  /** The highest active or queued count or limit in force at or after {@code fromMs}. */
  public synchronized int highestSince(long fromMs) {
    int max = 0;
    for (Sample s : samples) {
      if (s.atMs() >= fromMs) {
        max = Math.max(max, Math.max(s.limit(), Math.max(s.active(), s.queued())));
      }
    }
    return max;
  }

  /** The samples, oldest first. */
  public synchronized List<Sample> samples() {
    return new ArrayList<>(samples);
  }
}
