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
  static void migrate(Path file, Duration busyTimeout, LockFiles files, int schemaVersion) {
    Path lockFile = files.migrationLock();
    IN_PROCESS.lock();
    try (FileChannel ch = PrivateFiles.openForLocking(lockFile);
        FileLock ignored = ch.lock()) {
      SQLiteDataSource ds = new SQLiteDataSource(config(busyTimeout));
      ds.setUrl("jdbc:sqlite:" + file);
      ds.setTransactionMode(SQLiteConfig.TransactionMode.IMMEDIATE.name());
      int version = userVersion(file, ds);
      if (version > schemaVersion) {
        throw newer(file, version, schemaVersion);
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
