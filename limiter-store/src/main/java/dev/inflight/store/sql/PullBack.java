package dev.inflight.store.sql;

import java.sql.SQLException;

/**
 * Settle step 0 of version 3 (migrations/README.md, "Clocks"): rows whose times lie ahead of the
 * settling transaction's clock, written by a process whose clock runs ahead or by hand, are pulled
 * back into it, keeping their lengths. A cooldown, a 429 pause, a sample's validity or a TTL then
 * lasts as long as it was meant to, from now, however far ahead the writer's clock was.
 */
final class PullBack {
  private PullBack() {}

  /**
   * A slot cools for 0 to 1 h, the longest cooldown (rows from before version 3 could say more, or
   * end before they began).
   */
  private static final String CAP_COOLING =
      "UPDATE leases SET"
          + " cool_until_ms = released_at_ms + max(0, min(cool_until_ms - released_at_ms, 3600000))"
          + " WHERE provider = ? AND released_at_ms IS NOT NULL"
          + " AND (cool_until_ms - released_at_ms > 3600000 OR cool_until_ms < released_at_ms)";

  private static final String[] PULL_BACK_PROVIDER = {
    // Released "in the future": it cools for its own length, from now.
    "UPDATE leases SET cool_until_ms = ?2 + (cool_until_ms - released_at_ms), released_at_ms = ?2"
        + " WHERE provider = ?1 AND released_at_ms > ?2",
    "UPDATE admission SET"
        + " paused_until_ms = ?2 + max(0, min(paused_until_ms - last_429_at_ms, 86400000))"
        + " WHERE provider = ?1 AND last_429_at_ms > ?2 AND paused_until_ms IS NOT NULL",
    "UPDATE admission SET last_429_at_ms = ?2 WHERE provider = ?1 AND last_429_at_ms > ?2",
    "UPDATE admission SET paused_until_ms = ?2 + 86400000"
        + " WHERE provider = ?1 AND paused_until_ms > ?2 + 86460000",
    "UPDATE admission SET last_step_at_ms = ?2 WHERE provider = ?1 AND last_step_at_ms > ?2",
    "UPDATE admission SET upstream_valid_until_ms = CASE WHEN upstream_valid_until_ms IS NULL"
        + " THEN NULL ELSE ?2 + max(0, min(upstream_valid_until_ms - upstream_at_ms, 3600000)) END,"
        + " upstream_at_ms = ?2 WHERE provider = ?1 AND upstream_at_ms > ?2",
    // Started "in the future": it counts in the window for its 60 s from now (never less).
    "UPDATE ledger SET started_at_ms = ?2 WHERE provider = ?1 AND started_at_ms > ?2",
    // Observed "in the future": the provider's word holds for as long as it said, from now.
    "UPDATE upstream_budget SET"
        + " requests_reset_at_ms = CASE WHEN requests_reset_at_ms IS NULL THEN NULL"
        + "  ELSE ?2 + (requests_reset_at_ms - observed_at_ms) END,"
        + " tokens_reset_at_ms = CASE WHEN tokens_reset_at_ms IS NULL THEN NULL"
        + "  ELSE ?2 + (tokens_reset_at_ms - observed_at_ms) END,"
        + " observed_at_ms = ?2 WHERE provider = ?1 AND observed_at_ms > ?2",
  };
  private static final String[] PULL_BACK_PROCESSES = {
    // Heart-beaten "in the future": its TTL counts from when this clock sees it.
    "UPDATE processes SET expires_at_ms = ?1 + min(max(expires_at_ms - heartbeat_at_ms, 0),"
        + " 86400000), heartbeat_at_ms = ?1 WHERE heartbeat_at_ms > ?1",
    "UPDATE processes SET expires_at_ms = ?1 + 86400000 WHERE expires_at_ms > ?1 + 86400000",
  };

  /**
   * Pulls back the rows of {@code provider}, and of the processes, that the flags say lie ahead.
   */
  static void pullBack(Tx tx, String provider, boolean rowsAhead, boolean processesAhead)
      throws SQLException {
    if (rowsAhead) {
      tx.update(CAP_COOLING, provider);
      for (String sql : PULL_BACK_PROVIDER) {
        tx.update(sql, provider, tx.now);
      }
    }
    if (processesAhead) {
      pullBackProcesses(tx);
    }
  }

  private static final String CAP_COOLING_ALL = CAP_COOLING.replace("provider = ? AND ", "");
  private static final String[] PULL_BACK_ALL = allProviders(PULL_BACK_PROVIDER);

  /** The provider statements for every provider: {@code ?1} is then unused, {@code ?2} is now. */
  private static String[] allProviders(String[] perProvider) {
    String[] out = new String[perProvider.length];
    for (int i = 0; i < out.length; i++) {
      out[i] = perProvider[i].replace("provider = ?1 AND ", "");
    }
    return out;
  }

  /**
   * {@link #pullBack} for every provider and process at once, for a status read: what it shows is
   * then what a grant would see.
   */
  static void pullBackAll(Tx tx) throws SQLException {
    tx.update(CAP_COOLING_ALL);
    for (String sql : PULL_BACK_ALL) {
      tx.update(sql, null, tx.now);
    }
    pullBackProcesses(tx);
  }

  private static void pullBackProcesses(Tx tx) throws SQLException {
    for (String sql : PULL_BACK_PROCESSES) {
      tx.update(sql, tx.now);
    }
  }
}
