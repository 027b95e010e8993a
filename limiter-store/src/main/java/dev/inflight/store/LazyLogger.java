package dev.inflight.store;

import java.util.ResourceBundle;
import java.util.function.Supplier;

/**
 * A {@link System.Logger} that is looked up on its first use. {@link System#getLogger} called from
 * application code sets up java.util.logging at once (its LogManager, the configuration the
 * application names, handlers), which every start of a short-lived process paid whether or not
 * anything was logged. The supplier runs in the caller's module, so a custom {@link
 * System.LoggerFinder} still sees the module that logs.
 */
public final class LazyLogger implements System.Logger {
  private final String name;
  private final Supplier<System.Logger> lookup;
  private volatile System.Logger delegate;

  public LazyLogger(String name, Supplier<System.Logger> lookup) {
    this.name = name;
    this.lookup = lookup;
  }

  private System.Logger delegate() {
    System.Logger d = delegate;
    if (d == null) {
      d = lookup.get();
      delegate = d;
    }
    return d;
  }

  @Override
  public String getName() {
    return name;
  }

  @Override
  public boolean isLoggable(Level level) {
    return delegate().isLoggable(level);
  }

  @Override
  public void log(Level level, ResourceBundle bundle, String msg, Throwable thrown) {
    delegate().log(level, bundle, msg, thrown);
  }

  @Override
  public void log(Level level, ResourceBundle bundle, String format, Object... params) {
    delegate().log(level, bundle, format, params);
  }
}
