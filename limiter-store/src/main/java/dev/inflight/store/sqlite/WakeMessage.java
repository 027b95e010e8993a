package dev.inflight.store.sqlite;

import dev.inflight.store.Rows.Grant;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * What a waker writes on the connection to a woken process's socket: one line per grant, {@code
 * grant TOKEN LEASE_ID ACQUIRED_AT_MS}, in ASCII, then it closes. A connection that carries nothing
 * (a client that only connects) is a wake-up all the same. Lines the reader does not understand are
 * skipped: the woken process then reads the database, as for an empty message.
 */
final class WakeMessage {
  /** More than any one commit grants one process: a bigger message is sent empty. */
  static final int MAX_BYTES = 4096;

  private static final Pattern TOKEN = Pattern.compile("[0-9A-Za-z_-]{16,64}");

  private WakeMessage() {}

  /**
   * The message naming {@code grants}; empty (a bare wake-up, so that the owner reads) when one of
   * them cannot be written on a line (a foreign client's token) or they do not all fit: a message
   * that names some grants must name all of them.
   */
  static byte[] encode(List<Grant> grants) {
    StringBuilder sb = new StringBuilder(grants.size() * 64);
    for (Grant g : grants) {
      if (!TOKEN.matcher(g.token()).matches()) {
        return new byte[0];
      }
      sb.append("grant ")
          .append(g.token())
          .append(' ')
          .append(g.leaseId())
          .append(' ')
          .append(g.acquiredAtMs())
          .append('\n');
      if (sb.length() > MAX_BYTES) {
        return new byte[0];
      }
    }
    return sb.toString().getBytes(StandardCharsets.US_ASCII);
  }

  /**
   * The grants named by the complete lines of {@code bytes[0..length)}; {@code complete} is set to
   * false when some line was not understood (or cut short), so that the caller reads.
   */
  static List<Grant> parse(byte[] bytes, int length, boolean[] complete) {
    List<Grant> out = new ArrayList<>(1);
    complete[0] = true;
    int start = 0;
    for (int i = 0; i < length; i++) {
      if (bytes[i] != '\n') {
        continue;
      }
      Grant g = line(new String(bytes, start, i - start, StandardCharsets.US_ASCII));
      if (g == null) {
        complete[0] = false;
      } else {
        out.add(g);
      }
      start = i + 1;
    }
    if (start != length) {
      complete[0] = false; // a line cut short
    }
    return out;
  }

  private static Grant line(String s) {
    String[] f = s.split(" ", -1);
    if (f.length != 4 || !f[0].equals("grant") || !TOKEN.matcher(f[1]).matches()) {
      return null;
    }
    try {
      long id = Long.parseLong(f[2]);
      long at = Long.parseLong(f[3]);
      return id > 0 && at >= 0 ? new Grant(f[1], id, at) : null;
    } catch (NumberFormatException e) {
      return null;
    }
  }
}
