package dev.inflight.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * An independent record of what was held, written by the processes under test and read back by the
 * test: never the limiter's own counts. Each line is one {@code write(2)} on an {@code O_APPEND}
 * descriptor, so lines from every process interleave whole, in the order they happened.
 *
 * <ul>
 *   <li>{@code E label}: about to ask for a lease;
 *   <li>{@code Q label}: the request is queued (the limiter said so);
 *   <li>{@code + label leaseId}: holds the lease (written right after the grant);
 *   <li>{@code - label}: about to release it.
 * </ul>
 */
public final class Witness implements AutoCloseable {
  private final FileChannel channel;

  private Witness(FileChannel channel) {
    this.channel = channel;
  }

  public static Witness append(Path file) {
    try {
      return new Witness(
          FileChannel.open(
              file,
              StandardOpenOption.CREATE,
              StandardOpenOption.WRITE,
              StandardOpenOption.APPEND));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public void line(String line) {
    try {
      channel.write(ByteBuffer.wrap((line + "\n").getBytes(StandardCharsets.UTF_8)));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() {
    try {
      channel.close();
    } catch (IOException e) {
      // nothing to flush: every line was one write
    }
  }

  /** What a witness file says happened. */
  public record Replay(int grants, int maxHeld, int queued, List<String> overtakes) {}

  /**
   * Replays a witness file: how many grants, the most leases held at once, how many requests
   * queued, and every FIFO violation: a request B granted a lease with a lower id than a request A
   * that was fully queued before B even asked (lease ids grow in grant order).
   */
  public static Replay replay(Path file) {
    List<String> lines;
    try {
      lines = Files.readAllLines(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    int held = 0;
    int maxHeld = 0;
    int grants = 0;
    Map<String, Integer> enteredAt = new HashMap<>();
    Map<String, Integer> queuedAt = new HashMap<>();
    Map<String, Long> leaseOf = new HashMap<>();
    for (int i = 0; i < lines.size(); i++) {
      String[] f = lines.get(i).split(" ");
      switch (f[0]) {
        case "E" -> enteredAt.put(f[1], i);
        case "Q" -> queuedAt.put(f[1], i);
        case "+" -> {
          held++;
          grants++;
          maxHeld = Math.max(maxHeld, held);
          leaseOf.put(f[1], Long.parseLong(f[2]));
        }
        case "-" -> held--;
        default -> throw new AssertionError("bad witness line " + lines.get(i));
      }
    }
    List<String> overtakes = new ArrayList<>();
    for (Map.Entry<String, Integer> a : queuedAt.entrySet()) {
      Long leaseA = leaseOf.get(a.getKey());
      for (Map.Entry<String, Integer> b : enteredAt.entrySet()) {
        Long leaseB = leaseOf.get(b.getKey());
        if (leaseA != null && leaseB != null && a.getValue() < b.getValue() && leaseA > leaseB) {
          overtakes.add(b.getKey() + " overtook " + a.getKey());
        }
      }
    }
    return new Replay(grants, maxHeld, queuedAt.size(), overtakes);
  }
}
