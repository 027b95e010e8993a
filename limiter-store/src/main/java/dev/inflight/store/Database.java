package dev.inflight.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.logging.Logger;
import javax.sql.DataSource;
import org.sqlite.BusyHandler;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteDataSource;
import org.sqlite.SQLiteErrorCode;
import org.sqlite.SQLiteException;

/** Opens the database file, migrates it once, and runs transactions on a small pool. */
final class Database implements AutoCloseable {

  /** The newest schema this code knows; must equal the highest V migration. */
  static final int SCHEMA_VERSION = 2;

  private static final Set<PosixFilePermission> DIR_MODE =
      PosixFilePermissions.fromString("rwx------");
  private static final Set<PosixFilePermission> FILE_MODE =
      PosixFilePermissions.fromString("rw-------");

  /** Flyway cannot lock SQLite, and FileLock is per JVM: serialise in-JVM openers too. */
  private static final ReentrantLock MIGRATION_LOCK = new ReentrantLock();

  private final Path file;
  private final HikariDataSource pool;
  private final StatementCache statements = new StatementCache();

  private Database(Path file, HikariDataSource pool) {
    this.file = file;
    this.pool = pool;
  }

  static Database open(Path file, Duration busyTimeout) {
    Path abs = file.toAbsolutePath().normalize();
    preparePrivateFiles(abs);
    HikariDataSource pool = startPool(abs, busyTimeout);
    try {
      int version = userVersion(abs, pool);
      if (version != SCHEMA_VERSION) {
        migrate(abs, busyTimeout);
      }
      return new Database(abs, pool);
    } catch (RuntimeException e) {
      pool.close();
      throw e;
    }
  }

  Path file() {
    return file;
  }

  @Override
  public void close() {
    pool.close();
  }

  // ---------------------------------------------------------------- files

  private static void preparePrivateFiles(Path file) {
    Path dir = file.getParent();
    try {
      if (!Files.isDirectory(dir)) {
        if (posix(dir.getRoot())) {
          Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(DIR_MODE));
          Files.setPosixFilePermissions(dir, DIR_MODE);
        } else {
          Files.createDirectories(dir);
        }
      }
    } catch (IOException e) {
      throw new StoreException(
          file,
          "cannot create the directory " + dir + " for the database " + file + ": " + describe(e),
          e);
    }
    if (!Files.exists(file)) {
      try {
        if (posix(dir)) {
          Files.createFile(file, PosixFilePermissions.asFileAttribute(FILE_MODE));
        } else {
          Files.createFile(file);
        }
      } catch (FileAlreadyExistsException raced) {
        // another process created it first: fine
      } catch (IOException e) {
        throw new StoreException(
            file,
            "cannot create the database "
                + file
                + ": "
                + describe(e)
                + (Files.isWritable(dir) ? "" : " (the directory " + dir + " is not writable)"),
            e);
      }
    }
    if (!Files.isReadable(file) || !Files.isWritable(file)) {
      throw new StoreException(
          file,
          "cannot open the database " + file + ": it is not readable and writable by this user");
    }
    if (!Files.isWritable(dir)) {
      throw new StoreException(
          file,
          "cannot use the database "
              + file
              + ": its directory "
              + dir
              + " is not writable (SQLite needs to create "
              + file.getFileName()
              + "-wal and -shm beside it)");
    }
  }

  private static boolean posix(Path p) {
    try {
      return p != null
          && Files.getFileStore(existingAncestor(p)).supportsFileAttributeView("posix");
    } catch (IOException e) {
      return false;
    }
  }

  private static Path existingAncestor(Path p) {
    Path q = p;
    while (q != null && !Files.exists(q)) {
      q = q.getParent();
    }
    return q == null ? p.getRoot() : q;
  }

  private static String describe(IOException e) {
    if (e instanceof AccessDeniedException) {
      return "permission denied";
    }
    return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
  }

  // ---------------------------------------------------------------- pool

  static SQLiteConfig connectionConfig(Duration busyTimeout) {
    SQLiteConfig config = new SQLiteConfig();
    config.setJournalMode(SQLiteConfig.JournalMode.WAL);
    config.setSynchronous(SQLiteConfig.SynchronousMode.NORMAL);
    config.setBusyTimeout((int) Math.min(Integer.MAX_VALUE, busyTimeout.toMillis()));
    config.enforceForeignKeys(true);
    return config;
  }

  private static HikariDataSource startPool(Path file, Duration busyTimeout) {
    SQLiteDataSource sqlite = new SQLiteDataSource(connectionConfig(busyTimeout));
    sqlite.setUrl("jdbc:sqlite:" + file);
    HikariConfig hc = new HikariConfig();
    hc.setDataSource(new ShortSleepDataSource(sqlite, busyTimeout.toNanos()));
    hc.setPoolName("inflight");
    hc.setMaximumPoolSize(3);
    hc.setMinimumIdle(1);
    hc.setAutoCommit(true);
    hc.setConnectionTimeout(Math.max(250, busyTimeout.toMillis() + 1000));
    hc.setInitializationFailTimeout(1);
    hc.setRegisterMbeans(false);
    try {
      return new HikariDataSource(hc);
    } catch (RuntimeException e) {
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      throw translate(file, "open", cause instanceof SQLException s ? s : new SQLException(cause));
    }
  }

  private static int userVersion(Path file, DataSource ds) {
    try (Connection c = ds.getConnection();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("PRAGMA user_version")) {
      rs.next();
      return rs.getInt(1);
    } catch (SQLException e) {
      throw translate(file, "read the schema version of", e);
    }
  }

  private static void migrate(Path file, Duration busyTimeout) {
    Path lockFile = file.resolveSibling(file.getFileName() + ".lock");
    MIGRATION_LOCK.lock();
    try (FileChannel ch =
            FileChannel.open(
                lockFile,
                Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE),
                PosixFilePermissions.asFileAttribute(FILE_MODE));
        FileLock ignored = ch.lock()) {
      SQLiteDataSource ds = new SQLiteDataSource(connectionConfig(busyTimeout));
      ds.setUrl("jdbc:sqlite:" + file);
      ds.setTransactionMode(SQLiteConfig.TransactionMode.IMMEDIATE.name());
      int version = userVersion(file, ds);
      if (version > SCHEMA_VERSION) {
        throw new StoreException(
            file,
            "the database "
                + file
                + " has schema version "
                + version
                + ", newer than this inflight understands (version "
                + SCHEMA_VERSION
                + "): upgrade inflight, or point it at another config root");
      }
      if (version == SCHEMA_VERSION) {
        return; // another process migrated while we waited for the lock
      }
      Migrator.migrate(file, ds);
    } catch (IOException e) {
      throw new StoreException(
          file, "cannot lock " + lockFile + " to migrate " + file + ": " + describe(e), e);
    } finally {
      MIGRATION_LOCK.unlock();
    }
  }

  // ---------------------------------------------------------------- transactions

  @FunctionalInterface
  interface SqlWork<T> {
    T run(Connection c) throws SQLException;
  }

  /** Runs {@code work} inside BEGIN IMMEDIATE ... COMMIT; rolls back on any failure. */
  <T> T write(String what, SqlWork<T> work) {
    return inTransaction("BEGIN IMMEDIATE", what, work);
  }

  /** Runs {@code work} in one read snapshot (BEGIN DEFERRED). */
  <T> T read(String what, SqlWork<T> work) {
    return inTransaction("BEGIN", what, work);
  }

  private <T> T inTransaction(String begin, String what, SqlWork<T> work) {
    Connection c;
    try {
      c = pool.getConnection();
    } catch (SQLException e) {
      throw translate(file, what, e);
    }
    boolean open = false;
    try {
      try (Statement s = c.createStatement()) {
        s.execute(begin);
        open = true;
      } catch (SQLException e) {
        // A connection whose BEGIN failed may be in any state: never hand it out again.
        pool.evictConnection(c);
        throw e;
      }
      T result = work.run(statements.view(c));
      try (Statement s = c.createStatement()) {
        s.execute("COMMIT");
        open = false;
      }
      return result;
    } catch (SQLException e) {
      throw translate(file, what, e);
    } finally {
      if (open) {
        try (Statement s = c.createStatement()) {
          s.execute("ROLLBACK");
        } catch (SQLException e) {
          pool.evictConnection(c);
        }
      }
      try {
        c.close();
      } catch (SQLException ignored) {
        // returning a connection to the pool does not fail in a way we can act on
      }
    }
  }

  static StoreException translate(Path file, String what, SQLException e) {
    SQLiteErrorCode code = e instanceof SQLiteException se ? se.getResultCode() : null;
    String base = code == null ? "" : code.name();
    String detail = e.getMessage() == null ? String.valueOf(code) : e.getMessage();
    String msg;
    if (base.startsWith("SQLITE_NOTADB") || base.startsWith("SQLITE_CORRUPT")) {
      msg =
          "the database "
              + file
              + " is corrupt or is not an SQLite database ("
              + detail
              + "); move it aside to start afresh (its limits are lost) or restore a copy";
    } else if (base.startsWith("SQLITE_BUSY") || base.startsWith("SQLITE_LOCKED")) {
      msg =
          "the database "
              + file
              + " is locked by another process and stayed locked past the busy timeout ("
              + detail
              + ")";
    } else if (base.startsWith("SQLITE_READONLY")
        || base.startsWith("SQLITE_CANTOPEN")
        || base.startsWith("SQLITE_PERM")) {
      msg =
          "cannot "
              + what
              + " the database "
              + file
              + ": it is not writable or cannot be opened ("
              + detail
              + ")";
    } else if (base.startsWith("SQLITE_FULL") || base.startsWith("SQLITE_IOERR")) {
      msg = "cannot " + what + " the database " + file + ": I/O error (" + detail + ")";
    } else if (base.startsWith("SQLITE_CONSTRAINT")) {
      msg = "the database " + file + " refused the change: " + detail;
    } else {
      msg = "cannot " + what + " the database " + file + ": " + detail;
    }
    return new StoreException(file, msg, e);
  }

  /**
   * Installs a busy handler that parks briefly between retries. SQLite's default handler sleeps 1,
   * 2, 5 ... 100 ms, which starves some processes under contention; short parks keep the tail
   * small. The handler gives up after the busy timeout.
   */
  private static final class ShortSleepDataSource implements DataSource {
    private final SQLiteDataSource delegate;
    private final long timeoutNanos;

    ShortSleepDataSource(SQLiteDataSource delegate, long timeoutNanos) {
      this.delegate = delegate;
      this.timeoutNanos = timeoutNanos;
    }

    @Override
    public Connection getConnection() throws SQLException {
      Connection c = delegate.getConnection();
      BusyHandler.setHandler(c, new ParkingBusyHandler(timeoutNanos));
      return c;
    }

    @Override
    public Connection getConnection(String user, String password) throws SQLException {
      return getConnection();
    }

    @Override
    public PrintWriter getLogWriter() {
      return null;
    }

    @Override
    public void setLogWriter(PrintWriter out) {}

    @Override
    public void setLoginTimeout(int seconds) {}

    @Override
    public int getLoginTimeout() {
      return 0;
    }

    @Override
    public Logger getParentLogger() {
      return Logger.getLogger("dev.inflight.store");
    }

    @Override
    public <T> T unwrap(Class<T> iface) throws SQLException {
      if (iface.isInstance(delegate)) {
        return iface.cast(delegate);
      }
      throw new SQLException("not a wrapper for " + iface);
    }

    @Override
    public boolean isWrapperFor(Class<?> iface) {
      return iface.isInstance(delegate);
    }
  }

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
      // 100 us while the holder is likely mid-commit, then 1 ms so a long holder costs little CPU.
      LockSupport.parkNanos(waited < 20_000_000L ? 100_000L : 1_000_000L);
      return 1;
    }
  }
}
