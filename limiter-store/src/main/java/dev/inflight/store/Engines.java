package dev.inflight.store;

import dev.inflight.store.postgres.PostgresEngine;
import dev.inflight.store.sqlite.SqliteEngine;

/**
 * Opens the engine a configuration names: SQLite (one file on this machine, the default) or
 * PostgreSQL (one database shared by many machines).
 */
public final class Engines {
  private Engines() {}

  /**
   * Opens (creating and migrating when needed) the database.
   *
   * @throws StoreException naming the database when it cannot be created, opened or migrated, is
   *     newer than this code, or was emptied or is being used with its WAL deleted
   */
  public static LeaseEngine open(EngineConfig config) {
    if (config.url() != null) {
      return PostgresEngine.open(config);
    }
    return SqliteEngine.open(config);
  }

  /**
   * Checks that {@code url} names a PostgreSQL database.
   *
   * @return the URL with its password masked, for messages
   * @throws IllegalArgumentException naming the rule and the URL (its password masked)
   */
  public static String checkUrl(String url) {
    return dev.inflight.store.postgres.PgUrl.parse(url).masked();
  }

  /** {@code text} with any password in it masked (for messages about a URL that did not parse). */
  public static String masked(String text) {
    return dev.inflight.store.postgres.PgUrl.maskAny(text);
  }

  /** The newest schema version this code writes and reads. */
  public static int schemaVersion() {
    return SqliteEngine.SCHEMA_VERSION;
  }
}
