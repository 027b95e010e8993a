package dev.inflight.store;

import dev.inflight.store.sqlite.SqliteEngine;

/** Opens the engine a configuration names. Today: SQLite, one file on this machine. */
public final class Engines {
  private Engines() {}

  /**
   * Opens (creating and migrating when needed) the database.
   *
   * @throws StoreException naming the database when it cannot be created, opened or migrated, is
   *     newer than this code, or was emptied or is being used with its WAL deleted
   */
  public static LeaseEngine open(EngineConfig config) {
    return SqliteEngine.open(config);
  }

  /** The newest schema version this code writes and reads. */
  public static int schemaVersion() {
    return SqliteEngine.SCHEMA_VERSION;
  }
}
