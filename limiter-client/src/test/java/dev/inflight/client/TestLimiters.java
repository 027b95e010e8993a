package dev.inflight.client;

import dev.inflight.store.LeaseEngine;
import dev.inflight.store.Liveness;
import dev.inflight.store.ProcessIdentity;
import dev.inflight.store.Rows.WatchTarget;
import dev.inflight.store.Signals;
import dev.inflight.store.StoreException;
import dev.inflight.testing.MutableClock;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * Limiters put together from their parts, as {@link LimiterBuilder#build()} does, but with an
 * identity, a liveness check or an engine of the test's choosing: another host, a dead pid, a
 * database that fails.
 */
final class TestLimiters {
  private TestLimiters() {}

  static DefaultLimiter open(LimiterBuilder b, ProcessIdentity me, Liveness liveness) {
    Settings s = b.settings(me);
    return new DefaultLimiter(s, LimiterBuilder.open(s, liveness));
  }

  static DefaultLimiter open(LimiterBuilder b, LeaseEngine engine) {
    return new DefaultLimiter(b.settings(ProcessIdentity.current()), engine);
  }

  /** A limiter on the real engine of {@code b}'s root, seen through {@code wrap}. */
  static DefaultLimiter open(LimiterBuilder b, UnaryOperator<LeaseEngine> wrap) {
    Settings s = b.settings(ProcessIdentity.current());
    return new DefaultLimiter(s, wrap.apply(LimiterBuilder.open(s, Liveness.system())));
  }

  /**
   * {@code real}, except that its signals are lost: no commit is ever reported ({@code hints}
   * false), no wake-up is ever delivered ({@code wakes} false), as if the watch or the socket had
   * failed unnoticed. The engine still reports that it watches commits, so the waiter relies on its
   * slowest safety re-read.
   */
  static LeaseEngine losingSignals(LeaseEngine real, boolean hints, boolean wakes) {
    Signals signals = real.signals();
    Signals lossy =
        new Signals() {
          @Override
          public CommitWatch onCommit(Runnable onCommit) {
            return hints
                ? signals.onCommit(onCommit)
                : new CommitWatch() {
                  @Override
                  public void pause() {}

                  @Override
                  public void resume() {}

                  @Override
                  public void close() {}
                };
          }

          @Override
          public boolean commitsWatched() {
            return signals.commitsWatched();
          }

          @Override
          public AutoCloseable onWake(
              java.util.function.Consumer<java.util.List<dev.inflight.store.Rows.Grant>> onWake) {
            return wakes ? signals.onWake(onWake) : () -> {};
          }

          @Override
          public boolean wakeable() {
            return signals.wakeable();
          }

          @Override
          public long commitCount() {
            return signals.commitCount();
          }

          @Override
          public OwnerWatch watch(WatchTarget owner, Runnable onGone) {
            return signals.watch(owner, onGone);
          }
        };
    return (LeaseEngine)
        Proxy.newProxyInstance(
            LeaseEngine.class.getClassLoader(),
            new Class<?>[] {LeaseEngine.class},
            (proxy, m, args) -> {
              if (m.getName().equals("signals")) {
                return lossy;
              }
              try {
                return m.invoke(real, args);
              } catch (InvocationTargetException e) {
                throw e.getCause();
              }
            });
  }

  /**
   * {@code real}, counting the calls of each of its methods by name into {@code calls} as they
   * return.
   */
  static LeaseEngine counting(LeaseEngine real, java.util.Map<String, Integer> calls) {
    return (LeaseEngine)
        Proxy.newProxyInstance(
            LeaseEngine.class.getClassLoader(),
            new Class<?>[] {LeaseEngine.class},
            (proxy, m, args) -> {
              try {
                return m.invoke(real, args);
              } catch (InvocationTargetException e) {
                throw e.getCause();
              } finally {
                calls.merge(m.getName(), 1, Integer::sum);
              }
            });
  }

  /** An engine whose every transaction fails with an I/O error on {@code home}'s database. */
  static LeaseEngine failingEngine(Path home, MutableClock clock) {
    Path db = ConfigRoot.databaseFile(home);
    return (LeaseEngine)
        Proxy.newProxyInstance(
            LeaseEngine.class.getClassLoader(),
            new Class<?>[] {LeaseEngine.class},
            (proxy, m, args) ->
                switch (m.getName()) {
                  case "location" -> db.toString();
                  case "file" -> Optional.of(db);
                  case "close" -> null;
                  case "toString" -> "failing engine on " + db;
                  default ->
                      throw new StoreException(
                          db.toString(),
                          StoreException.Kind.IO,
                          "cannot "
                              + m.getName()
                              + " in the database "
                              + db
                              + ": I/O error (disk I/O error)");
                });
  }
}
