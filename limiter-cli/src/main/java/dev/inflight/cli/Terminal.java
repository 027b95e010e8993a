package dev.inflight.cli;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import sun.misc.Signal;

/**
 * What the command knows about the terminal it writes to: whether standard output is one, and how
 * many columns it has, so that long lines are cut with an ellipsis instead of wrapping. Pipes and
 * files get every line whole. The width is {@code $COLUMNS} when set, else what {@code stty size}
 * says about the controlling terminal, else 80; it is read again after the window was resized
 * (SIGWINCH).
 */
public final class Terminal {
  static final int DEFAULT_COLUMNS = 80;
  private static volatile int cached; // 0: not known yet (or the window was resized)
  private static boolean listening; // guarded by Terminal.class

  private Terminal() {}

  /**
   * Whether standard input and output are a terminal (a person is reading) that can redraw in
   * place: {@code TERM=dumb} (an editor's shell buffer) cannot, and gets lines as a pipe does.
   */
  public static boolean isTerminal() {
    return System.console() != null && !"dumb".equals(System.getenv("TERM"));
  }

  /** The terminal's width in columns, or 0 when standard output is not a terminal. */
  public static int columns() {
    if (!isTerminal()) {
      return 0;
    }
    int c = cached;
    if (c == 0) {
      listenForResize();
      c = measure();
      cached = c;
    }
    return c;
  }

  private static synchronized void listenForResize() {
    if (!listening) {
      listening = true;
      try {
        Signal.handle(new Signal("WINCH"), s -> cached = 0);
      } catch (IllegalArgumentException unsupported) {
        // no SIGWINCH here: the width stays as first measured
      }
    }
  }

  private static int measure() {
    int fromEnv = positive(System.getenv("COLUMNS"));
    if (fromEnv > 0) {
      return fromEnv;
    }
    try {
      Process p =
          new ProcessBuilder("stty", "size")
              .redirectInput(new File("/dev/tty"))
              .redirectError(ProcessBuilder.Redirect.DISCARD)
              .start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).strip();
      if (p.waitFor(2, TimeUnit.SECONDS) && p.exitValue() == 0) {
        String[] rowsCols = out.split("\\s+");
        int cols = rowsCols.length == 2 ? positive(rowsCols[1]) : 0;
        if (cols > 0) {
          return cols;
        }
      }
    } catch (IOException e) {
      // no stty or no controlling terminal
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return DEFAULT_COLUMNS;
  }

  private static int positive(String s) {
    if (s == null || !s.strip().matches("[0-9]{1,5}")) {
      return 0;
    }
    return Integer.parseInt(s.strip());
  }

  /**
   * {@code text} with every line longer than {@code columns} cut to fit, ending in {@code …}; the
   * text unchanged when {@code columns} is 0. Colour sequences take no column (and a cut line ends
   * by resetting the colour).
   */
  public static String fit(String text, int columns) {
    if (columns <= 0) {
      return text;
    }
    StringBuilder out = new StringBuilder(text.length());
    int start = 0;
    while (start < text.length()) {
      int nl = text.indexOf('\n', start);
      int end = nl < 0 ? text.length() : nl;
      cut(text, start, end, columns, out);
      if (nl >= 0) {
        out.append('\n');
      }
      start = end + 1;
    }
    return out.toString();
  }

  private static void cut(String s, int from, int to, int columns, StringBuilder out) {
    int visible = 0;
    for (int i = from; i < to; ) {
      if (s.charAt(i) == '\033' && i + 1 < to && s.charAt(i + 1) == '[') {
        int j = i + 2;
        while (j < to && !Character.isLetter(s.charAt(j))) {
          j++;
        }
        i = Math.min(to, j + 1);
        continue;
      }
      visible++;
      i += Character.charCount(s.codePointAt(i));
    }
    if (visible <= columns) {
      out.append(s, from, to);
      return;
    }
    int shown = 0;
    boolean coloured = false;
    for (int i = from; i < to; ) {
      if (s.charAt(i) == '\033' && i + 1 < to && s.charAt(i + 1) == '[') {
        int j = i + 2;
        while (j < to && !Character.isLetter(s.charAt(j))) {
          j++;
        }
        int e = Math.min(to, j + 1);
        out.append(s, i, e);
        coloured = true;
        i = e;
        continue;
      }
      if (shown == columns - 1) {
        break;
      }
      int n = Character.charCount(s.codePointAt(i));
      out.append(s, i, i + n);
      shown++;
      i += n;
    }
    out.append('…');
    if (coloured) {
      out.append("\033[0m");
    }
  }
}
