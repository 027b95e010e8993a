package dev.inflight.store.sqlite;

import dev.inflight.store.Rows.Grant;
import dev.inflight.store.StoreException;
import dev.inflight.store.StoreException.Kind;
import dev.inflight.store.sql.Dialect;
import dev.inflight.store.sql.SqlEngine;
import dev.inflight.store.sql.Tx;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import org.sqlite.BusyHandler;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteDataSource;
import org.sqlite.SQLiteErrorCode;
import org.sqlite.SQLiteException;

/**
 * Runs transactions on a small pool of connections to one database file: the one transaction
 * template ({@link #write}, {@link #read}) and the one translation of driver errors into messages
 * that name the file, what was being done and the fix ({@link #translate}).
 */
final class Database implements AutoCloseable {
  private final Path file;
  private final Connections pool;
  private final InstantSource clock;

  /**
   * Prepared statements per physical connection; they go when the connection is closed. The outer
   * map is synchronized; each inner map is used only by the thread that holds its connection.
   */
  private final Map<Connection, Map<String, PreparedStatement>> statements =
      Collections.synchronizedMap(new WeakHashMap<>());

  /** Told, after each commit that granted queued requests, whose they were; set once at start. */
  private volatile Consumer<Map<Long, List<Grant>>> onGranted = owners -> {};

  private Database(Path file, Connections pool, InstantSource clock) {
    this.file = file;
    this.pool = pool;
    this.clock = clock;
  }

  /** The connection that reads {@code PRAGMA data_version} (see {@link #dataVersion}). */
  private Connection versionConnection; // guarded by this

  private boolean closed; // guarded by this

  /** Who wakes the owners of requests that a committed transaction granted. */
  void onGranted(Consumer<Map<Long, List<Grant>>> wake) {
    this.onGranted = wake;
  }

  /** Opens the connections to a file that already exists and is in WAL mode. */
  static Database start(Path file, Duration busyTimeout, InstantSource clock) {
    SQLiteDataSource sqlite = new SQLiteDataSource(connectionConfig(busyTimeout));
    sqlite.setUrl("jdbc:sqlite:" + file);
    long timeoutNanos = busyTimeout.toNanos();
    Connections pool =
        new Connections(
            () -> {
              Connection c = sqlite.getConnection();
              BusyHandler.setHandler(c, new ParkingBusyHandler(timeoutNanos));
              return c;
            },
            3,
            Connections.nanos(Math.max(250, busyTimeout.toMillis() + 1000)),
            file::toString);
    try {
      pool.warm();
    } catch (SQLException e) {
      pool.close();
      throw translate(file, "open", e);
    }
    return new Database(file, pool, clock);
  }

  /** The WAL size (pages) at which a commit checkpoints by itself, if no heartbeat did it first. */
  static final int CHECKPOINT_BACKSTOP_PAGES = 4_000;

  /**
   * Copies what the WAL holds into the database file as far as readers allow, without blocking
   * anyone (a PASSIVE checkpoint); a busy or failed one is left to the next call.
   */
  void checkpoint() {
    Connection c;
    try {
      c = pool.borrow();
    } catch (SQLException e) {
      return;
    }
    boolean broken = false;
    try (Statement s = c.createStatement();
        java.sql.ResultSet rs = s.executeQuery("PRAGMA wal_checkpoint(PASSIVE)")) {
      while (rs.next()) {
        // busy, frames in the WAL, frames copied: nothing to act on
      }
    } catch (SQLException e) {
      broken = !Database.refused(e) && !String.valueOf(e.getMessage()).contains("locked");
    } finally {
      if (broken) {
        statements.remove(c);
        pool.evict(c);
      } else {
        pool.giveBack(c);
      }
    }
  }

  static SQLiteConfig connectionConfig(Duration busyTimeout) {
    SQLiteConfig config = new SQLiteConfig();
    config.setJournalMode(SQLiteConfig.JournalMode.WAL);
    config.setSynchronous(SQLiteConfig.SynchronousMode.NORMAL);
    config.setBusyTimeout((int) Math.min(Integer.MAX_VALUE, busyTimeout.toMillis()));
    config.enforceForeignKeys(true);
    // Checkpoints run on the heartbeat thread (see checkpoint()), not in whichever request's
    // commit crosses SQLite's default threshold of 1000 pages: there they cost that request two
    // fsyncs, and while other processes read (as waiters do) they rarely finish, so that every
    // later commit tried again. This threshold is only the backstop.
    config.setWalAutocheckpoint(CHECKPOINT_BACKSTOP_PAGES);
    return config;
  }

  Path file() {
    return file;
  }

  /**
   * SQLite's {@code PRAGMA data_version} on a connection of its own: it moves when another
   * connection's commit (any process's, a hand edit's, this pool's) has become visible. Cheap (no
   * table is read). Returns -1 when it cannot be read: the caller then assumes a change.
   */
  synchronized long dataVersion() {
    if (closed) {
      return -1;
    }
    try {
      if (versionConnection == null) {
        SQLiteDataSource ds = new SQLiteDataSource(connectionConfig(Duration.ofSeconds(1)));
        ds.setUrl("jdbc:sqlite:" + file);
        versionConnection = ds.getConnection();
      }
      // Read to the end, so that the statement is done and holds no read snapshot: one left open
      // would keep every checkpoint from finishing, and the WAL would grow without bound.
      long v = -1;
      try (Statement st = versionConnection.createStatement();
          java.sql.ResultSet rs = st.executeQuery("PRAGMA data_version")) {
        while (rs.next()) {
          v = rs.getLong(1);
        }
      }
      return v;
    } catch (SQLException e) {
      closeVersionConnection();
      return -1;
    }
  }

  private void closeVersionConnection() {
    if (versionConnection != null) {
      try {
        versionConnection.close();
      } catch (SQLException ignored) {
        // a broken connection is gone either way
      }
      versionConnection = null;
    }
  }

  @Override
  public void close() {
    synchronized (this) {
      closed = true;
      closeVersionConnection();
    }
    pool.close();
  }

  /** Runs {@code work} inside BEGIN IMMEDIATE ... COMMIT; rolls back on any failure. */
  <T> T write(String what, SqlEngine.Work<T> work) {
    return inTransaction("BEGIN IMMEDIATE", what, work);
  }

  /** Runs {@code work} in one read snapshot (BEGIN DEFERRED). */
  <T> T read(String what, SqlEngine.Work<T> work) {
    return inTransaction("BEGIN", what, work);
  }

  private <T> T inTransaction(String begin, String what, SqlEngine.Work<T> work) {
    Connection c;
    try {
      c = pool.borrow();
    } catch (SQLException e) {
      throw translate(file, what, e);
    }
    boolean open = false;
    boolean broken = false;
    Tx tx;
    T result;
    Map<String, PreparedStatement> cache = statements.computeIfAbsent(c, k -> new HashMap<>());
    try {
      try {
        control(c, cache, begin);
        open = true;
      } catch (SQLException e) {
        broken = true; // a connection whose BEGIN failed may be in any state
        throw e;
      }
      tx = new Tx(c, cache, clock.millis(), begin.equals("BEGIN IMMEDIATE"), DIALECT);
      if (begin.equals("BEGIN IMMEDIATE")) {
        checkSchema(tx);
      }
      result = work.run(tx);
      control(c, cache, "COMMIT");
      open = false;
    } catch (SQLException e) {
      throw translate(file, what, e);
    } finally {
      if (open) {
        try {
          control(c, cache, "ROLLBACK");
        } catch (SQLException e) {
          broken = true;
        }
      }
      if (broken) {
        statements.remove(c);
        pool.evict(c);
      } else {
        pool.giveBack(c);
      }
    }
    // Committed, and the connection is back in the pool: now the waiters granted can be told.
    if (!tx.granted().isEmpty()) {
      onGranted.accept(tx.granted());
    }
    return result;
  }

  /**
   * Refuses to write under rules that are no longer the file's: another process migrated the file
   * to a newer schema while this one ran (or a hand edit changed its version). Reading the version
   * costs about a microsecond, since the header page is in the cache already.
   */
  private void checkSchema(Tx tx) throws SQLException {
    long version = tx.queryLong("PRAGMA user_version", 0);
    if (version != SqliteEngine.SCHEMA_VERSION) {
      throw new StoreException(
          file.toString(),
          Kind.NEWER_SCHEMA,
          "the database "
              + file
              + " changed to schema version "
              + version
              + " while this process ran, and this inflight writes schema version "
              + SqliteEngine.SCHEMA_VERSION
              + " only; it stops granting rather than apply rules the file no longer has:"
              + " restart this process with an inflight that knows schema version "
              + version,
          null);
    }
  }

  /**
   * Runs BEGIN, COMMIT or ROLLBACK through a statement prepared once per connection: preparing it
   * anew at every transaction was a measurable part of a short one.
   */
  private static void control(Connection c, Map<String, PreparedStatement> cache, String sql)
      throws SQLException {
    PreparedStatement ps = cache.get(sql);
    if (ps == null || ps.isClosed()) {
      ps = c.prepareStatement(sql);
      cache.put(sql, ps);
    }
    ps.execute();
  }

  /** SQLite's side of the protocol's SQL: one write lock for everything, {@code ?1} parameters. */
  static final Dialect DIALECT =
      new Dialect() {
        @Override
        public boolean numberedParameters() {
          return true;
        }

        @Override
        public boolean refused(SQLException e) {
          return Database.refused(e);
        }

        @Override
        public String handEditCommand() {
          return "sqlite3";
        }

        @Override
        public long lockProvider(Tx tx, String provider) {
          return tx.now(); // BEGIN IMMEDIATE holds the one write lock already
        }

        @Override
        public String ledgerTable() {
          return "ledger_rows";
        }
      };

  /** Whether a failure of one statement is the database refusing a row (not the transaction). */
  static boolean refused(SQLException e) {
    SQLiteErrorCode code = e instanceof SQLiteException se ? se.getResultCode() : null;
    return code != null && code.name().startsWith("SQLITE_CONSTRAINT");
  }

  static StoreException translate(Path file, String what, SQLException e) {
    SQLiteErrorCode code = e instanceof SQLiteException se ? se.getResultCode() : null;
    String base = code == null ? "" : code.name();
    String detail = e.getMessage() == null ? String.valueOf(code) : e.getMessage();
    String where = file.toString();
    if (base.startsWith("SQLITE_NOTADB") || base.startsWith("SQLITE_CORRUPT")) {
      return new StoreException(
          where,
          Kind.CORRUPT,
          "the database "
              + file
              + " is corrupt or is not an SQLite database ("
              + detail
              + "); move it aside to start afresh (its limits are lost) or restore a copy",
          e);
    }
    if (base.startsWith("SQLITE_BUSY") || base.startsWith("SQLITE_LOCKED")) {
      return new StoreException(
          where,
          Kind.BUSY,
          "the database "
              + file
              + " is locked by another process and stayed locked past the busy timeout ("
              + detail
              + ")",
          e);
    }
    if (base.startsWith("SQLITE_READONLY")
        || base.startsWith("SQLITE_CANTOPEN")
        || base.startsWith("SQLITE_PERM")) {
      return new StoreException(
          where,
          Kind.UNWRITABLE,
          "cannot "
              + what
              + " the database "
              + file
              + ": it is not writable or cannot be opened ("
              + detail
              + ")",
          e);
    }
    if (base.startsWith("SQLITE_FULL") || base.startsWith("SQLITE_IOERR")) {
      return new StoreException(
          where,
          Kind.IO,
          "cannot " + what + " the database " + file + ": I/O error (" + detail + ")",
          e);
    }
    if (base.startsWith("SQLITE_CONSTRAINT")) {
      return new StoreException(
          where, Kind.REFUSED, "the database " + file + " refused the change: " + detail, e);
    }
    return new StoreException(
        where, Kind.OTHER, "cannot " + what + " the database " + file + ": " + detail, e);
  }

  /**
   * A busy handler that parks briefly between retries. SQLite's default handler sleeps 1, 2, 5 ...
   * 100 ms, which starves some processes under contention; short parks keep the tail small. It
   * gives up after the busy timeout.
   */
  static final class ParkingBusyHandler extends BusyHandler {
    private final long timeoutNanos;
    private long firstBusyAt;

    ParkingBusyHandler(long timeoutNanos) {
      this.timeoutNanos = timeoutNanos;
    }

    @Override
    protected int callback(int previousInvocations) {
      long now = System.nanoTime();
      if (previousInvocations == 0) {
        firstBusyAt = now;
      }
      long waited = now - firstBusyAt;
      if (waited >= timeoutNanos) {
        return 0;
      }
      // 100 us while the holder is likely mid-commit, then 1 ms, so that a holder that takes
      // longer (descheduled on a busy machine) is not starved further by many spinning waiters.
      LockSupport.parkNanos(waited < 2_000_000L ? 100_000L : 1_000_000L);
      return 1;
    }
  }
}
