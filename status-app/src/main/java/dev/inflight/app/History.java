package dev.inflight.app;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * The last ten minutes of one provider's active and queued counts, one sample per second (the
 * highest counts seen in that second, so a short burst is not lost). Thread-safe: written by the
 * reader thread, read by the chart.
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
              bucket, Math.max(active, last.active()), Math.max(queued, last.queued()), limit));
    } else if (last == null || last.atMs() < bucket) {
      samples.addLast(new Sample(bucket, active, queued, limit));
    }
    while (!samples.isEmpty() && samples.peekFirst().atMs() <= nowMs - WINDOW_MS) {
      samples.pollFirst();
    }
  }

  /** The samples, oldest first. */
  public synchronized List<Sample> samples() {
    return new ArrayList<>(samples);
  }
}
