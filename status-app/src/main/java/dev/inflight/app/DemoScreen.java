package dev.inflight.app;

import dev.inflight.cli.Terminal;
import java.io.PrintStream;
import java.util.function.IntSupplier;

/**
 * Where the demo's table goes: redrawn in place on a terminal, one line every few seconds
 * elsewhere. Once {@link #finish} printed the closing line nothing is drawn any more, so that on
 * Ctrl-C a redraw racing with the shutdown cannot clear the "limits restored" line off the screen.
 * Thread-safe: the drawing thread and the shutdown hook both call it.
 */
final class DemoScreen {
  private static final String HOME = "\033[H";
  private static final String CLEAR_LINE = "\033[K";
  private static final String CLEAR_BELOW = "\033[J";

  private final PrintStream out;
  private final PrintStream err;
  private final boolean terminal;
  private final IntSupplier columns;
  private boolean finished; // guarded by this

  /**
   * @param columns the terminal's width, for cutting long lines with an ellipsis (0: do not cut)
   */
  DemoScreen(PrintStream out, PrintStream err, boolean terminal, IntSupplier columns) {
    this.out = out;
    this.err = err;
    this.terminal = terminal;
    this.columns = columns;
  }

  boolean terminal() {
    return terminal;
  }

  /**
   * Replaces the screen with {@code table} (a terminal only), its long lines cut to the width;
   * false once finished. Drawn over the previous frame line by line, as {@code inflight status
   * --watch} does, rather than after clearing the screen, which flickers at every redraw.
   */
  synchronized boolean draw(String table) {
    if (finished) {
      return false;
    }
    StringBuilder frame = new StringBuilder(HOME);
    Terminal.fit(table, columns.getAsInt())
        .lines()
        .forEach(l -> frame.append(l).append(CLEAR_LINE).append('\n'));
    out.print(frame.append(CLEAR_BELOW));
    out.flush();
    return true;
  }

  /** Adds one line (pipes and logs); false once finished. */
  synchronized boolean line(String text) {
    if (finished) {
      return false;
    }
    out.println(text);
    out.flush();
    return true;
  }

  /** Prints the last line, on stderr below whatever was drawn, and stops all further drawing. */
  synchronized void finish(String lastLine) {
    finished = true;
    out.flush();
    err.println(lastLine);
    err.flush();
  }
}
