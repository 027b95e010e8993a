package dev.inflight.store.sql;

import dev.inflight.store.PauseReason;
import dev.inflight.store.RateLimitReport;
import dev.inflight.store.Rows.ProviderState;
import dev.inflight.store.Rows.Reclaimed;
import dev.inflight.store.Rows.UpstreamRecord;
import dev.inflight.store.UpstreamSample;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/** What the provider itself says: 429 pauses, adaptive steps, usage samples (schema version 2). */
final class AdmissionSql {
  /**
   * How long an adaptive limit stays reduced at least: no step up until this long after the last
   * step or the last 429, whichever is later.
   */
  static final long ADAPTIVE_QUIET_MS = 30_000;

  private final Settle settle;

  AdmissionSql(Settle settle) {
    this.settle = settle;
  }

  private static final String RECORD_429 =
      "INSERT INTO admission (provider, paused_until_ms, pause_reason, last_429_at_ms)"
          + " VALUES (?1, ?2, ?3, ?4) ON CONFLICT (provider) DO UPDATE SET"
          + " pause_reason = CASE WHEN coalesce(admission.paused_until_ms, 0)"
          + "   > excluded.paused_until_ms THEN admission.pause_reason ELSE excluded.pause_reason END,"
          + " paused_until_ms = max(coalesce(admission.paused_until_ms, 0),"
          + "   excluded.paused_until_ms),"
          + " last_429_at_ms = excluded.last_429_at_ms";

  /**
   * A lowered limit steps down once per 429 of a request admitted since the last step: requests
   * that were all admitted at the old limit and fail together count as one signal.
   */
  private static final String STEP_DOWN =
      "UPDATE admission SET"
          + " effective_limit = max(1, min(coalesce(effective_limit, ?2), ?2) - 1),"
          + " last_step_at_ms = ?3, successes = 0"
          + " WHERE provider = ?1 AND last_step_at_ms <= ?4"
          + " AND EXISTS (SELECT 1 FROM limits m WHERE m.provider = ?1 AND m.adaptive = 1)";

  private static final String ADAPTIVE_MAX =
      "SELECT max_in_flight FROM limits WHERE provider = ? AND adaptive = 1";

  /** Pauses the provider until now + retry-after and steps an adaptive limit down. */
  void record429(Tx tx, String provider, long retryAfterMs, PauseReason why, long admittedAt)
      throws SQLException {
    tx.update(RECORD_429, provider, tx.now + Math.max(0, retryAfterMs), why.text(), tx.now);
    long max = tx.queryLong(ADAPTIVE_MAX, 0, provider);
    if (max > 0) {
      tx.update(STEP_DOWN, provider, (int) max, tx.now, admittedAt);
    }
  }

  private static final String COUNT_SUCCESS =
      "UPDATE admission SET successes = successes + 1"
          + " WHERE provider = ?1 AND effective_limit IS NOT NULL AND last_step_at_ms <= ?2";
  private static final String STEP_UP =
      "UPDATE admission SET"
          + " effective_limit = CASE WHEN effective_limit + 1 >= ?2 THEN NULL"
          + "   ELSE effective_limit + 1 END,"
          + " last_step_at_ms = ?3, successes = 0"
          + " WHERE provider = ?1 AND effective_limit IS NOT NULL AND successes >= effective_limit"
          + " AND ?3 - max(last_step_at_ms, coalesce(last_429_at_ms, 0)) >= ?4";

  /**
   * Counts a success admitted under the current adaptive limit; once as many have succeeded as the
   * limit allows at once and the quiet period has passed, raises the limit by one (back to the
   * configured limit at most, which clears it).
   *
   * @return whether the limit stepped up
   */
  boolean recordSuccess(Tx tx, String provider, long admittedAt, int max) throws SQLException {
    if (tx.update(COUNT_SUCCESS, provider, admittedAt) == 0) {
      return false;
    }
    return tx.update(STEP_UP, provider, max, tx.now, ADAPTIVE_QUIET_MS) == 1;
  }

  ProviderState report429(Tx tx, RateLimitReport r) throws SQLException {
    record429(tx, r.provider(), r.retryAfterMs(), r.reason(), tx.now);
    return settle.settleQuietly(tx, r.provider());
  }

  private static final String RECORD_UPSTREAM =
      "INSERT INTO admission (provider, upstream_in_flight, upstream_hidden, upstream_at_ms,"
          + " upstream_valid_until_ms) VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (provider) DO UPDATE"
          + " SET upstream_in_flight = excluded.upstream_in_flight,"
          + " upstream_hidden = excluded.upstream_hidden, upstream_at_ms = excluded.upstream_at_ms,"
          + " upstream_valid_until_ms = excluded.upstream_valid_until_ms";
  private static final String CLEAR_UPSTREAM =
      "UPDATE admission SET upstream_in_flight = NULL, upstream_hidden = 0, upstream_at_ms = ?2,"
          + " upstream_valid_until_ms = NULL"
          + " WHERE provider = ?1 AND upstream_valid_until_ms IS NOT NULL";

  /**
   * Records what a usage probe read, then grants what it allows. Requests upstream counts beyond
   * our active and cooling leases are not ours ("hidden"); the headroom kept for them is the lower
   * of this sample's and the least seen in recent samples, so one lagging sample does not shrink
   * the limit but a steady outside user does. An empty count clears the sample.
   */
  UpstreamRecord recordUpstream(Tx tx, UpstreamSample s) throws SQLException {
    int hiddenNow = 0;
    if (s.inFlight().isPresent()) {
      int upstream = s.inFlight().getAsInt();
      ProviderState st = Settle.state(tx, s.provider());
      hiddenNow = Math.max(0, upstream - st.active() - st.cooling());
      tx.update(
          RECORD_UPSTREAM,
          s.provider(),
          upstream,
          Math.max(0, Math.min(hiddenNow, s.priorHiddenMin())),
          tx.now,
          tx.now + s.validForMs());
    } else {
      tx.update(CLEAR_UPSTREAM, s.provider(), tx.now);
    }
    List<Reclaimed> reclaimed = new ArrayList<>();
    ProviderState after = settle.settle(tx, s.provider(), false, reclaimed);
    return new UpstreamRecord(hiddenNow, after, reclaimed);
  }

  private static final String UPSERT_WORD =
      "INSERT INTO upstream_budget (provider, model, requests_remaining, requests_reset_at_ms,"
          + " tokens_remaining, tokens_reset_at_ms, observed_at_ms)"
          + " VALUES (?1, ?2, CASE WHEN ?3 >= 0 THEN min(?3, 100000000) END,"
          + "  CASE WHEN ?3 >= 0 THEN ?7 + ?4 END,"
          + "  CASE WHEN ?5 >= 0 THEN min(?5, 10000000000) END, CASE WHEN ?5 >= 0 THEN ?7 + ?6 END, ?7)"
          + " ON CONFLICT (provider, model) DO UPDATE SET"
          + " requests_remaining = coalesce(excluded.requests_remaining,"
          + "  CASE WHEN upstream_budget.requests_reset_at_ms > ?7 THEN upstream_budget.requests_remaining END),"
          + " requests_reset_at_ms = coalesce(excluded.requests_reset_at_ms,"
          + "  CASE WHEN upstream_budget.requests_reset_at_ms > ?7 THEN upstream_budget.requests_reset_at_ms END),"
          + " tokens_remaining = coalesce(excluded.tokens_remaining,"
          + "  CASE WHEN upstream_budget.tokens_reset_at_ms > ?7 THEN upstream_budget.tokens_remaining END),"
          + " tokens_reset_at_ms = coalesce(excluded.tokens_reset_at_ms,"
          + "  CASE WHEN upstream_budget.tokens_reset_at_ms > ?7 THEN upstream_budget.tokens_reset_at_ms END),"
          + " observed_at_ms = ?7";

  /**
   * Records what the provider said remains of a level's budget; a newer word replaces the counts it
   * names, and keeps those it does not while they are in force. Grants what it frees.
   */
  ProviderState recordWord(Tx tx, dev.inflight.store.UpstreamWord w) throws SQLException {
    tx.update(
        UPSERT_WORD,
        w.provider(),
        w.model(),
        w.requestsRemaining(),
        w.requestsResetAfterMs(),
        w.tokensRemaining(),
        w.tokensResetAfterMs(),
        tx.now);
    return settle.settleQuietly(tx, w.provider());
  }
}
