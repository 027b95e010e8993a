package dev.inflight.store.sqlite;

import dev.inflight.store.LimitChange;
import dev.inflight.store.Rows.LimitRow;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** The hand-editable {@code limits} table, and the settle that makes a change take effect. */
final class LimitSql {
  private final Settle settle;
  private final BadNames badNames;

  LimitSql(Settle settle, BadNames badNames) {
    this.settle = settle;
    this.badNames = badNames;
  }

  private static final String LIST_LIMITS =
      "SELECT provider, max_in_flight, cooldown_ms, paused, adaptive, updated_at_ms, hex(provider)"
          + " FROM limits ORDER BY provider";
  private static final String GET_LIMIT =
      "SELECT provider, max_in_flight, cooldown_ms, paused, adaptive, updated_at_ms FROM limits"
          + " WHERE provider = ?";

  List<LimitRow> limits(Tx tx) throws SQLException {
    List<LimitRow> out = new ArrayList<>();
    try (ResultSet rs = tx.query(LIST_LIMITS)) {
      while (rs.next()) {
        if (!badNames.skip(rs.getString(1), rs.getString(7), "limits")) {
          out.add(row(rs));
        }
      }
    }
    return out;
  }

  static Optional<LimitRow> limit(Tx tx, String provider) throws SQLException {
    try (ResultSet rs = tx.query(GET_LIMIT, provider)) {
      return rs.next() ? Optional.of(row(rs)) : Optional.empty();
    }
  }

  private static LimitRow row(ResultSet rs) throws SQLException {
    return new LimitRow(
        rs.getString(1),
        rs.getInt(2),
        rs.getLong(3),
        rs.getInt(4) != 0,
        rs.getInt(5) != 0,
        rs.getLong(6));
  }

  private static final String UPSERT_LIMIT =
      "INSERT INTO limits (provider, max_in_flight, cooldown_ms, paused, adaptive, updated_at_ms)"
          + " VALUES (?, ?, ?, 0, ?, ?)"
          + " ON CONFLICT (provider) DO UPDATE SET max_in_flight = excluded.max_in_flight,"
          + " cooldown_ms = excluded.cooldown_ms, adaptive = excluded.adaptive,"
          + " updated_at_ms = excluded.updated_at_ms";
  private static final String FORGET_ADAPTIVE_STEPS =
      "UPDATE admission SET effective_limit = NULL, successes = 0 WHERE provider = ?";

  LimitRow set(Tx tx, LimitChange c) throws SQLException {
    boolean wasAdaptive = limit(tx, c.provider()).map(LimitRow::adaptive).orElse(false);
    tx.update(UPSERT_LIMIT, c.provider(), c.maxInFlight(), c.cooldownMs(), c.adaptive(), tx.now);
    if (c.adaptive() && !wasAdaptive) {
      // Turning adaptation on starts from the configured limit, not from an old step.
      tx.update(FORGET_ADAPTIVE_STEPS, c.provider());
    }
    settle.settleQuietly(tx, c.provider());
    return limit(tx, c.provider()).orElseThrow();
  }

  private static final String DELETE_LIMIT = "DELETE FROM limits WHERE provider = ?";

  boolean unset(Tx tx, String provider) throws SQLException {
    int n = tx.update(DELETE_LIMIT, provider);
    settle.settleQuietly(tx, provider);
    return n == 1;
  }

  private static final String SET_PAUSED =
      "UPDATE limits SET paused = ?, updated_at_ms = ? WHERE provider = ?";
  private static final String LIFT_429_PAUSE =
      "UPDATE admission SET paused_until_ms = NULL, pause_reason = NULL"
          + " WHERE provider = ? AND paused_until_ms > ?";

  boolean pause(Tx tx, String provider) throws SQLException {
    int n = tx.update(SET_PAUSED, 1, tx.now, provider);
    settle.settleQuietly(tx, provider);
    return n == 1;
  }

  /** Resuming also lifts a 429 pause early. */
  boolean resume(Tx tx, String provider) throws SQLException {
    int n = tx.update(SET_PAUSED, 0, tx.now, provider);
    n += tx.update(LIFT_429_PAUSE, provider, tx.now);
    settle.settleQuietly(tx, provider);
    return n >= 1;
  }
}
