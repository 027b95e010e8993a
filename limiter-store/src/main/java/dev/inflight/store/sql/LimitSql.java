package dev.inflight.store.sql;

import dev.inflight.store.LimitChange;
import dev.inflight.store.ModelLimitChange;
import dev.inflight.store.Rows.LimitRow;
import dev.inflight.store.Rows.ModelLimitRow;
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
      "SELECT provider, coalesce(max_in_flight, 0), cooldown_ms, paused, adaptive, updated_at_ms,"
          + " coalesce(requests_per_minute, 0), coalesce(tokens_per_minute, 0), default_tokens,"
          + " aging_ms, hex(provider) FROM limits ORDER BY provider";
  private static final String GET_LIMIT =
      "SELECT provider, coalesce(max_in_flight, 0), cooldown_ms, paused, adaptive, updated_at_ms,"
          + " coalesce(requests_per_minute, 0), coalesce(tokens_per_minute, 0), default_tokens,"
          + " aging_ms FROM limits WHERE provider = ?";

  List<LimitRow> limits(Tx tx) throws SQLException {
    List<LimitRow> out = new ArrayList<>();
    try (ResultSet rs = tx.query(LIST_LIMITS)) {
      while (rs.next()) {
        if (!badNames.skip(rs.getString(1), rs.getString(11), "limits")) {
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
        rs.getBoolean(4),
        rs.getBoolean(5),
        rs.getLong(6),
        rs.getInt(7),
        rs.getLong(8),
        rs.getLong(9),
        rs.getLong(10));
  }

  private static final String UPSERT_LIMIT =
      "INSERT INTO limits (provider, max_in_flight, cooldown_ms, paused, adaptive, updated_at_ms,"
          + " requests_per_minute, tokens_per_minute, default_tokens, aging_ms)"
          + " VALUES (?1, nullif(?2, 0), ?3, 0, ?4, ?5, nullif(?6, 0), nullif(?7, 0), ?8, ?9)"
          + " ON CONFLICT (provider) DO UPDATE SET max_in_flight = excluded.max_in_flight,"
          + " cooldown_ms = excluded.cooldown_ms, adaptive = excluded.adaptive,"
          + " updated_at_ms = excluded.updated_at_ms,"
          + " requests_per_minute = excluded.requests_per_minute,"
          + " tokens_per_minute = excluded.tokens_per_minute,"
          + " default_tokens = excluded.default_tokens, aging_ms = excluded.aging_ms";
  private static final String FORGET_ADAPTIVE_STEPS =
      "UPDATE admission SET effective_limit = NULL, successes = 0 WHERE provider = ?";

  LimitRow set(Tx tx, LimitChange c) throws SQLException {
    boolean wasAdaptive = limit(tx, c.provider()).map(LimitRow::adaptive).orElse(false);
    tx.update(
        UPSERT_LIMIT,
        c.provider(),
        c.maxInFlight(),
        c.cooldownMs(),
        c.adaptive(),
        tx.now,
        c.requestsPerMinute(),
        c.tokensPerMinute(),
        c.defaultTokens(),
        c.agingMs());
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

  // ---------------------------------------------------------------- model limits

  private static final String LIST_MODEL_LIMITS =
      "SELECT provider, model, coalesce(max_in_flight, 0), coalesce(requests_per_minute, 0),"
          + " coalesce(tokens_per_minute, 0), default_tokens, updated_at_ms, hex(provider)"
          + " FROM model_limits ORDER BY provider, model";
  private static final String GET_MODEL_LIMIT =
      "SELECT provider, model, coalesce(max_in_flight, 0), coalesce(requests_per_minute, 0),"
          + " coalesce(tokens_per_minute, 0), default_tokens, updated_at_ms"
          + " FROM model_limits WHERE provider = ? AND model = ?";
  private static final String UPSERT_MODEL_LIMIT =
      "INSERT INTO model_limits (provider, model, max_in_flight, requests_per_minute,"
          + " tokens_per_minute, default_tokens, updated_at_ms)"
          + " VALUES (?1, ?2, nullif(?3, 0), nullif(?4, 0), nullif(?5, 0), ?6, ?7)"
          + " ON CONFLICT (provider, model) DO UPDATE SET max_in_flight = excluded.max_in_flight,"
          + " requests_per_minute = excluded.requests_per_minute,"
          + " tokens_per_minute = excluded.tokens_per_minute,"
          + " default_tokens = excluded.default_tokens, updated_at_ms = excluded.updated_at_ms";
  private static final String DELETE_MODEL_LIMIT =
      "DELETE FROM model_limits WHERE provider = ? AND model = ?";

  List<ModelLimitRow> modelLimits(Tx tx) throws SQLException {
    List<ModelLimitRow> out = new ArrayList<>();
    try (ResultSet rs = tx.query(LIST_MODEL_LIMITS)) {
      while (rs.next()) {
        if (!badNames.skip(rs.getString(1), rs.getString(8), "model_limits")) {
          out.add(modelRow(rs));
        }
      }
    }
    return out;
  }

  static Optional<ModelLimitRow> modelLimit(Tx tx, String provider, String model)
      throws SQLException {
    try (ResultSet rs = tx.query(GET_MODEL_LIMIT, provider, model)) {
      return rs.next() ? Optional.of(modelRow(rs)) : Optional.empty();
    }
  }

  private static ModelLimitRow modelRow(ResultSet rs) throws SQLException {
    return new ModelLimitRow(
        rs.getString(1),
        rs.getString(2),
        rs.getInt(3),
        rs.getInt(4),
        rs.getLong(5),
        rs.getLong(6),
        rs.getLong(7));
  }

  ModelLimitRow setModel(Tx tx, ModelLimitChange c) throws SQLException {
    tx.update(
        UPSERT_MODEL_LIMIT,
        c.provider(),
        c.model(),
        c.maxInFlight(),
        c.requestsPerMinute(),
        c.tokensPerMinute(),
        c.defaultTokens(),
        tx.now);
    settle.settleQuietly(tx, c.provider());
    return modelLimit(tx, c.provider(), c.model()).orElseThrow();
  }

  boolean unsetModel(Tx tx, String provider, String model) throws SQLException {
    int n = tx.update(DELETE_MODEL_LIMIT, provider, model);
    settle.settleQuietly(tx, provider);
    return n == 1;
  }
}
