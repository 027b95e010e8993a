package dev.inflight.client;

import dev.inflight.store.LeaseEngine;
import dev.inflight.store.Liveness;
import dev.inflight.store.ProcessIdentity;
import dev.inflight.store.StoreException;
import dev.inflight.testing.MutableClock;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.util.Optional;

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
