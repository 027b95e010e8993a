package dev.inflight.store.sql;

import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * SQLite's numbered parameters ({@code ?1 … ?1}) for drivers that know only plain {@code ?}: the
 * text with every parameter plain, and for each of them which argument it takes. A plain {@code ?}
 * takes the number after the largest one used before it, as in SQLite. Quoted text is left alone.
 */
final class Numbered {
  private Numbered() {}

  private record Parsed(String plain, int[] order) {}

  private static final Map<String, Parsed> CACHE = new ConcurrentHashMap<>();

  /** {@code sql} with plain parameters. */
  static String plain(String sql) {
    return parse(sql).plain();
  }

  /** For each plain parameter of {@link #plain}, the index (0-based) of the argument it binds. */
  static int[] order(String sql) {
    return parse(sql).order();
  }

  private static Parsed parse(String sql) {
    return CACHE.computeIfAbsent(sql, Numbered::scan);
  }

  private static Parsed scan(String sql) {
    StringBuilder out = new StringBuilder(sql.length());
    int[] order = new int[8];
    int count = 0;
    int largest = 0;
    char quote = 0;
    for (int i = 0; i < sql.length(); i++) {
      char c = sql.charAt(i);
      if (quote != 0) {
        out.append(c);
        if (c == quote) {
          quote = 0;
        }
        continue;
      }
      if (c == '\'' || c == '"') {
        quote = c;
        out.append(c);
        continue;
      }
      if (c != '?') {
        out.append(c);
        continue;
      }
      int j = i + 1;
      while (j < sql.length() && Character.isDigit(sql.charAt(j))) {
        j++;
      }
      int number = j > i + 1 ? Integer.parseInt(sql.substring(i + 1, j)) : largest + 1;
      largest = Math.max(largest, number);
      if (count == order.length) {
        order = Arrays.copyOf(order, count * 2);
      }
      order[count++] = number - 1;
      out.append('?');
      i = j - 1;
    }
    return new Parsed(out.toString(), Arrays.copyOf(order, count));
  }
}
