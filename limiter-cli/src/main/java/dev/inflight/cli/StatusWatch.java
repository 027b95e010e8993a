package dev.inflight.cli;

import dev.inflight.client.LimiterException;
import dev.inflight.client.ModelStatus;
import dev.inflight.client.ProviderStatus;
import dev.inflight.client.StatusSnapshot;
import java.io.PrintStream;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.function.BooleanSupplier;
import java.util.function.IntSupplier;
import java.util.function.Supplier;

/**
 * {@code inflight status --watch}: the status redrawn in place on a terminal after every change to
 * the database and each second (countdowns tick), with colour: a provider at its limit in yellow,
 * one with a waiting queue in red. {@code NO_COLOR} and pipes get no colour; pipes get one line per
 * change instead of a screen. Runs until Ctrl-C (or {@code stop}).
 */
final class StatusWatch {
  static final String HOME = "\033[H";
  static final String CLEAR_LINE = "\033[K";
  static final String CLEAR_BELOW = "\033[J";
  static final String RED = "\033[31;1m";
  static final String YELLOW = "\033[33m";
  static final String RESET = "\033[0m";
  private static final DateTimeFormatter HMS =
      DateTimeFormatter.ofPattern("HH:mm:ss", Locale.ROOT).withZone(ZoneId.systemDefault());

  /** Waits up to {@code millis} for a change to the database (returns early on one). */
  interface Changes {
    void await(long millis) throws InterruptedException;
  }

  private final Supplier<StatusSnapshot> read;
  private final Changes changes;
  private final String db;
  private final PrintStream out;
  private final boolean terminal;
  private final boolean colour;
  private final IntSupplier columns;

  StatusWatch(
      Supplier<StatusSnapshot> read,
      Changes changes,
      String db,
      PrintStream out,
      boolean terminal,
      boolean colour,
      IntSupplier columns) {
    this.read = read;
    this.changes = changes;
    this.db = db;
    this.out = out;
    this.terminal = terminal;
    this.colour = terminal && colour;
    this.columns = columns;
  }

  /** Whether {@code NO_COLOR} leaves colour on (set to anything but the empty string: off). */
  static boolean colourWanted(String noColor) {
    return noColor == null || noColor.isEmpty();
  }

  /** Draws until {@code stop} says so; returns after the last frame. */
  void run(BooleanSupplier stop) throws InterruptedException {
    String last = null;
    while (!stop.getAsBoolean()) {
      String text;
      StatusSnapshot s = null;
      try {
        s = read.get();
        text = null;
      } catch (LimiterException e) {
        text = "cannot read the database: " + e.getMessage();
      }
      if (terminal) {
        out.print(s == null ? frame(text) : frame(s));
      } else {
        String line = s == null ? text : StatusText.line(s);
        if (!line.equals(last)) {
          out.println((s == null ? "" : HMS.format(s.at()) + " ") + line);
          last = line;
        }
      }
      out.flush();
      if (out.checkError()) {
        return; // the reader went away (| head) or the disk is full: Main says which
      }
      changes.await(1000);
    }
  }

  /** One screen: a title, {@code status}'s tables with colour, cut to the terminal's width. */
  String frame(StatusSnapshot s) {
    StringBuilder body = new StringBuilder();
    String tables = StatusText.tables(s, db);
    List<String> lines = tables.lines().toList();
    List<Object> rows = StatusText.providerRows(s);
    for (int i = 0; i < lines.size(); i++) {
      String l = lines.get(i);
      // Lines 1..n are the providers' table rows (providers, their models), after the header.
      String c = i >= 1 && i <= rows.size() ? colourOf(rows.get(i - 1)) : "";
      body.append(c.isEmpty() ? l : c + l + RESET).append('\n');
    }
    return frame(title(s) + "\n\n" + body);
  }

  private String frame(String text) {
    String fitted = Terminal.fit(text, columns.getAsInt());
    StringBuilder sb = new StringBuilder(HOME);
    fitted.lines().forEach(l -> sb.append(l).append(CLEAR_LINE).append('\n'));
    return sb.append(CLEAR_BELOW).toString();
  }

  /** The clock first: on a narrow terminal the cut falls on the database's path, not on it. */
  private String title(StatusSnapshot s) {
    return HMS.format(s.at()) + " · inflight status --watch · " + db + " · Ctrl-C stops";
  }

  /** Red while anyone waits, yellow at the limit in force, else none. */
  private String colourOf(Object row) {
    if (!colour) {
      return "";
    }
    if (row instanceof ModelStatus m) {
      if (m.queued() > 0) {
        return RED;
      }
      return m.maxInFlight() > 0 && m.inFlight() >= m.maxInFlight() ? YELLOW : "";
    }
    ProviderStatus p = (ProviderStatus) row;
    if (p.queued() > 0) {
      return RED;
    }
    boolean full =
        p.limitInForce().isPresent() && p.active() + p.cooling() >= p.limitInForce().getAsInt();
    return full ? YELLOW : "";
  }
}
