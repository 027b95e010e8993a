package dev.inflight.store.sql;

import java.lang.System.Logger.Level;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Provider ids in the database that are not valid UTF-8 (written by hand or by a foreign client
 * before schema version 3 refused them). No request can name such a provider, so its limit could be
 * listed but would never apply: every listing skips it the same way, and says so once.
 */
final class BadNames {
  private final String file;
  private final String handEdit;
  private final Set<String> told = ConcurrentHashMap.newKeySet();

  BadNames(String file, String handEdit) {
    this.file = file;
    this.handEdit = handEdit;
  }

  /**
   * Whether to skip {@code provider} (read from the database; its bytes are {@code hex}), found in
   * {@code table}, or in any of the provider tables when null.
   */
  boolean skip(String provider, String hex, String table) {
    if (provider.indexOf('\uFFFD') < 0) {
      return false;
    }
    if (told.add(table + hex)) {
      String where = " WHERE hex(provider) = '" + hex + "';";
      String fix =
          table == null
              ? "DELETE FROM limits"
                  + where
                  + " DELETE FROM leases"
                  + where
                  + " DELETE FROM queue"
                  + where
                  + " DELETE FROM model_limits"
                  + where
                  + " DELETE FROM ledger"
                  + where
                  + " DELETE FROM admission"
                  + where
              : "DELETE FROM " + table + where;
      Protocol.LOG.log(
          Level.WARNING,
          "the database "
              + file
              + " has "
              + (table == null ? "rows" : "a row in " + table)
              + " whose provider is not valid UTF-8 (bytes "
              + hex
              + "); "
              + (table == null ? "they are" : "it is")
              + " ignored. Remove "
              + (table == null ? "them" : "it")
              + " with: "
              + handEdit
              + " "
              + file
              + " \""
              + fix
              + "\"");
    }
    return true;
  }
}
