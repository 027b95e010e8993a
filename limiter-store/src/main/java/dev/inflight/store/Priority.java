package dev.inflight.store;

import java.util.Locale;

/**
 * A queued request's priority class. Higher classes are served first within a provider's queue; a
 * request rises one class for every aging interval it has waited (see {@link Plan#rank}), so a
 * batch request always gets through eventually. The database spells them in lower case.
 */
public enum Priority {
  INTERACTIVE,
  NORMAL,
  BATCH;

  /** The name the database stores, and the CLI accepts. */
  public String sqlName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The class named {@code text} (any case), or empty when it names none. */
  public static java.util.Optional<Priority> parse(String text) {
    for (Priority p : values()) {
      if (p.sqlName().equalsIgnoreCase(text == null ? "" : text.strip())) {
        return java.util.Optional.of(p);
      }
    }
    return java.util.Optional.empty();
  }

  /** The class the database stored; a row the CHECK should have refused reads as normal. */
  public static Priority fromSql(String text) {
    return parse(text).orElse(NORMAL);
  }
}
