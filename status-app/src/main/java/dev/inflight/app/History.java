package dev.inflight.app;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * The last hour of one provider's active and queued counts and of the limit in force, one sample
 * per second (the highest counts seen in that second, so a short burst is not lost; the lowest
 * limit, so a 429's step down is not lost). Thread-safe: written by the reader thread, read by the
 * chart.
 */
public final class History {
  /** How far back the chart looks, and what is kept (and saved for the next start). */
  public static final long WINDOW_MS = 60 * 60 * 1000L;

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

  /**
   * Puts back samples saved by an earlier run (oldest first): those before the first sample kept
   * and within the window of {@code nowMs}. Nothing is filled in between them and the new ones: the
   * time the app was not running stays a gap.
   */
  public synchronized void restore(List<Sample> saved, long nowMs) {
    long before = samples.isEmpty() ? Long.MAX_VALUE : samples.peekFirst().atMs();
    List<Sample> older = new ArrayList<>();
    long last = Long.MIN_VALUE;
    for (Sample s : saved) {
      if (s.atMs() > nowMs - WINDOW_MS && s.atMs() < before && s.atMs() > last) {
        older.add(s);
        last = s.atMs();
      }
    }
    for (int i = older.size() - 1; i >= 0; i--) {
      samples.addFirst(older.get(i));
    }
  }

  /**
   * Samples folded into buckets of {@code bucketMs} (a multiple of a second), as {@link #record}
   * folds readings into seconds: the highest counts and the lowest limit of each bucket.
   */
  static List<Sample> fold(List<Sample> in, long bucketMs) {
    if (bucketMs <= BUCKET_MS) {
      return in;
    }
    List<Sample> out = new ArrayList<>();
    for (Sample s : in) {
      long bucket = s.atMs() - Math.floorMod(s.atMs(), bucketMs);
      Sample last = out.isEmpty() ? null : out.get(out.size() - 1);
      if (last != null && last.atMs() == bucket) {
        out.set(
            out.size() - 1,
            new Sample(
                bucket,
                Math.max(s.active(), last.active()),
                Math.max(s.queued(), last.queued()),
                lowerLimit(s.limit(), last.limit())));
      } else {
        out.add(new Sample(bucket, s.active(), s.queued(), s.limit()));
      }
    }
    return out;
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

  /** The samples at or after {@code fromMs}, oldest first. */
  public synchronized List<Sample> samplesSince(long fromMs) {
    List<Sample> out = new ArrayList<>();
    for (Sample s : samples) {
      if (s.atMs() >= fromMs) {
        out.add(s);
      }
    }
    return out;
  }

  /** The samples, oldest first. */
  public synchronized List<Sample> samples() {
    return new ArrayList<>(samples);
  }
}
