package dev.inflight.cli;

import dev.inflight.client.Text;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/** A plain-text table: columns padded to their widest cell, numbers right-aligned. */
final class Table {
  private final String[] headers;
  private final boolean[] rightAligned;
  private final List<String[]> rows = new ArrayList<>();

  /** Headers ending in {@code >} are right-aligned (the marker is not printed). */
  Table(String... headers) {
    this.headers = new String[headers.length];
    this.rightAligned = new boolean[headers.length];
    for (int i = 0; i < headers.length; i++) {
      rightAligned[i] = headers[i].endsWith(">");
      this.headers[i] =
          rightAligned[i] ? headers[i].substring(0, headers[i].length() - 1) : headers[i];
    }
  }

  Table row(Object... cells) {
    String[] r = new String[headers.length];
    for (int i = 0; i < r.length; i++) {
      // Cells carry text other processes wrote (labels, providers): never let one drive the
      // terminal.
      r[i] = i < cells.length && cells[i] != null ? Text.printable(cells[i].toString()) : "";
    }
    rows.add(r);
    return this;
  }

  boolean isEmpty() {
    return rows.isEmpty();
  }

  /** Prints the table; on a terminal, lines wider than it are cut with an ellipsis. */
  void print(PrintStream out) {
    StringBuilder sb = new StringBuilder();
    render(sb);
    out.print(Terminal.fit(sb.toString(), Terminal.columns()));
  }

  /** Appends the table, one line per row after the headers, each ending in a newline. */
  void render(StringBuilder sb) {
    int[] width = new int[headers.length];
    for (int i = 0; i < headers.length; i++) {
      width[i] = length(headers[i]);
      for (String[] r : rows) {
        width[i] = Math.max(width[i], length(r[i]));
      }
    }
    line(sb, headers, width);
    for (String[] r : rows) {
      line(sb, r, width);
    }
  }

  private void line(StringBuilder sb, String[] cells, int[] width) {
    int start = sb.length();
    for (int i = 0; i < cells.length; i++) {
      int pad = width[i] - length(cells[i]);
      if (rightAligned[i]) {
        sb.append(" ".repeat(pad)).append(cells[i]);
      } else {
        sb.append(cells[i]).append(" ".repeat(pad));
      }
      if (i < cells.length - 1) {
        sb.append("  ");
      }
    }
    while (sb.length() > start && sb.charAt(sb.length() - 1) == ' ') {
      sb.setLength(sb.length() - 1);
    }
    sb.append('\n');
  }

  private static int length(String s) {
    return s.codePointCount(0, s.length());
  }
}
