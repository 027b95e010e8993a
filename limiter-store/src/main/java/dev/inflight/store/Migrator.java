package dev.inflight.store;

import java.nio.file.Path;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;

/** Kept apart so that Flyway's classes load only when a database actually needs migrating. */
final class Migrator {
  private Migrator() {}

  static void migrate(Path file, DataSource ds) {
    try {
      Flyway.configure(Migrator.class.getClassLoader())
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
            file,
            "the database "
                + file
                + " holds tables that are not inflight's; point inflight at another config root",
            e);
      }
      throw new StoreException(file, "cannot migrate the database " + file + ": " + detail, e);
    }
  }
}
