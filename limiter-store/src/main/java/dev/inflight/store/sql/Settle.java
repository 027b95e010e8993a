package dev.inflight.store.sql;

import dev.inflight.store.PauseReason;
import dev.inflight.store.Rows.Budget;
import dev.inflight.store.Rows.LimitRow;
import dev.inflight.store.Rows.ModelState;
import dev.inflight.store.Rows.ProviderState;
import dev.inflight.store.Rows.Reclaimed;
import dev.inflight.store.Rows.Word;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.OptionalInt;
import java.util.Set;

/**
 * The settle step, which every write that can free a slot ends with: read a provider's state, end
 * cooldowns, reclaim the rows of dead and expired processes, and grant free slots to the head of
 * the queue. Whoever frees a slot grants it, in the same transaction. See migrations/README.md
 * ("Building blocks").
 */
final class Settle {
  private final Reclaim reclaim;

  Settle(Reclaim reclaim) {
    this.reclaim = reclaim;
  }

  Reclaim reclaim() {
    return reclaim;
  }

  // ---------------------------------------------------------------- state

  /**
   * Everything admission needs about one provider, in one statement. Admission state counts only
   * while it is in force: a pause that has ended, an upstream sample past its validity, an adaptive
   * limit of a provider no longer adaptive, or a provider's word past its reset reads as absent.
   * Units are weights: a lease of weight 3 holds 3. The window is the last 60 s: the ledger's
   * running totals less its rows that have left the window but are not deleted yet.
   */
  private static final String STATE =
      "SELECT m.max_in_flight, coalesce(m.cooldown_ms, 0), coalesce(m.paused, 0),"
          + " coalesce(m.adaptive, 0),"
          + " CASE WHEN m.adaptive = 1 AND a.effective_limit < m.max_in_flight"
          + "   THEN a.effective_limit END,"
          + " CASE WHEN a.paused_until_ms > ?2 THEN a.paused_until_ms ELSE 0 END,"
          + " CASE WHEN a.paused_until_ms > ?2 THEN a.pause_reason ELSE '' END,"
          + " CASE WHEN a.upstream_valid_until_ms > ?2 THEN a.upstream_in_flight END,"
          + " CASE WHEN a.upstream_valid_until_ms > ?2 THEN a.upstream_hidden ELSE 0 END,"
          + " CASE WHEN a.upstream_valid_until_ms > ?2 THEN a.upstream_valid_until_ms ELSE 0 END,"
          + " (SELECT coalesce(sum(l.weight), 0) FROM leases l WHERE l.provider = ?1"
          + "   AND l.released_at_ms IS NULL),"
          + " (SELECT coalesce(sum(l.weight), 0) FROM leases l WHERE l.provider = ?1"
          + "   AND l.released_at_ms IS NOT NULL AND l.cool_until_ms > ?2),"
          + " (SELECT count(*) FROM queue w WHERE w.provider = ?1),"
          + " (SELECT coalesce(min(w.queued_at_ms), 0) FROM queue w WHERE w.provider = ?1),"
          + " EXISTS (SELECT 1 FROM leases l WHERE l.provider = ?1 AND l.released_at_ms IS NOT NULL"
          + "   AND l.cool_until_ms <= ?2),"
          + " CASE WHEN ?3 = 1 THEN EXISTS (SELECT 1 FROM processes p WHERE p.expires_at_ms < ?2) END,"
          + " EXISTS (SELECT 1 FROM leases l WHERE l.provider = ?1 AND l.released_at_ms IS NOT NULL"
          + "   AND (l.released_at_ms > ?2 OR l.cool_until_ms - l.released_at_ms > 3600000"
          + "    OR l.cool_until_ms < l.released_at_ms))"
          + "  OR coalesce(a.last_429_at_ms > ?2 OR a.last_step_at_ms > ?2 OR a.upstream_at_ms > ?2"
          + "   OR a.paused_until_ms > ?2 + 86460000, false)"
          + "  OR EXISTS (SELECT 1 FROM ledger e WHERE e.provider = ?1 AND e.started_at_ms > ?2)"
          + "  OR EXISTS (SELECT 1 FROM upstream_budget u WHERE u.provider = ?1"
          + "   AND u.observed_at_ms > ?2),"
          + " CASE WHEN ?3 = 1 THEN EXISTS (SELECT 1 FROM processes p WHERE p.heartbeat_at_ms > ?2"
          + "   OR p.expires_at_ms > ?2 + 86400000) END,"
          // 19: the provider level's budget and defaults
          + " coalesce(m.requests_per_minute, 0), coalesce(m.tokens_per_minute, 0),"
          + " coalesce(m.default_tokens, 0), coalesce(m.aging_ms, "
          + LimitRow.DEFAULT_AGING_MS
          + "),"
          // 23: the window: the totals, less rows that left it (only when the oldest row did)
          + " coalesce(t.requests, 0) - CASE WHEN o.oldest <= ?2 - 60000 THEN"
          + "   (SELECT count(*) FROM ledger e WHERE e.provider = ?1"
          + "    AND e.started_at_ms <= ?2 - 60000) ELSE 0 END,"
          + " coalesce(t.tokens, 0) - CASE WHEN o.oldest <= ?2 - 60000 THEN"
          + "   (SELECT coalesce(sum(e.tokens), 0) FROM ledger e WHERE e.provider = ?1"
          + "    AND e.started_at_ms <= ?2 - 60000) ELSE 0 END,"
          + " CASE WHEN o.oldest > ?2 - 60000 THEN o.oldest"
          + "  WHEN o.oldest IS NOT NULL THEN (SELECT min(e.started_at_ms) FROM ledger e"
          + "   WHERE e.provider = ?1 AND e.started_at_ms > ?2 - 60000) END,"
          + " coalesce(o.oldest <= ?2 - 60000, false),"
          // 27: the provider's word about itself
          + " CASE WHEN u.requests_reset_at_ms > ?2 THEN u.requests_remaining ELSE -1 END,"
          + " u.requests_reset_at_ms,"
          + " CASE WHEN u.tokens_reset_at_ms > ?2 THEN u.tokens_remaining ELSE -1 END,"
          + " u.tokens_reset_at_ms,"
          // 31: whether the provider has model levels
          + " EXISTS (SELECT 1 FROM model_limits x WHERE x.provider = ?1)"
          + "  OR EXISTS (SELECT 1 FROM upstream_budget u WHERE u.provider = ?1 AND u.model <> '')"
          + " FROM (SELECT ?1 AS provider) q LEFT JOIN limits m ON m.provider = q.provider"
          + " LEFT JOIN admission a ON a.provider = q.provider"
          + " LEFT JOIN ledger_totals t ON t.provider = q.provider AND t.model = ''"
          + " LEFT JOIN upstream_budget u ON u.provider = q.provider AND u.model = ''"
          + " CROSS JOIN (SELECT min(started_at_ms) AS oldest FROM ledger WHERE provider = ?1) o";

  /** A provider's model levels: their pools, units held, windows and the provider's word. */
  private static final String MODELS =
      "SELECT k.model, coalesce(x.max_in_flight, 0), coalesce(x.requests_per_minute, 0),"
          + " coalesce(x.tokens_per_minute, 0), coalesce(x.default_tokens, 0),"
          + " (SELECT coalesce(sum(l.weight), 0) FROM leases l WHERE l.provider = ?1"
          + "   AND l.model = k.model AND (l.released_at_ms IS NULL OR l.cool_until_ms > ?2)),"
          + " coalesce(t.requests, 0) - (SELECT count(*) FROM ledger e WHERE e.provider = ?1"
          + "   AND e.model = k.model AND e.started_at_ms <= ?2 - 60000),"
          + " coalesce(t.tokens, 0) - (SELECT coalesce(sum(e.tokens), 0) FROM ledger e"
          + "   WHERE e.provider = ?1 AND e.model = k.model AND e.started_at_ms <= ?2 - 60000),"
          + " CASE WHEN u.requests_reset_at_ms > ?2 THEN u.requests_remaining ELSE -1 END,"
          + " coalesce(u.requests_reset_at_ms, 0),"
          + " CASE WHEN u.tokens_reset_at_ms > ?2 THEN u.tokens_remaining ELSE -1 END,"
          + " coalesce(u.tokens_reset_at_ms, 0),"
          + " (SELECT min(e.started_at_ms) FROM ledger e WHERE e.provider = ?1"
          + "   AND e.model = k.model AND e.started_at_ms > ?2 - 60000)"
          + " FROM (SELECT model FROM model_limits WHERE provider = ?1 AND (CAST(?3 AS TEXT) IS NULL OR model = ?3)"
          + "   UNION SELECT model FROM upstream_budget WHERE provider = ?1 AND model <> ''"
          + "    AND (CAST(?3 AS TEXT) IS NULL OR model = ?3)) k"
          + " LEFT JOIN model_limits x ON x.provider = ?1 AND x.model = k.model"
          + " LEFT JOIN ledger_totals t ON t.provider = ?1 AND t.model = k.model"
          + " LEFT JOIN upstream_budget u ON u.provider = ?1 AND u.model = k.model"
          + " ORDER BY k.model";

  /**
   * A provider's state, and whether the settle step has housekeeping to do: cooled rows to delete
   * (they no longer count either way), ledger rows that left the window, expired processes anywhere
   * to reclaim, and rows whose times lie ahead of this transaction's clock (a writer whose clock
   * was ahead, a hand edit) to pull back into it.
   */
  record Seen(
      ProviderState state,
      boolean coolingEnded,
      boolean anyExpired,
      boolean rowsAhead,
      boolean processesAhead,
      boolean ledgerExpired) {
    /** Whether a settle has something to do that a read cannot see in the counts. */
    boolean housekeepingDue() {
      return anyExpired || rowsAhead || processesAhead;
    }
  }

  /** A provider's state alone (no housekeeping flags about the processes). */
  static ProviderState state(Tx tx, String provider) throws SQLException {
    return look(tx, provider, false).state();
  }

  /**
   * A provider's state and its housekeeping flags. The flags about processes ({@code ?3}: expired
   * or ahead of the clock) are the same for every provider, so a caller looking at many providers
   * in one transaction asks for them once.
   */
  static Seen look(Tx tx, String provider, boolean processFlags) throws SQLException {
    return look(tx, provider, processFlags, null);
  }

  /**
   * {@link #look(Tx, String, boolean)} for admission: the model levels are read only when the walk
   * needs them, that is when someone waits and the provider's level has room; otherwise only the
   * level of {@code onlyModel} ("" for none: an acquire checks its request against it). Null reads
   * them all (for status).
   */
  static Seen look(Tx tx, String provider, boolean processFlags, String onlyModel)
      throws SQLException {
    if (tx.writing()) {
      tx.lock(provider); // a write decides from what it reads now: nobody else grants meanwhile
    }
    ProviderState st;
    boolean cooling;
    boolean expired;
    boolean ahead;
    boolean processesAhead;
    boolean ledgerExpired;
    boolean hasModels;
    try (ResultSet rs = tx.query(STATE, provider, tx.now, processFlags)) {
      rs.next();
      int max = rs.getInt(1);
      OptionalInt limit = rs.wasNull() ? OptionalInt.empty() : OptionalInt.of(max);
      long cooldown = rs.getLong(2);
      boolean paused = rs.getBoolean(3);
      boolean adaptive = rs.getBoolean(4);
      int eff = rs.getInt(5);
      OptionalInt effective = rs.wasNull() ? OptionalInt.empty() : OptionalInt.of(eff);
      long pausedUntil = rs.getLong(6);
      String reason = rs.getString(7);
      int up = rs.getInt(8);
      OptionalInt upstream = rs.wasNull() ? OptionalInt.empty() : OptionalInt.of(up);
      int hidden = rs.getInt(9);
      long validUntil = rs.getLong(10);
      String text = reason == null ? "" : reason;
      Budget budget =
          new Budget(rs.getInt(19), rs.getLong(20), (int) rs.getLong(23), rs.getLong(24));
      long oldest = rs.getLong(25);
      long windowChanges = rs.wasNull() ? 0 : oldest + WINDOW_MS;
      Word word = word(rs, 27);
      st =
          new ProviderState(
              provider,
              limit,
              cooldown,
              paused,
              rs.getInt(11),
              rs.getInt(12),
              rs.getInt(13),
              rs.getLong(14),
              adaptive,
              effective,
              pausedUntil,
              pausedUntil == 0 ? PauseReason.NONE : PauseReason.fromText(text),
              pausedUntil == 0 ? "" : text,
              upstream,
              hidden,
              validUntil,
              budget,
              word,
              rs.getLong(21),
              rs.getLong(22),
              windowChanges,
              List.of());
      cooling = rs.getBoolean(15);
      expired = rs.getBoolean(16);
      ahead = rs.getBoolean(17);
      processesAhead = rs.getBoolean(18);
      ledgerExpired = rs.getBoolean(26);
      hasModels = rs.getBoolean(31);
    }
    if (hasModels) {
      if (onlyModel == null || (st.queued() > 0 && st.free() > 0)) {
        st = withModels(tx, st, null);
      } else if (!onlyModel.isEmpty()) {
        st = withModels(tx, st, onlyModel);
      }
    }
    return new Seen(st, cooling, expired, ahead, processesAhead, ledgerExpired);
  }

  /** How long a start counts in its level's per-minute budgets. */
  static final long WINDOW_MS = 60_000;

  private static Word word(ResultSet rs, int first) throws SQLException {
    long requests = rs.getLong(first);
    if (rs.wasNull()) {
      requests = -1;
    }
    long requestsReset = rs.getLong(first + 1);
    long tokens = rs.getLong(first + 2);
    if (rs.wasNull()) {
      tokens = -1;
    }
    long tokensReset = rs.getLong(first + 3);
    return requests < 0 && tokens < 0
        ? Word.NONE
        : new Word(
            requests, requests < 0 ? 0 : requestsReset, tokens, tokens < 0 ? 0 : tokensReset);
  }

  private static ProviderState withModels(Tx tx, ProviderState st, String only)
      throws SQLException {
    List<ModelState> models = new ArrayList<>();
    try (ResultSet rs = tx.query(MODELS, st.provider(), tx.now, only)) {
      while (rs.next()) {
        models.add(
            new ModelState(
                rs.getString(1),
                rs.getInt(2),
                rs.getInt(6),
                new Budget(rs.getInt(3), rs.getLong(4), (int) rs.getLong(7), rs.getLong(8)),
                word(rs, 9),
                rs.getLong(5),
                rs.getLong(13) == 0 ? 0 : rs.getLong(13) + WINDOW_MS));
      }
    }
    return st.withModels(models);
  }

  // ---------------------------------------------------------------- settle

  private static final String EXPIRE_COOLING =
      "DELETE FROM leases WHERE provider = ? AND released_at_ms IS NOT NULL AND cool_until_ms <= ?";

  /**
   * Expires cooldowns, reclaims expired processes, grants free slots to the queue's head; when
   * {@code reap} and the provider is still blocked, also reclaims dead owners on this host.
   */
  ProviderState settle(Tx tx, String provider, boolean reap, List<Reclaimed> reclaimed)
      throws SQLException {
    return settle(tx, provider, reap, reclaimed, "");
  }

  /**
   * {@link #settle(Tx, String, boolean, List)} for an acquire of {@code model}: unless the walk
   * needs every model level, the state it returns holds that model's level alone ("" none).
   */
  ProviderState settle(
      Tx tx, String provider, boolean reap, List<Reclaimed> reclaimed, String model)
      throws SQLException {
    // The uncontended case costs this one read: nothing to clean, reclaim or grant.
    Seen seen = look(tx, provider, true, model);
    if (seen.rowsAhead() || seen.processesAhead()) {
      PullBack.pullBack(tx, provider, seen.rowsAhead(), seen.processesAhead());
      seen = look(tx, provider, true, model);
    }
    if (seen.coolingEnded()) {
      tx.update(EXPIRE_COOLING, provider, tx.now);
    }
    if (seen.ledgerExpired()) {
      tx.update(LedgerSql.of(tx).expire(), provider, tx.now - WINDOW_MS);
    }
    Set<String> touched = new LinkedHashSet<>();
    if (seen.anyExpired()) {
      touched.addAll(reclaim.reapExpired(tx, reclaimed));
    }
    ProviderState st =
        touched.contains(provider)
            ? promote(tx, provider, state(tx, provider), reclaimed)
            : promote(tx, provider, seen.state(), reclaimed);
    int before = reclaimed.size();
    if (reap && (st.queued() > 0 || st.free() == 0) && !st.paused()) {
      touched.addAll(reclaim.reapDeadOwners(tx, provider, reclaimed));
    }
    boolean reaped = reclaimed.size() != before;
    touched.remove(provider);
    for (String other : touched) {
      promote(tx, other, state(tx, other), reclaimed);
    }
    // The common case reclaims nothing here: the first promote's state is still true.
    return reaped ? promote(tx, provider, state(tx, provider), reclaimed) : st;
  }

  /** {@link #settle} without reaping dead owners, discarding what was reclaimed. */
  ProviderState settleQuietly(Tx tx, String provider) throws SQLException {
    return settle(tx, provider, false, new ArrayList<>());
  }

  // ---------------------------------------------------------------- promote

  /** Grants what the queue's order and every level's room allow (see {@link Queue}). */
  static ProviderState promote(Tx tx, String provider) throws SQLException {
    return Queue.promote(tx, state(tx, provider), new ArrayList<>());
  }

  /** {@link #promote(Tx, String)} from a state read in this transaction. */
  static ProviderState promote(Tx tx, String provider, ProviderState st) throws SQLException {
    return Queue.promote(tx, st, new ArrayList<>());
  }

  /** {@link #promote(Tx, String)}, reporting queued requests the database refused to grant. */
  static ProviderState promote(Tx tx, String provider, ProviderState st, List<Reclaimed> reclaimed)
      throws SQLException {
    return Queue.promote(tx, st, reclaimed);
  }
}
