package dev.inflight.store.postgres;

import dev.inflight.store.StoreException;
import dev.inflight.store.StoreException.Kind;
import dev.inflight.store.sql.Dialect;
import dev.inflight.store.sql.SqlEngine;
import dev.inflight.store.sql.Tx;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.InstantSource;
import java.util.ArrayDeque;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.WeakHashMap;

/**
 * Runs the protocol's transactions on a few connections to one PostgreSQL database: the one
 * transaction template ({@link #write}, {@link #read}) and the one translation of driver errors
 * into messages that name the server and the database (never the password).
 *
 * <p>A write runs at READ COMMITTED and takes, before it reads a provider's rows to decide, a
 * transaction-level advisory lock on that provider ({@link #DIALECT}): writers of different
 * providers do not wait for each other, and every statement after the lock sees what the previous
 * holder committed. A deadlock between two writers that reclaim each other's providers is broken by
 * the server; the loser is run again.
 */
final class PgDatabase implements AutoCloseable {
  /** The first key of every advisory lock inflight takes ("infl"); the second names the object. */
  static final int LOCK_SPACE = 0x696e666c;

  /**
   * The rows of {@code pg_locks} that are processes' liveness locks in this database, held: a
   * process's id is the row's {@code objid} (see {@link PgSession}).
   */
  static final String LIVENESS_LOCKS =
      "pg_locks WHERE locktype = 'advisory' AND granted"
          + " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
          + " AND classid = "
          + LOCK_SPACE
          + "::OID AND objsubid = 2";

  /** The second key of the advisory lock a migration holds. */
  static final int MIGRATION_LOCK = 0;

  /** Transactions run again after a deadlock, at most. */
  private static final int ATTEMPTS = 4;

  /**
   * How long a transaction keeps trying while the server cannot be reached (a restart, a failover
   * on the same address): it is run again only when it failed before its COMMIT was sent, so that
   * it never runs twice. Longer than a restart takes, shorter than the grace period's use.
   */
  private static final long UNREACHABLE_RETRY_NANOS = 15_000_000_000L;

  private final PgUrl url;
  private final InstantSource clock;
  private final boolean serverClock;
  private final int schemaVersion;
  private final ArrayDeque<Connection> idle = new ArrayDeque<>();
  private final Map<Connection, Map<String, PreparedStatement>> statements =
      Collections.synchronizedMap(new WeakHashMap<>());
  private boolean closed; // guarded by idle

  /**
   * @param serverClock whether to read the time from the server (so that every machine's clock
   *     agrees) rather than from {@code clock} (tests inject one)
   */
  PgDatabase(PgUrl url, InstantSource clock, boolean serverClock, int schemaVersion) {
    this.url = url;
    this.clock = clock;
    this.serverClock = serverClock;
    this.schemaVersion = schemaVersion;
  }

  PgUrl url() {
    return url;
  }

  /** A new connection with the protocol's settings: schema {@code inflight}, no server timeouts. */
  Connection connect() throws SQLException {
    java.util.Properties p = url.properties();
    p.setProperty("currentSchema", "inflight");
    p.putIfAbsent("ApplicationName", "inflight");
    p.putIfAbsent("connectTimeout", "10");
    p.putIfAbsent("tcpKeepAlive", "true");
    return DriverManager.getConnection(url.jdbcUrl(), p);
  }

  private Connection borrow() throws SQLException {
    synchronized (idle) {
      if (closed) {
        throw new SQLException("the engine is closed", "08003");
      }
      Connection c = idle.pollFirst();
      if (c != null) {
        return c;
      }
    }
    Connection c = connect();
    c.setAutoCommit(false); // transactions of the pool: BEGIN rides on their first statement
    return c;
  }

  private void giveBack(Connection c, boolean broken) {
    if (!broken) {
      synchronized (idle) {
        if (!closed && idle.size() < 4) {
          idle.addFirst(c);
          return;
        }
      }
    }
    statements.remove(c);
    try {
      c.close();
    } catch (SQLException ignored) {
      // gone either way
    }
  }

  <T> T write(String what, SqlEngine.Work<T> work) {
    return inTransaction(true, what, work);
  }

  <T> T read(String what, SqlEngine.Work<T> work) {
    return inTransaction(false, what, work);
  }

  /** A failure of a transaction, and whether its COMMIT had been sent when it happened. */
  private static final class Failed extends Exception {
    private static final long serialVersionUID = 1L;
    final transient SQLException cause;
    final boolean committing;

    Failed(SQLException cause, boolean committing) {
      super(cause);
      this.cause = cause;
      this.committing = committing;
    }
  }

  private <T> T inTransaction(boolean writing, String what, SqlEngine.Work<T> work) {
    long unreachableSince = 0;
    long backoffMs = 50;
    for (int attempt = 1; ; attempt++) {
      try {
        return once(writing, work);
      } catch (Failed f) {
        SQLException e = f.cause;
        String state = String.valueOf(e.getSQLState());
        if ((state.equals("40P01") || state.equals("40001")) && attempt < ATTEMPTS) {
          continue; // the server broke a deadlock or a conflict: this one lost, run it again
        }
        if (lost(state) && !f.committing) {
          long now = System.nanoTime();
          if (unreachableSince == 0) {
            unreachableSince = now;
          }
          if (now - unreachableSince < UNREACHABLE_RETRY_NANOS) {
            sleep(backoffMs);
            backoffMs = Math.min(1000, backoffMs * 2);
            continue;
          }
        }
        throw translate(url, what, e);
      }
    }
  }

  /** Whether the connection was lost, or the server is not (yet) accepting connections. */
  static boolean lost(String sqlState) {
    return sqlState.startsWith("08") || sqlState.equals("57P01") || sqlState.equals("57P03");
  }

  /** Parks this thread for {@code ms} (none for 0 or less), keeping an interrupt. */
  static void sleep(long ms) {
    if (ms <= 0) {
      return;
    }
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private <T> T once(boolean writing, SqlEngine.Work<T> work) throws Failed {
    Connection c;
    try {
      c = borrow();
    } catch (SQLException e) {
      throw new Failed(e, false);
    }
    boolean open = false;
    boolean committing = false;
    boolean broken = false;
    Tx tx;
    T result;
    Map<String, PreparedStatement> cache = statements.computeIfAbsent(c, k -> new HashMap<>());
    try {
      // The connection is not in autocommit mode: the driver sends BEGIN in the same round trip
      // as the transaction's first statement.
      open = true;
      if (!writing) {
        control(c, cache, "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY").execute();
      }
      long now;
      try (ResultSet rs =
          control(c, cache, "SELECT now_ms(), (SELECT schema_version FROM database_info)")
              .executeQuery()) {
        rs.next();
        now = serverClock ? rs.getLong(1) : clock.millis();
        if (writing) {
          checkSchema(rs.getInt(2));
        }
      }
      tx = new Tx(c, cache, now, writing, DIALECT);
      result = work.run(tx);
      for (Long owner : tx.granted().keySet()) {
        tx.query("SELECT pg_notify('inflight_wake', ?)", String.valueOf(owner)).close();
      }
      committing = true;
      c.commit();
      open = false;
    } catch (SQLException e) {
      broken = lost(String.valueOf(e.getSQLState()));
      throw new Failed(e, committing);
    } catch (RuntimeException e) {
      broken = true; // a connection in an unknown state is not given back
      throw e;
    } finally {
      if (open) {
        try {
          c.rollback();
        } catch (SQLException e) {
          broken = true;
        }
      }
      giveBack(c, broken);
    }
    return result; // the commit's NOTIFY on inflight_wake told the owners of what it granted
  }

  private void checkSchema(int version) {
    if (version != schemaVersion) {
      throw new StoreException(
          url.masked(),
          Kind.NEWER_SCHEMA,
          "the database "
              + url.where()
              + " changed to schema version "
              + version
              + " while this process ran, and this inflight writes schema version "
              + schemaVersion
              + " only; it stops granting rather than apply rules the database no longer has:"
              + " restart this process with an inflight that knows schema version "
              + version,
          null);
    }
  }

  private static PreparedStatement control(
      Connection c, Map<String, PreparedStatement> cache, String sql) throws SQLException {
    PreparedStatement ps = cache.get(sql);
    if (ps == null || ps.isClosed()) {
      ps = c.prepareStatement(sql);
      cache.put(sql, ps);
    }
    return ps;
  }

  @Override
  public void close() {
    synchronized (idle) {
      closed = true;
      for (Connection c : idle) {
        try {
          c.close();
        } catch (SQLException ignored) {
          // closing anyway
        }
      }
      idle.clear();
    }
  }

  // ---------------------------------------------------------------- the dialect

  private static final String LOCK_PROVIDER =
      "SELECT now_ms() FROM (SELECT pg_advisory_xact_lock(" + LOCK_SPACE + ", hashtext(?))) l";

  /** PostgreSQL's side of the protocol's SQL: a lock per provider, plain parameters. */
  final Dialect DIALECT =
      new Dialect() {
        @Override
        public boolean numberedParameters() {
          return false;
        }

        @Override
        public boolean refused(SQLException e) {
          return PgDatabase.refused(e);
        }

        @Override
        public String handEditCommand() {
          return "psql";
        }

        @Override
        public long lockProvider(Tx tx, String provider) throws SQLException {
          long server = tx.queryLong(LOCK_PROVIDER, 0, provider);
          return serverClock ? server : clock.millis();
        }

        @Override
        public String ledgerTable() {
          return "ledger";
        }
      };

  /** Whether a statement failed because the database refused a row (class 23, or a guard). */
  static boolean refused(SQLException e) {
    String s = String.valueOf(e.getSQLState());
    return s.startsWith("23") || s.equals("P0001");
  }

  static StoreException translate(PgUrl url, String what, SQLException e) {
    String state = String.valueOf(e.getSQLState());
    String detail = firstLine(e.getMessage());
    String where = url.where();
    if (state.startsWith("08") || state.equals("57P01") || state.equals("57P03")) {
      return new StoreException(
          url.masked(),
          Kind.UNREACHABLE,
          "cannot "
              + what
              + " the database "
              + where
              + ": the server cannot be reached or closed the connection ("
              + detail
              + "); check that PostgreSQL runs there and accepts connections",
          e);
    }
    if (state.equals("28P01") || state.equals("28000")) {
      return new StoreException(
          url.masked(),
          Kind.UNWRITABLE,
          "cannot log in to the database "
              + where
              + " ("
              + detail
              + "); check the user and the password (in the URL, PGPASSWORD or ~/.pgpass)",
          e);
    }
    if (state.equals("3D000")) {
      return new StoreException(
          url.masked(),
          Kind.UNWRITABLE,
          "the database "
              + where
              + " does not exist ("
              + detail
              + "); create it first: createdb -h "
              + url.host()
              + " -p "
              + url.port()
              + " "
              + url.database(),
          e);
    }
    if (state.equals("42501")) {
      return new StoreException(
          url.masked(),
          Kind.UNWRITABLE,
          "cannot " + what + " the database " + where + ": permission denied (" + detail + ")",
          e);
    }
    if (state.equals("40P01") || state.equals("55P03") || state.equals("57014")) {
      return new StoreException(
          url.masked(),
          Kind.BUSY,
          "the database " + where + " stayed busy with other writers (" + detail + ")",
          e);
    }
    if (refused(e)) {
      return new StoreException(
          url.masked(),
          Kind.REFUSED,
          "the database " + where + " refused the change: " + detail,
          e);
    }
    return new StoreException(
        url.masked(), Kind.OTHER, "cannot " + what + " the database " + where + ": " + detail, e);
  }

  private static String firstLine(String m) {
    if (m == null) {
      return "no detail";
    }
    int nl = m.indexOf('\n');
    return nl < 0 ? m : m.substring(0, nl);
  }
}
