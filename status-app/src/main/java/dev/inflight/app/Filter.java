package dev.inflight.app;

import java.util.Locale;
import java.util.function.Predicate;

/** The window's filter: rows any of whose words contain the query, ignoring case. */
final class Filter {
  private Filter() {}

  static Predicate<String[]> of(String query) {
    String q = query == null ? "" : query.strip().toLowerCase(Locale.ROOT);
    if (q.isEmpty()) {
      return words -> true;
    }
    return words -> {
      for (String w : words) {
        if (w != null && w.toLowerCase(Locale.ROOT).contains(q)) {
          return true;
        }
      }
      return false;
    };
  }
}
