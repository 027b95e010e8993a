package dev.inflight.store.postgres;

import dev.inflight.store.StoreException;
import dev.inflight.store.StoreException.Kind;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;

/**
 * Brings a PostgreSQL database to this code's schema with Flyway (locations {@code
 * classpath:db/postgresql}, schema {@code inflight}), exactly once however many processes on
 * however many machines open a fresh database at the same moment: each first takes the session
 * advisory lock {@code (LOCK_SPACE, 0)} and looks at the version; only one migrates, the others
 * then find it current.
 */
final class PgMigrations {
  private PgMigrations() {}

  /** Reads the version; migrates when it is older (or absent); refuses one that is newer. */
  static void migrate(PgDatabase db, int target) {
    PgUrl url = db.url();
    try (Connection c = db.connect()) {
      int found = version(c);
      if (found == target) {
        return;
      }
      if (found > target) {
        throw newer(url, found, target);
      }
      try (PreparedStatement lock =
          c.prepareStatement(
              "SELECT pg_advisory_lock("
                  + PgDatabase.LOCK_SPACE
                  + ", "
                  + PgDatabase.MIGRATION_LOCK
                  + ")")) {
        lock.executeQuery().close();
      }
      try {
        found = version(c);
        if (found > target) {
          throw newer(url, found, target);
        }
        if (found < target) {
          flyway(db);
        }
      } finally {
        try (PreparedStatement unlock =
            c.prepareStatement(
                "SELECT pg_advisory_unlock("
                    + PgDatabase.LOCK_SPACE
                    + ", "
                    + PgDatabase.MIGRATION_LOCK
                    + ")")) {
          unlock.executeQuery().close();
        }
      }
    } catch (SQLException e) {
      throw PgDatabase.translate(url, "open", e);
    }
  }

  /** The schema version recorded in {@code inflight.database_info}, or 0 when there is none. */
  static int version(Connection c) throws SQLException {
    try (PreparedStatement ps =
            c.prepareStatement("SELECT to_regclass('inflight.database_info') IS NOT NULL");
        ResultSet rs = ps.executeQuery()) {
      rs.next();
      if (!rs.getBoolean(1)) {
        return 0;
      }
    }
    try (PreparedStatement ps =
            c.prepareStatement("SELECT schema_version FROM inflight.database_info WHERE id = 1");
        ResultSet rs = ps.executeQuery()) {
      return rs.next() ? rs.getInt(1) : 0;
    }
  }

  private static StoreException newer(PgUrl url, int found, int target) {
    return new StoreException(
        url.masked(),
        Kind.NEWER_SCHEMA,
        "the database "
            + url.where()
            + " has schema version "
            + found
            + ", newer than this inflight knows ("
            + target
            + "); use a newer inflight with it",
        null);
  }

  private static void flyway(PgDatabase db) {
    PgUrl url = db.url();
    try {
      java.util.Properties p = url.properties();
      Flyway.configure(PgMigrations.class.getClassLoader())
          .dataSource(url.jdbcUrl(), p.getProperty("user"), p.getProperty("password"))
          .jdbcProperties(toMap(p))
          .schemas("inflight")
          .createSchemas(true)
          .locations("classpath:db/postgresql")
          .loggers("slf4j")
          .load()
          .migrate();
    } catch (FlywayException e) {
      String detail =
          e.getMessage() == null ? e.toString() : e.getMessage().lines().findFirst().orElse("");
      throw new StoreException(
          url.masked(),
          Kind.OTHER,
          "cannot migrate the database " + url.where() + ": " + detail,
          e);
    }
  }

  private static java.util.Map<String, String> toMap(java.util.Properties p) {
    java.util.Map<String, String> m = new java.util.HashMap<>();
    for (String k : p.stringPropertyNames()) {
      if (!k.equals("user") && !k.equals("password")) {
        m.put(k, p.getProperty(k));
      }
    }
    return m;
  }
}
