package dev.inflight.store.sqlite;

import dev.inflight.store.StoreException;
import dev.inflight.store.StoreException.Kind;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.locks.ReentrantLock;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteDataSource;

/**
 * Brings a database file to the schema this code knows, exactly once however many processes open a
 * fresh file at the same moment: under an exclusive lock on {@code limiter.db.lock} (and an
 * in-process lock, since POSIX locks belong to a process), on a connection of its own, with Flyway.
 * Flyway's classes load only when a file actually needs migrating.
 */
final class Migrations {
  private Migrations() {}

  /** Flyway cannot lock SQLite, and FileLock is per JVM: serialise in-JVM openers too. */
  private static final ReentrantLock IN_PROCESS = new ReentrantLock();

  /**
   * Puts the file in WAL mode and migrates it, under the migration lock; returns when the file is
   * current (another process may have done it meanwhile).
   */
  static void migrate(
      Path file, Duration busyTimeout, LockFiles files, Marker marker, int schemaVersion) {
    Path lockFile = files.migrationLock();
    IN_PROCESS.lock();
    try (FileChannel ch = PrivateFiles.openForLocking(lockFile);
        FileLock ignored = ch.lock()) {
      if (marker.exists() && emptyOnDisk(file)) {
        throw marker.lost("is empty (0 bytes)"); // before SQLite writes so much as a header
      }
      SQLiteDataSource ds = new SQLiteDataSource(config(busyTimeout));
      ds.setUrl("jdbc:sqlite:" + file);
      ds.setTransactionMode(SQLiteConfig.TransactionMode.IMMEDIATE.name());
      int version = userVersion(file, ds);
      if (version > schemaVersion) {
        throw newer(file, version, schemaVersion);
      }
      if (version == 0 && marker.exists() && !hasTables(file, ds)) {
        throw marker.lost("is empty");
      }
      int recorded = historyVersion(file, ds);
      if (recorded > version && recorded <= schemaVersion) {
        repair(file, ds, version, recorded);
        version = recorded;
      }
      if (version < schemaVersion) {
        flyway(file, ds);
      }
      checkpoint(file, ds);
    } catch (IOException e) {
      throw new StoreException(
          file.toString(),
          Kind.UNWRITABLE,
          "cannot lock " + lockFile + " to migrate " + file + ": " + Opening.describe(e),
          e);
    } finally {
      IN_PROCESS.unlock();
    }
  }

  static StoreException newer(Path file, int version, int schemaVersion) {
    return new StoreException(
        file.toString(),
        Kind.NEWER_SCHEMA,
        "the database "
            + file
            + " has schema version "
            + version
            + ", newer than this inflight understands (version "
            + schemaVersion
            + "): upgrade inflight, or point it at another config root");
  }

  /** Connections of the migration: WAL (set under the lock), and the caller's busy timeout. */
  private static SQLiteConfig config(Duration busyTimeout) {
    return Database.connectionConfig(busyTimeout);
  }

  static int userVersion(Path file, DataSource ds) {
    try (Connection c = ds.getConnection();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("PRAGMA user_version")) {
      rs.next();
      return rs.getInt(1);
    } catch (SQLException e) {
      throw Database.translate(file, "read the schema version of", e);
    }
  }

  /** No byte of a database on disk: the main file and its WAL (if any) are empty. */
  private static boolean emptyOnDisk(Path file) throws IOException {
    Path wal = file.resolveSibling(file.getFileName() + "-wal");
    return java.nio.file.Files.size(file) == 0
        && (!java.nio.file.Files.exists(wal) || java.nio.file.Files.size(wal) == 0);
  }

  private static boolean hasTables(Path file, DataSource ds) {
    try (Connection c = ds.getConnection();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT count(*) FROM sqlite_schema")) {
      rs.next();
      return rs.getInt(1) > 0;
    } catch (SQLException e) {
      throw Database.translate(file, "read the schema of", e);
    }
  }

  /** The newest version Flyway's history records as applied (0 when it has none). */
  private static int historyVersion(Path file, DataSource ds) {
    try (Connection c = ds.getConnection();
        Statement s = c.createStatement()) {
      try (ResultSet t =
          s.executeQuery(
              "SELECT 1 FROM sqlite_schema WHERE type = 'table'"
                  + " AND name = 'flyway_schema_history'")) {
        if (!t.next()) {
          return 0;
        }
      }
      try (ResultSet rs =
          s.executeQuery(
              "SELECT coalesce(max(CAST(version AS INTEGER)), 0) FROM flyway_schema_history"
                  + " WHERE success = 1 AND version IS NOT NULL")) {
        rs.next();
        return rs.getInt(1);
      }
    } catch (SQLException e) {
      throw Database.translate(file, "read the migration history of", e);
    }
  }

  /**
   * Sets {@code user_version} back to what the history says was applied: a hand edit lowered it,
   * and a client that knows only the lower version would accept the file and break its rules.
   */
  private static void repair(Path file, DataSource ds, int found, int recorded) {
    try (Connection c = ds.getConnection();
        Statement s = c.createStatement()) {
      s.execute("PRAGMA user_version = " + recorded);
    } catch (SQLException e) {
      throw Database.translate(file, "repair the schema version of", e);
    }
    SqliteEngine.LOG.log(
        System.Logger.Level.WARNING,
        "the database "
            + file
            + " said schema version "
            + found
            + " although version "
            + recorded
            + " was applied (a hand edit of PRAGMA user_version?): set it back to "
            + recorded
            + ", so that older clients refuse it as they must");
  }

  /**
   * Writes the WAL into the main file, so that its header says WAL mode: later openers then know
   * from the header alone that they need no lock.
   */
  private static void checkpoint(Path file, DataSource ds) {
    try (Connection c = ds.getConnection();
        Statement s = c.createStatement()) {
      s.execute("PRAGMA wal_checkpoint(PASSIVE)");
    } catch (SQLException e) {
      throw Database.translate(file, "checkpoint", e);
    }
  }

  private static void flyway(Path file, DataSource ds) {
    try {
      Flyway.configure(Migrations.class.getClassLoader())
          .dataSource(ds)
          .locations("classpath:db/migration")
          .loggers("slf4j")
          .load()
          .migrate();
    } catch (FlywayException e) {
      String detail =
          e.getMessage() == null ? e.toString() : e.getMessage().lines().findFirst().orElse("");
      if (detail.contains("non-empty schema")) {
        throw new StoreException(
            file.toString(),
            Kind.FOREIGN,
            "the database "
                + file
                + " holds tables that are not inflight's; point inflight at another config root",
            e);
      }
      throw new StoreException(
          file.toString(), Kind.OTHER, "cannot migrate the database " + file + ": " + detail, e);
    }
  }
}
