package dev.inflight.cli;

import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogManager;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.StreamHandler;

/**
 * Routes the library's {@link System.Logger} lines (which land in java.util.logging) to stderr as
 * one short line each: warnings only, or everything with {@code --verbose}. Named by the system
 * property {@code java.util.logging.config.class}, so java.util.logging is loaded only if something
 * actually logs.
 */
public final class LogConfig {
  /** System property set by {@link Main} for {@code --verbose}. */
  static final String VERBOSE = "inflight.verbose";

  /** Called by {@link LogManager} when it first initialises. */
  public LogConfig() {
    boolean verbose = Boolean.getBoolean(VERBOSE);
    LogManager.getLogManager().reset();
    Logger root = Logger.getLogger("");
    Level level = verbose ? Level.ALL : Level.WARNING;
    Handler h =
        new StreamHandler(System.err, new OneLine(verbose)) {
          @Override
          public synchronized void publish(LogRecord record) {
            super.publish(record);
            flush();
          }
        };
    h.setLevel(level);
    root.addHandler(h);
    root.setLevel(level);
  }

  /** {@code inflight: warning: ...}; with --verbose also the logger and the stack trace. */
  private static final class OneLine extends Formatter {
    private final boolean verbose;

    OneLine(boolean verbose) {
      this.verbose = verbose;
    }

    @Override
    public String format(LogRecord r) {
      StringBuilder sb = new StringBuilder("inflight: ");
      if (r.getLevel().intValue() >= Level.SEVERE.intValue()) {
        sb.append("error: ");
      } else if (r.getLevel().intValue() >= Level.WARNING.intValue()) {
        sb.append("warning: ");
      }
      if (verbose) {
        sb.append('[').append(r.getLoggerName()).append("] ");
      }
      sb.append(formatMessage(r)).append(System.lineSeparator());
      if (r.getThrown() != null) {
        if (verbose) {
          java.io.StringWriter w = new java.io.StringWriter();
          r.getThrown().printStackTrace(new java.io.PrintWriter(w));
          sb.append(w);
        } else {
          sb.append("  caused by: ").append(r.getThrown()).append(System.lineSeparator());
        }
      }
      return sb.toString();
    }
  }
}
