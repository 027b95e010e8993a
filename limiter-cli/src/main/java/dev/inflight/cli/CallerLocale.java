package dev.inflight.cli;

import java.util.Map;

/**
 * The locale of the shell that started {@code inflight}, as COMMAND must see it. The JVM decodes
 * its command line in the locale's charset, so under {@code LC_ALL=C} every non-ASCII character of
 * a provider id became U+FFFD (and {@code é} and {@code ü} collided in one row). {@code
 * bin/inflight} therefore starts the JVM in {@code C.UTF-8} when the caller's locale is not UTF-8,
 * and saves the caller's {@code LC_ALL}, {@code LC_CTYPE} and {@code LANG} as {@code
 * INFLIGHT_SAVED_<NAME>} ({@code =value}, or {@code -} for unset); {@code run} puts them back for
 * COMMAND.
 */
final class CallerLocale {
  private static final String[] NAMES = {"LC_ALL", "LC_CTYPE", "LANG"};
  private static final String PREFIX = "INFLIGHT_SAVED_";

  private CallerLocale() {}

  /** Puts the caller's locale variables back into {@code env} and drops the saved copies. */
  static void restore(Map<String, String> env) {
    for (String name : NAMES) {
      String saved = env.remove(PREFIX + name);
      if (saved == null) {
        continue; // the launcher changed nothing
      }
      if (saved.startsWith("=")) {
        env.put(name, saved.substring(1));
      } else {
        env.remove(name);
      }
    }
  }
}
