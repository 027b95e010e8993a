package dev.inflight.store.sql;

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
public final class Tx {
  /** The time of this transaction (see {@link Dialect#lockProvider}: it may move forward once). */
  long now;

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
  public boolean freshLiveness;

  private final Connection connection;
  private final Map<String, PreparedStatement> statements;
  private final Dialect dialect;

  /** The providers this transaction holds the right to grant at (see {@link #lock}). */
  private final java.util.Set<String> locked = new java.util.HashSet<>(2);

  /**
   * Opens the view of one transaction already begun on {@code connection}.
   *
   * @param statements this connection's prepared statements, reused across its transactions
   */
  public Tx(
      Connection connection,
      Map<String, PreparedStatement> statements,
      long now,
      boolean writing,
      Dialect dialect) {
    this.writing = writing;
    this.connection = connection;
    this.statements = statements;
    this.now = now;
    this.dialect = dialect;
  }

  private final boolean writing;

  /** Whether this transaction may write (else it only reads, and takes no locks). */
  public boolean writing() {
    return writing;
  }

  /** The time every statement of this transaction uses. */
  public long now() {
    return now;
  }

  /** The processes this transaction granted queued requests of, and what (to wake them). */
  public Map<Long, List<Grant>> granted() {
    return granted;
  }

  /** The connection, for engine code that runs statements of its own. */
  public Connection connection() {
    return connection;
  }

  Dialect dialect() {
    return dialect;
  }

  /**
   * Takes the right to grant at {@code provider} for the rest of this transaction, once; the
   * transaction's time may move forward to when it was taken.
   */
  void lock(String provider) throws SQLException {
    if (locked.add(provider)) {
      now = Math.max(now, dialect.lockProvider(this, provider));
    }
  }

  /** The prepared statement for {@code sql} on this connection. */
  PreparedStatement ps(String sql) throws SQLException {
    PreparedStatement ps = statements.get(sql);
    if (ps == null || ps.isClosed()) {
      ps = connection.prepareStatement(dialect.numberedParameters() ? sql : Numbered.plain(sql));
      statements.put(sql, ps);
    }
    return ps;
  }

  /** Runs an update with the given parameters; returns the number of rows changed. */
  public int update(String sql, Object... params) throws SQLException {
    PreparedStatement ps = ps(sql);
    bind(ps, sql, params);
    return ps.executeUpdate();
  }

  /** Runs a query with the given parameters; the caller closes the result set. */
  public ResultSet query(String sql, Object... params) throws SQLException {
    PreparedStatement ps = ps(sql);
    bind(ps, sql, params);
    return ps.executeQuery();
  }

  /** The single long a query returns, or {@code otherwise} when it returns no row or NULL. */
  public long queryLong(String sql, long otherwise, Object... params) throws SQLException {
    try (ResultSet rs = query(sql, params)) {
      if (!rs.next()) {
        return otherwise;
      }
      long v = rs.getLong(1);
      return rs.wasNull() ? otherwise : v;
    }
  }

  private void bind(PreparedStatement ps, String sql, Object[] params) throws SQLException {
    int[] order = dialect.numberedParameters() ? null : Numbered.order(sql);
    int count = order == null ? params.length : order.length;
    for (int i = 0; i < count; i++) {
      Object p = order == null ? params[i] : params[order[i]];
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
