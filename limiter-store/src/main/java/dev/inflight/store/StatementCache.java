package dev.inflight.store;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.WeakHashMap;

/**
 * Keeps each physical connection's prepared statements for reuse. SQLite plans a statement when it
 * is prepared, and planning the state query costs several times what running it does, so the
 * transactions prepare each SQL text once per connection. Statements are prepared on the physical
 * connection (the pool would close them when the connection is returned); closing one through the
 * handed-out view does nothing (every use binds all its parameters again; clearing them made SQLite
 * re-plan the statement on its next run, costing as much as preparing it). They go when the
 * physical connection closes.
 *
 * <p>The rule this relies on: no transaction runs the same SQL text again while one of its result
 * sets is still open.
 */
final class StatementCache {
  private final Map<Connection, Map<String, PreparedStatement>> byConnection =
      Collections.synchronizedMap(new WeakHashMap<>());

  /** A view of {@code pooled} whose {@code prepareStatement(String)} reuses statements. */
  Connection view(Connection pooled) throws SQLException {
    Connection physical = pooled.unwrap(Connection.class);
    Map<String, PreparedStatement> cache =
        byConnection.computeIfAbsent(physical, k -> new HashMap<>());
    return (Connection)
        Proxy.newProxyInstance(
            StatementCache.class.getClassLoader(),
            new Class<?>[] {Connection.class},
            new ConnectionView(pooled, physical, cache));
  }

  private record ConnectionView(
      Connection pooled, Connection physical, Map<String, PreparedStatement> cache)
      implements InvocationHandler {
    @Override
    public Object invoke(Object proxy, Method m, Object[] args) throws Throwable {
      if (m.getName().equals("prepareStatement")
          && args != null
          && args.length == 1
          && args[0] instanceof String sql) {
        PreparedStatement ps = cache.get(sql);
        if (ps == null || ps.isClosed()) {
          ps = physical.prepareStatement(sql);
          cache.put(sql, ps);
        }
        return reusable(ps);
      }
      return call(pooled, m, args);
    }
  }

  private static PreparedStatement reusable(PreparedStatement ps) {
    return (PreparedStatement)
        Proxy.newProxyInstance(
            StatementCache.class.getClassLoader(),
            new Class<?>[] {PreparedStatement.class},
            (proxy, m, args) -> {
              if (m.getName().equals("close") && (args == null || args.length == 0)) {
                return null; // every use binds all its parameters again
              }
              return call(ps, m, args);
            });
  }

  private static Object call(Object target, Method m, Object[] args) throws Throwable {
    try {
      return m.invoke(target, args);
    } catch (InvocationTargetException e) {
      throw e.getCause();
    }
  }
}
