package dev.inflight.client;

import java.util.Locale;

/**
 * A request's class in its provider's queue. Higher classes are served first; a waiting request
 * rises one class for every aging interval of its provider (30 s unless its limit says otherwise),
 * so a batch request always gets through eventually.
 */
public enum Priority {
  /** A person is waiting: an interactive turn. */
  INTERACTIVE,
  /** The default. */
  NORMAL,
  /** Background work: summaries, evaluations, indexing. */
  BATCH;

  /** The class named {@code text} (any case), as the CLI and the database spell it. */
  public static Priority parse(String text) {
    for (Priority p : values()) {
      if (p.name().equalsIgnoreCase(text == null ? "" : text.strip())) {
        return p;
      }
    }
    throw new IllegalArgumentException(
        "priority must be interactive, normal or batch (was "
            + (text == null ? "null" : Validation.quote(text))
            + ")");
  }

  /** The lower-case name the database and the CLI use. */
  @Override
  public String toString() {
    return name().toLowerCase(Locale.ROOT);
  }

  dev.inflight.store.Priority toStore() {
    return dev.inflight.store.Priority.values()[ordinal()];
  }
}
