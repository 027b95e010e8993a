package dev.inflight.store.sqlite;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import org.flywaydb.core.Flyway;

/** A database as an older inflight left it: migrated by Flyway up to a version, then rows. */
final class OlderSchema {
  private OlderSchema() {}

  /** Creates {@code db} at schema {@code version}, then runs {@code rows} on it; returns it. */
  static Path at(Path db, int version, String... rows) throws SQLException {
    Flyway.configure()
        .dataSource("jdbc:sqlite:" + db, null, null)
        .locations("classpath:db/migration")
        .loggers("slf4j")
        .target(Integer.toString(version))
        .load()
        .migrate();
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db);
        Statement s = c.createStatement()) {
      for (String r : rows) {
        s.execute(r);
      }
    }
    return db;
  }
}
