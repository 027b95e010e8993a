// The statements of the lease protocol, schema version 5 (migrations/README.md), in one place.
// Every one binds its values; none is built from input.

export const SCHEMA_VERSION = 5;
export const WINDOW_MS = 60_000;

/** state(p) of version 4: ?1 provider, ?2 now, ?3 whether to compute the process flags. */
export const STATE = `
SELECT m.max_in_flight AS maxInFlight, coalesce(m.cooldown_ms, 0) AS cooldownMs,
  coalesce(m.paused, 0) AS paused, coalesce(m.adaptive, 0) AS adaptive,
  CASE WHEN m.adaptive = 1 AND a.effective_limit < m.max_in_flight THEN a.effective_limit END AS effective,
  CASE WHEN a.paused_until_ms > ?2 THEN a.paused_until_ms ELSE 0 END AS pausedUntil,
  CASE WHEN a.paused_until_ms > ?2 THEN a.pause_reason ELSE '' END AS pauseReason,
  CASE WHEN a.upstream_valid_until_ms > ?2 THEN a.upstream_in_flight END AS upstream,
  CASE WHEN a.upstream_valid_until_ms > ?2 THEN a.upstream_hidden ELSE 0 END AS hidden,
  CASE WHEN a.upstream_valid_until_ms > ?2 THEN a.upstream_valid_until_ms ELSE 0 END AS validUntil,
  (SELECT coalesce(sum(l.weight), 0) FROM leases l WHERE l.provider = ?1 AND l.released_at_ms IS NULL) AS active,
  (SELECT coalesce(sum(l.weight), 0) FROM leases l WHERE l.provider = ?1 AND l.released_at_ms IS NOT NULL
     AND l.cool_until_ms > ?2) AS cooling,
  (SELECT count(*) FROM queue w WHERE w.provider = ?1) AS queued,
  EXISTS (SELECT 1 FROM leases l WHERE l.provider = ?1 AND l.released_at_ms IS NOT NULL
     AND l.cool_until_ms <= ?2) AS coolingEnded,
  CASE WHEN ?3 THEN EXISTS (SELECT 1 FROM processes p WHERE p.expires_at_ms < ?2) ELSE 0 END AS anyExpired,
  EXISTS (SELECT 1 FROM leases l WHERE l.provider = ?1 AND l.released_at_ms IS NOT NULL
     AND (l.released_at_ms > ?2 OR l.cool_until_ms - l.released_at_ms > 3600000
          OR l.cool_until_ms < l.released_at_ms))
   OR coalesce(a.last_429_at_ms > ?2 OR a.last_step_at_ms > ?2 OR a.upstream_at_ms > ?2
          OR a.paused_until_ms > ?2 + 86460000, 0)
   OR EXISTS (SELECT 1 FROM ledger e WHERE e.provider = ?1 AND e.started_at_ms > ?2)
   OR EXISTS (SELECT 1 FROM upstream_budget u WHERE u.provider = ?1 AND u.observed_at_ms > ?2) AS rowsAhead,
  CASE WHEN ?3 THEN EXISTS (SELECT 1 FROM processes p WHERE p.heartbeat_at_ms > ?2
     OR p.expires_at_ms > ?2 + 86400000) ELSE 0 END AS processesAhead,
  coalesce(m.requests_per_minute, 0) AS rpm, coalesce(m.tokens_per_minute, 0) AS tpm,
  coalesce(m.default_tokens, 0) AS defaultTokens, coalesce(m.aging_ms, 30000) AS agingMs,
  coalesce(t.requests, 0) - CASE WHEN o.oldest <= ?2 - 60000 THEN
     (SELECT count(*) FROM ledger e WHERE e.provider = ?1 AND e.started_at_ms <= ?2 - 60000) ELSE 0 END AS windowRequests,
  coalesce(t.tokens, 0) - CASE WHEN o.oldest <= ?2 - 60000 THEN
     (SELECT coalesce(sum(e.tokens), 0) FROM ledger e WHERE e.provider = ?1
       AND e.started_at_ms <= ?2 - 60000) ELSE 0 END AS windowTokens,
  CASE WHEN o.oldest > ?2 - 60000 THEN o.oldest WHEN o.oldest IS NOT NULL THEN
     (SELECT min(e.started_at_ms) FROM ledger e WHERE e.provider = ?1 AND e.started_at_ms > ?2 - 60000) END AS windowOldest,
  coalesce(o.oldest <= ?2 - 60000, 0) AS ledgerExpired,
  CASE WHEN u.requests_reset_at_ms > ?2 THEN u.requests_remaining ELSE -1 END AS wordRequests,
  coalesce(u.requests_reset_at_ms, 0) AS wordRequestsReset,
  CASE WHEN u.tokens_reset_at_ms > ?2 THEN u.tokens_remaining ELSE -1 END AS wordTokens,
  coalesce(u.tokens_reset_at_ms, 0) AS wordTokensReset,
  EXISTS (SELECT 1 FROM model_limits x WHERE x.provider = ?1)
   OR EXISTS (SELECT 1 FROM upstream_budget u WHERE u.provider = ?1 AND u.model <> '') AS hasModels
FROM (SELECT ?1 AS provider) q LEFT JOIN limits m ON m.provider = q.provider
LEFT JOIN admission a ON a.provider = q.provider
LEFT JOIN ledger_totals t ON t.provider = q.provider AND t.model = ''
LEFT JOIN upstream_budget u ON u.provider = q.provider AND u.model = ''
LEFT JOIN (SELECT min(started_at_ms) AS oldest FROM ledger WHERE provider = ?1) o`;

/** The model levels of a provider: ?1 provider, ?2 now. */
export const MODELS = `
SELECT k.model AS model, coalesce(x.max_in_flight, 0) AS maxInFlight,
  coalesce(x.requests_per_minute, 0) AS rpm, coalesce(x.tokens_per_minute, 0) AS tpm,
  coalesce(x.default_tokens, 0) AS defaultTokens,
  (SELECT coalesce(sum(l.weight), 0) FROM leases l WHERE l.provider = ?1 AND l.model = k.model
     AND (l.released_at_ms IS NULL OR l.cool_until_ms > ?2)) AS inFlight,
  coalesce(t.requests, 0) - (SELECT count(*) FROM ledger e WHERE e.provider = ?1
     AND e.model = k.model AND e.started_at_ms <= ?2 - 60000) AS windowRequests,
  coalesce(t.tokens, 0) - (SELECT coalesce(sum(e.tokens), 0) FROM ledger e
     WHERE e.provider = ?1 AND e.model = k.model AND e.started_at_ms <= ?2 - 60000) AS windowTokens,
  CASE WHEN u.requests_reset_at_ms > ?2 THEN u.requests_remaining ELSE -1 END AS wordRequests,
  coalesce(u.requests_reset_at_ms, 0) AS wordRequestsReset,
  CASE WHEN u.tokens_reset_at_ms > ?2 THEN u.tokens_remaining ELSE -1 END AS wordTokens,
  coalesce(u.tokens_reset_at_ms, 0) AS wordTokensReset
FROM (SELECT model FROM model_limits WHERE provider = ?1
      UNION SELECT model FROM upstream_budget WHERE provider = ?1 AND model <> '') k
LEFT JOIN model_limits x ON x.provider = ?1 AND x.model = k.model
LEFT JOIN ledger_totals t ON t.provider = ?1 AND t.model = k.model
LEFT JOIN upstream_budget u ON u.provider = ?1 AND u.model = k.model
ORDER BY k.model`;

/** Settle step 0 for the rows of one provider (?1 provider, ?2 now). */
export const PULL_BACK_ROWS = [
  `UPDATE leases SET cool_until_ms = released_at_ms + max(0, min(cool_until_ms - released_at_ms, 3600000))
    WHERE provider = ?1 AND released_at_ms IS NOT NULL
      AND (cool_until_ms - released_at_ms > 3600000 OR cool_until_ms < released_at_ms)`,
  `UPDATE leases SET cool_until_ms = ?2 + (cool_until_ms - released_at_ms), released_at_ms = ?2
    WHERE provider = ?1 AND released_at_ms > ?2`,
  `UPDATE admission SET paused_until_ms = ?2 + max(0, min(paused_until_ms - last_429_at_ms, 86400000))
    WHERE provider = ?1 AND last_429_at_ms > ?2 AND paused_until_ms IS NOT NULL`,
  `UPDATE admission SET last_429_at_ms = ?2 WHERE provider = ?1 AND last_429_at_ms > ?2`,
  `UPDATE admission SET paused_until_ms = ?2 + 86400000 WHERE provider = ?1 AND paused_until_ms > ?2 + 86460000`,
  `UPDATE admission SET last_step_at_ms = ?2 WHERE provider = ?1 AND last_step_at_ms > ?2`,
  `UPDATE admission SET upstream_valid_until_ms = CASE WHEN upstream_valid_until_ms IS NULL THEN NULL
      ELSE ?2 + max(0, min(upstream_valid_until_ms - upstream_at_ms, 3600000)) END,
      upstream_at_ms = ?2 WHERE provider = ?1 AND upstream_at_ms > ?2`,
  `UPDATE ledger SET started_at_ms = ?2 WHERE provider = ?1 AND started_at_ms > ?2`,
  `UPDATE upstream_budget SET
      requests_reset_at_ms = CASE WHEN requests_reset_at_ms IS NULL THEN NULL
        ELSE ?2 + (requests_reset_at_ms - observed_at_ms) END,
      tokens_reset_at_ms = CASE WHEN tokens_reset_at_ms IS NULL THEN NULL
        ELSE ?2 + (tokens_reset_at_ms - observed_at_ms) END,
      observed_at_ms = ?2 WHERE provider = ?1 AND observed_at_ms > ?2`,
];

/** Settle step 0 for process rows (?1 now). */
export const PULL_BACK_PROCESSES = [
  `UPDATE processes SET expires_at_ms = ?1 + min(max(expires_at_ms - heartbeat_at_ms, 0), 86400000),
      heartbeat_at_ms = ?1 WHERE heartbeat_at_ms > ?1`,
  `UPDATE processes SET expires_at_ms = ?1 + 86400000 WHERE expires_at_ms > ?1 + 86400000`,
];

/** A provider's queue in serving order (rank, then ticket): ?1 provider, ?2 now, ?3 aging_ms. */
export const IN_ORDER = `
SELECT ticket, token, owner_id AS owner, pid, label, queued_at_ms AS queuedAt, model, weight, tokens,
  max(0, CASE priority WHEN 'interactive' THEN 0 WHEN 'normal' THEN 1 ELSE 2 END
         - min(3, max(0, ?2 - queued_at_ms) / ?3)) AS rank, priority
FROM queue WHERE provider = ?1 ORDER BY rank, ticket`;

export const INSERT_LEASE = `
INSERT INTO leases (token, provider, owner_id, pid, label, queued_at_ms, acquired_at_ms, model, weight, tokens)
SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10 WHERE EXISTS (SELECT 1 FROM processes WHERE id = ?3)
RETURNING id`;

export const INSERT_QUEUE = `
INSERT INTO queue (token, provider, owner_id, pid, label, queued_at_ms, model, weight, tokens, priority)
SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10 WHERE EXISTS (SELECT 1 FROM processes WHERE id = ?3)`;

export const INSERT_LEDGER =
  'INSERT INTO ledger_rows (provider, started_at_ms, lease_id, model, tokens) VALUES (?, ?, ?, ?, ?)';

export const TAKE_FROM_WORD = `
UPDATE upstream_budget SET
  requests_remaining = CASE WHEN requests_reset_at_ms > ?4 THEN max(0, requests_remaining - 1) ELSE requests_remaining END,
  tokens_remaining = CASE WHEN tokens_reset_at_ms > ?4 THEN max(0, tokens_remaining - ?3) ELSE tokens_remaining END
WHERE provider = ?1 AND model IN ('', ?2)`;

export const NTH_START = `
SELECT started_at_ms AS at FROM ledger WHERE provider = ?1 AND (?2 = '' OR model = ?2)
  AND started_at_ms > ?3 - 60000 ORDER BY started_at_ms, lease_id LIMIT 1 OFFSET ?4`;

export const START_FREEING_TOKENS = `
SELECT started_at_ms AS at FROM (SELECT started_at_ms, sum(tokens) OVER (ORDER BY started_at_ms, lease_id) AS freed
  FROM ledger WHERE provider = ?1 AND (?2 = '' OR model = ?2) AND started_at_ms > ?3 - 60000)
WHERE freed >= ?4 LIMIT 1`;

/** Record a 429: ?1 provider, ?2 paused until, ?3 reason, ?4 now. */
export const RECORD_429 = `
INSERT INTO admission (provider, paused_until_ms, pause_reason, last_429_at_ms)
VALUES (?1, ?2, ?3, ?4) ON CONFLICT (provider) DO UPDATE SET
  pause_reason = CASE WHEN coalesce(paused_until_ms, 0) > excluded.paused_until_ms
                      THEN pause_reason ELSE excluded.pause_reason END,
  paused_until_ms = max(coalesce(paused_until_ms, 0), excluded.paused_until_ms),
  last_429_at_ms = excluded.last_429_at_ms`;

/** The adaptive step down: ?1 provider, ?2 max_in_flight, ?3 now, ?4 admitted. */
export const STEP_DOWN = `
UPDATE admission SET effective_limit = max(1, min(coalesce(effective_limit, ?2), ?2) - 1),
  last_step_at_ms = ?3, successes = 0
WHERE provider = ?1 AND last_step_at_ms <= ?4
  AND EXISTS (SELECT 1 FROM limits m WHERE m.provider = ?1 AND m.adaptive = 1)`;

export const COUNT_SUCCESS = `
UPDATE admission SET successes = successes + 1
WHERE provider = ?1 AND effective_limit IS NOT NULL AND last_step_at_ms <= ?2`;

/** ?1 provider, ?2 max_in_flight, ?3 now, ?4 the quiet period. */
export const STEP_UP = `
UPDATE admission SET effective_limit = CASE WHEN effective_limit + 1 >= ?2 THEN NULL ELSE effective_limit + 1 END,
  last_step_at_ms = ?3, successes = 0
WHERE provider = ?1 AND effective_limit IS NOT NULL AND successes >= effective_limit
  AND ?3 - max(last_step_at_ms, coalesce(last_429_at_ms, 0)) >= ?4`;

/** The provider's word: ?1 p, ?2 model, ?3 requests left (-1: none), ?4 its reset after ms,
 * ?5 tokens left (-1: none), ?6 its reset after ms, ?7 now. A count not named is kept while in force. */
export const UPSERT_WORD = `
INSERT INTO upstream_budget (provider, model, requests_remaining, requests_reset_at_ms,
  tokens_remaining, tokens_reset_at_ms, observed_at_ms)
VALUES (?1, ?2, CASE WHEN ?3 >= 0 THEN min(?3, 100000000) END, CASE WHEN ?3 >= 0 THEN ?7 + ?4 END,
  CASE WHEN ?5 >= 0 THEN min(?5, 10000000000) END, CASE WHEN ?5 >= 0 THEN ?7 + ?6 END, ?7)
ON CONFLICT (provider, model) DO UPDATE SET
  requests_remaining = coalesce(excluded.requests_remaining, CASE WHEN requests_reset_at_ms > ?7 THEN requests_remaining END),
  requests_reset_at_ms = coalesce(excluded.requests_reset_at_ms, CASE WHEN requests_reset_at_ms > ?7 THEN requests_reset_at_ms END),
  tokens_remaining = coalesce(excluded.tokens_remaining, CASE WHEN tokens_reset_at_ms > ?7 THEN tokens_remaining END),
  tokens_reset_at_ms = coalesce(excluded.tokens_reset_at_ms, CASE WHEN tokens_reset_at_ms > ?7 THEN tokens_reset_at_ms END),
  observed_at_ms = ?7`;
