package dev.inflight.cli;

import java.util.List;
import java.util.regex.Pattern;

/**
 * What {@code inflight run} tells other processes it runs: the program's file name and its first
 * plain argument, shortened ({@code python agent.py}, {@code node index.js …}), as the process name
 * and, without {@code --label}, as the label. Arguments are summarised, never copied: options,
 * their values and anything that may carry a secret (an {@code =}, a URL, a long token, a word such
 * as "token" or "key") are left out, since every user of the machine can read the names.
 */
final class CommandSummary {
  static final int MAX_ARGUMENT = 40;
  private static final Pattern PLAIN = Pattern.compile("[\\p{L}\\p{N}._/+-]+");
  private static final Pattern SECRET_WORD =
      Pattern.compile("(key|token|secret|passw|bearer|auth|cred)", Pattern.CASE_INSENSITIVE);
  private static final Pattern LONG_TOKEN = Pattern.compile("[A-Za-z0-9_\\-]{24,}");

  private CommandSummary() {}

  /** The summary of {@code command} (program first): never empty, without control characters. */
  static String of(List<String> command) {
    StringBuilder sb = new StringBuilder(fileName(command.get(0)));
    boolean more = false;
    boolean shown = false;
    for (int i = 1; i < command.size(); i++) {
      String a = command.get(i);
      if (!shown && safe(a)) {
        sb.append(' ').append(fileName(a));
        shown = true;
      } else {
        more = true;
      }
    }
    if (more) {
      sb.append(" …");
    }
    return clean(sb.toString());
  }

  /** An argument that says what runs (a script, a subcommand), and cannot be a secret. */
  private static boolean safe(String arg) {
    if (arg.isEmpty() || arg.startsWith("-") || arg.length() > MAX_ARGUMENT) {
      return false;
    }
    String name = fileName(arg);
    return PLAIN.matcher(arg).matches()
        && !SECRET_WORD.matcher(arg).find()
        && !LONG_TOKEN.matcher(name).find()
        && !name.isEmpty();
  }

  private static String fileName(String path) {
    String p = path;
    while (p.length() > 1 && p.endsWith("/")) {
      p = p.substring(0, p.length() - 1);
    }
    int slash = p.lastIndexOf('/');
    return slash < 0 || slash == p.length() - 1 ? p : p.substring(slash + 1);
  }

  /** Control characters (and U+FFFD) become {@code ?}; at most 80 characters. */
  private static String clean(String s) {
    StringBuilder sb = new StringBuilder();
    s.codePoints()
        .limit(80)
        .forEach(cp -> sb.appendCodePoint(Character.isISOControl(cp) || cp == 0xFFFD ? '?' : cp));
    String out = sb.toString().strip();
    return out.isEmpty() ? "?" : out;
  }
}
