package dev.inflight.store.sqlite;

import dev.inflight.store.Rows.Grant;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One open transaction: its connection, the time it runs at, and the connection's prepared
 * statements.
 *
 * <p>{@code now} is read once, after {@code BEGIN} (for writes: after the write lock is held), and
 * every statement of the transaction uses it. So a row written later in queue order never carries
 * an earlier time than one written before it.
 *
 * <p>Statements are prepared once per physical connection and reused: SQLite plans a statement when
 * it is prepared, and planning the state query costs several times what running it does. Never
 * close a statement from {@link #ps}; close its result sets. The rule this relies on: no
 * transaction runs the same SQL text again while one of its result sets is still open. Every use
 * binds all parameters again (clearing them made SQLite re-plan the statement).
 */
final class Tx {
  final long now;

  /**
   * The processes this transaction granted a lease to a queued request of, to be woken once it has
   * committed (see {@link WakeSockets}).
   */
  final Map<Long, List<Grant>> granted = new LinkedHashMap<>(2);

  /** Notes that this transaction granted {@code g} to a queued request of {@code owner}. */
  void grantedTo(long owner, Grant g) {
    granted.computeIfAbsent(owner, k -> new ArrayList<>(1)).add(g);
  }

  /**
   * Whether this transaction must ask about every owner's liveness afresh (a settle a waiter asked
   * for, often because an owner it watches just died) rather than trust a recent "alive".
   */
  boolean freshLiveness;

  private final Connection connection;
  private final Map<String, PreparedStatement> statements;

  Tx(Connection connection, Map<String, PreparedStatement> statements, long now) {
    this.connection = connection;
    this.statements = statements;
    this.now = now;
  }

  /** The prepared statement for {@code sql} on this connection. */
  PreparedStatement ps(String sql) throws SQLException {
    PreparedStatement ps = statements.get(sql);
    if (ps == null || ps.isClosed()) {
      ps = connection.prepareStatement(sql);
      statements.put(sql, ps);
    }
    return ps;
  }

  /** Runs an update with the given parameters; returns the number of rows changed. */
  int update(String sql, Object... params) throws SQLException {
    PreparedStatement ps = ps(sql);
    bind(ps, params);
    return ps.executeUpdate();
  }

  /** Runs a query with the given parameters; the caller closes the result set. */
  ResultSet query(String sql, Object... params) throws SQLException {
    PreparedStatement ps = ps(sql);
    bind(ps, params);
    return ps.executeQuery();
  }

  /** The single long a query returns, or {@code otherwise} when it returns no row or NULL. */
  long queryLong(String sql, long otherwise, Object... params) throws SQLException {
    try (ResultSet rs = query(sql, params)) {
      if (!rs.next()) {
        return otherwise;
      }
      long v = rs.getLong(1);
      return rs.wasNull() ? otherwise : v;
    }
  }

  private static void bind(PreparedStatement ps, Object[] params) throws SQLException {
    for (int i = 0; i < params.length; i++) {
      Object p = params[i];
      if (p == null) {
        ps.setNull(i + 1, java.sql.Types.NULL);
      } else if (p instanceof String s) {
        ps.setString(i + 1, s);
      } else if (p instanceof Long l) {
        ps.setLong(i + 1, l);
      } else if (p instanceof Integer n) {
        ps.setInt(i + 1, n);
      } else if (p instanceof Boolean b) {
        ps.setInt(i + 1, b ? 1 : 0);
      } else {
        throw new IllegalArgumentException("cannot bind " + p.getClass());
      }
    }
  }
}
