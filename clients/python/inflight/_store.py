"""The SQL of the lease protocol, schema version 5 (migrations/README.md). Only this module
speaks SQL. Every write runs in one BEGIN IMMEDIATE transaction that reads `now` after the
lock and checks PRAGMA user_version first."""

import os
import socket
import sqlite3

from . import _identity
from ._errors import SchemaError  # noqa: F401 (re-exported)

SCHEMA_VERSION = 5
WINDOW_MS = 60_000
INF = 2**31 - 1  # "unlimited" free units, as Java's Integer.MAX_VALUE
PRIORITIES = ("interactive", "normal", "batch")
DEFAULT_AGING_MS = 30_000


STATE = (
    "SELECT m.max_in_flight, coalesce(m.cooldown_ms, 0), coalesce(m.paused, 0),"
    " coalesce(m.adaptive, 0),"
    " CASE WHEN m.adaptive = 1 AND a.effective_limit < m.max_in_flight THEN a.effective_limit END,"
    " CASE WHEN a.paused_until_ms > ?2 THEN a.paused_until_ms ELSE 0 END,"
    " CASE WHEN a.paused_until_ms > ?2 THEN a.pause_reason ELSE '' END,"
    " CASE WHEN a.upstream_valid_until_ms > ?2 THEN a.upstream_in_flight END,"
    " CASE WHEN a.upstream_valid_until_ms > ?2 THEN a.upstream_hidden ELSE 0 END,"
    " CASE WHEN a.upstream_valid_until_ms > ?2 THEN a.upstream_valid_until_ms ELSE 0 END,"
    " (SELECT coalesce(sum(l.weight), 0) FROM leases l WHERE l.provider = ?1"
    "   AND l.released_at_ms IS NULL),"
    " (SELECT coalesce(sum(l.weight), 0) FROM leases l WHERE l.provider = ?1"
    "   AND l.released_at_ms IS NOT NULL AND l.cool_until_ms > ?2),"
    " (SELECT count(*) FROM queue w WHERE w.provider = ?1),"
    " (SELECT coalesce(min(w.queued_at_ms), 0) FROM queue w WHERE w.provider = ?1),"
    " EXISTS (SELECT 1 FROM leases l WHERE l.provider = ?1 AND l.released_at_ms IS NOT NULL"
    "   AND l.cool_until_ms <= ?2),"
    " CASE WHEN ?3 THEN EXISTS (SELECT 1 FROM processes p WHERE p.expires_at_ms < ?2) END,"
    " EXISTS (SELECT 1 FROM leases l WHERE l.provider = ?1 AND l.released_at_ms IS NOT NULL"
    "   AND (l.released_at_ms > ?2 OR l.cool_until_ms - l.released_at_ms > 3600000"
    "    OR l.cool_until_ms < l.released_at_ms))"
    "  OR coalesce(a.last_429_at_ms > ?2 OR a.last_step_at_ms > ?2 OR a.upstream_at_ms > ?2"
    "   OR a.paused_until_ms > ?2 + 86460000, 0)"
    "  OR EXISTS (SELECT 1 FROM ledger e WHERE e.provider = ?1 AND e.started_at_ms > ?2)"
    "  OR EXISTS (SELECT 1 FROM upstream_budget u WHERE u.provider = ?1"
    "   AND u.observed_at_ms > ?2),"
    " CASE WHEN ?3 THEN EXISTS (SELECT 1 FROM processes p WHERE p.heartbeat_at_ms > ?2"
    "   OR p.expires_at_ms > ?2 + 86400000) END,"
    " coalesce(m.requests_per_minute, 0), coalesce(m.tokens_per_minute, 0),"
    " coalesce(m.default_tokens, 0), coalesce(m.aging_ms, 30000),"
    " coalesce(t.requests, 0) - CASE WHEN o.oldest <= ?2 - 60000 THEN"
    "   (SELECT count(*) FROM ledger e WHERE e.provider = ?1"
    "    AND e.started_at_ms <= ?2 - 60000) ELSE 0 END,"
    " coalesce(t.tokens, 0) - CASE WHEN o.oldest <= ?2 - 60000 THEN"
    "   (SELECT coalesce(sum(e.tokens), 0) FROM ledger e WHERE e.provider = ?1"
    "    AND e.started_at_ms <= ?2 - 60000) ELSE 0 END,"
    " CASE WHEN o.oldest > ?2 - 60000 THEN o.oldest"
    "  WHEN o.oldest IS NOT NULL THEN (SELECT min(e.started_at_ms) FROM ledger e"
    "   WHERE e.provider = ?1 AND e.started_at_ms > ?2 - 60000) END,"
    " coalesce(o.oldest <= ?2 - 60000, 0),"
    " CASE WHEN u.requests_reset_at_ms > ?2 THEN u.requests_remaining ELSE -1 END,"
    " u.requests_reset_at_ms,"
    " CASE WHEN u.tokens_reset_at_ms > ?2 THEN u.tokens_remaining ELSE -1 END,"
    " u.tokens_reset_at_ms,"
    " EXISTS (SELECT 1 FROM model_limits x WHERE x.provider = ?1)"
    "  OR EXISTS (SELECT 1 FROM upstream_budget u WHERE u.provider = ?1 AND u.model <> '')"
    " FROM (SELECT ?1 AS provider) q LEFT JOIN limits m ON m.provider = q.provider"
    " LEFT JOIN admission a ON a.provider = q.provider"
    " LEFT JOIN ledger_totals t ON t.provider = q.provider AND t.model = ''"
    " LEFT JOIN upstream_budget u ON u.provider = q.provider AND u.model = ''"
    " LEFT JOIN (SELECT min(started_at_ms) AS oldest FROM ledger WHERE provider = ?1) o"
)

MODELS = (
    "SELECT k.model, coalesce(x.max_in_flight, 0), coalesce(x.requests_per_minute, 0),"
    " coalesce(x.tokens_per_minute, 0), coalesce(x.default_tokens, 0),"
    " (SELECT coalesce(sum(l.weight), 0) FROM leases l WHERE l.provider = ?1"
    "   AND l.model = k.model AND (l.released_at_ms IS NULL OR l.cool_until_ms > ?2)),"
    " coalesce(t.requests, 0) - (SELECT count(*) FROM ledger e WHERE e.provider = ?1"
    "   AND e.model = k.model AND e.started_at_ms <= ?2 - 60000),"
    " coalesce(t.tokens, 0) - (SELECT coalesce(sum(e.tokens), 0) FROM ledger e"
    "   WHERE e.provider = ?1 AND e.model = k.model AND e.started_at_ms <= ?2 - 60000),"
    " CASE WHEN u.requests_reset_at_ms > ?2 THEN u.requests_remaining ELSE -1 END,"
    " coalesce(u.requests_reset_at_ms, 0),"
    " CASE WHEN u.tokens_reset_at_ms > ?2 THEN u.tokens_remaining ELSE -1 END,"
    " coalesce(u.tokens_reset_at_ms, 0)"
    " FROM (SELECT model FROM model_limits WHERE provider = ?1"
    "   UNION SELECT model FROM upstream_budget WHERE provider = ?1 AND model <> '') k"
    " LEFT JOIN model_limits x ON x.provider = ?1 AND x.model = k.model"
    " LEFT JOIN ledger_totals t ON t.provider = ?1 AND t.model = k.model"
    " LEFT JOIN upstream_budget u ON u.provider = ?1 AND u.model = k.model"
    " ORDER BY k.model"
)

PULL_BACK_ROWS = (
    "UPDATE leases SET cool_until_ms = released_at_ms + max(0, min(cool_until_ms - released_at_ms, 3600000))"
    " WHERE provider = ?1 AND released_at_ms IS NOT NULL"
    " AND (cool_until_ms - released_at_ms > 3600000 OR cool_until_ms < released_at_ms)",
    "UPDATE leases SET cool_until_ms = ?2 + (cool_until_ms - released_at_ms), released_at_ms = ?2"
    " WHERE provider = ?1 AND released_at_ms > ?2",
    "UPDATE admission SET paused_until_ms = ?2 + max(0, min(paused_until_ms - last_429_at_ms, 86400000))"
    " WHERE provider = ?1 AND last_429_at_ms > ?2 AND paused_until_ms IS NOT NULL",
    "UPDATE admission SET last_429_at_ms = ?2 WHERE provider = ?1 AND last_429_at_ms > ?2",
    "UPDATE admission SET paused_until_ms = ?2 + 86400000 WHERE provider = ?1 AND paused_until_ms > ?2 + 86460000",
    "UPDATE admission SET last_step_at_ms = ?2 WHERE provider = ?1 AND last_step_at_ms > ?2",
    "UPDATE admission SET upstream_valid_until_ms = CASE WHEN upstream_valid_until_ms IS NULL"
    " THEN NULL ELSE ?2 + max(0, min(upstream_valid_until_ms - upstream_at_ms, 3600000)) END,"
    " upstream_at_ms = ?2 WHERE provider = ?1 AND upstream_at_ms > ?2",
    "UPDATE ledger SET started_at_ms = ?2 WHERE provider = ?1 AND started_at_ms > ?2",
    "UPDATE upstream_budget SET requests_reset_at_ms = CASE WHEN requests_reset_at_ms IS NULL THEN NULL"
    " ELSE ?2 + (requests_reset_at_ms - observed_at_ms) END,"
    " tokens_reset_at_ms = CASE WHEN tokens_reset_at_ms IS NULL THEN NULL"
    " ELSE ?2 + (tokens_reset_at_ms - observed_at_ms) END,"
    " observed_at_ms = ?2 WHERE provider = ?1 AND observed_at_ms > ?2",
)
PULL_BACK_PROCESSES = (
    "UPDATE processes SET expires_at_ms = ?1 + min(max(expires_at_ms - heartbeat_at_ms, 0), 86400000),"
    " heartbeat_at_ms = ?1 WHERE heartbeat_at_ms > ?1",
    "UPDATE processes SET expires_at_ms = ?1 + 86400000 WHERE expires_at_ms > ?1 + 86400000",
)


def rank_sql():
    return ("max(0, CASE priority WHEN 'interactive' THEN 0 WHEN 'normal' THEN 1 ELSE 2 END"
            " - min(3, max(0, ?2 - queued_at_ms) / ?3))")


IN_ORDER = ("SELECT ticket, token, owner_id, pid, label, queued_at_ms, model, weight, tokens, "
            + rank_sql() + ", priority FROM queue WHERE provider = ?1 ORDER BY 10, ticket")

INSERT_LEASE = (
    "INSERT INTO leases (token, provider, owner_id, pid, label, queued_at_ms, acquired_at_ms,"
    " model, weight, tokens) SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10"
    " WHERE EXISTS (SELECT 1 FROM processes WHERE id = ?3) RETURNING id")
INSERT_QUEUE = (
    "INSERT INTO queue (token, provider, owner_id, pid, label, queued_at_ms, model, weight,"
    " tokens, priority) SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10"
    " WHERE EXISTS (SELECT 1 FROM processes WHERE id = ?3)")
INSERT_LEDGER = "INSERT INTO ledger_rows (provider, started_at_ms, lease_id, model, tokens) VALUES (?, ?, ?, ?, ?)"
TAKE_FROM_WORD = (
    "UPDATE upstream_budget SET"
    " requests_remaining = CASE WHEN requests_reset_at_ms > ?4"
    "   THEN max(0, requests_remaining - 1) ELSE requests_remaining END,"
    " tokens_remaining = CASE WHEN tokens_reset_at_ms > ?4"
    "   THEN max(0, tokens_remaining - ?3) ELSE tokens_remaining END"
    " WHERE provider = ?1 AND model IN ('', ?2)")
NTH_START = (
    "SELECT started_at_ms FROM ledger WHERE provider = ?1 AND (?2 = '' OR model = ?2)"
    " AND started_at_ms > ?3 - 60000 ORDER BY started_at_ms, lease_id LIMIT 1 OFFSET ?4")
START_FREEING_TOKENS = (
    "SELECT started_at_ms FROM (SELECT started_at_ms, sum(tokens) OVER"
    " (ORDER BY started_at_ms, lease_id) AS freed FROM ledger WHERE provider = ?1"
    " AND (?2 = '' OR model = ?2) AND started_at_ms > ?3 - 60000)"
    " WHERE freed >= ?4 LIMIT 1")


class Budget:
    __slots__ = ("rpm", "tpm", "requests", "tokens")

    def __init__(self, rpm, tpm, requests, tokens):
        self.rpm, self.tpm, self.requests, self.tokens = rpm, tpm, requests, tokens

    def any(self):
        return self.rpm > 0 or self.tpm > 0


class Word:
    """What the provider said remains at a level; -1: no count in force."""
    __slots__ = ("requests", "requests_reset", "tokens", "tokens_reset")

    def __init__(self, requests, requests_reset, tokens, tokens_reset):
        requests = -1 if requests is None else requests
        tokens = -1 if tokens is None else tokens
        self.requests = requests
        self.requests_reset = 0 if requests < 0 else (requests_reset or 0)
        self.tokens = tokens
        self.tokens_reset = 0 if tokens < 0 else (tokens_reset or 0)

    def any(self):
        return self.requests >= 0 or self.tokens >= 0


class ModelState:
    def __init__(self, model, max_in_flight, in_flight, budget, word, default_tokens):
        self.model, self.max_in_flight, self.in_flight = model, max_in_flight, in_flight
        self.budget, self.word, self.default_tokens = budget, word, default_tokens

    def free(self):
        return INF if self.max_in_flight == 0 else max(0, self.max_in_flight - self.in_flight)


class State:
    """state(p) of version 4: one row of STATE, plus the model levels."""

    def __init__(self, provider, r):
        self.provider = provider
        self.limit = r[0]
        self.cooldown_ms, self.paused, self.adaptive = r[1], bool(r[2]), bool(r[3])
        self.effective = r[4]
        self.paused_until, self.pause_reason = r[5], r[6] or ""
        self.upstream, self.hidden, self.valid_until = r[7], r[8], r[9]
        self.active, self.cooling, self.queued, self.oldest_queued = r[10], r[11], r[12], r[13]
        self.cooling_ended, self.any_expired = bool(r[14]), bool(r[15])
        self.rows_ahead, self.processes_ahead = bool(r[16]), bool(r[17])
        self.budget = Budget(r[18], r[19], r[22], r[23])
        self.default_tokens, self.aging_ms = r[20], r[21]
        self.window_changes_at = 0 if r[24] is None else r[24] + WINDOW_MS
        self.ledger_expired = bool(r[25])
        self.word = Word(r[26], r[27], r[28], r[29])
        self.has_models = bool(r[30])
        self.models = {}

    def limit_in_force(self):
        if self.limit is None:
            return None
        return self.effective if self.effective is not None else self.limit

    def free(self):
        if self.paused or self.paused_until > 0:
            return 0
        if self.limit is None:
            return INF
        lim = self.limit_in_force()
        f = lim - self.hidden - self.active - self.cooling
        if self.upstream is not None:
            f = min(f, lim - self.upstream)
        return max(0, f)


class Want:
    __slots__ = ("model", "weight", "tokens")

    def __init__(self, model, weight, tokens):
        self.model, self.weight, self.tokens = model, weight, tokens


GRANT, WAIT, STOP = "grant", "wait", "stop"


class _Level:
    def __init__(self, model, cap, free, budget, word):
        self.model, self.cap, self.free = model, cap, free
        self.rpm, self.tpm = budget.rpm, budget.tpm
        self.requests, self.tokens = budget.requests, budget.tokens
        self.word_requests, self.word_requests_reset = word.requests, word.requests_reset
        self.word_tokens, self.word_tokens_reset = word.tokens, word.tokens_reset
        self.blocked = False

    def unit_cost(self, w):
        return min(w.weight, self.cap) if self.cap > 0 else w.weight

    def token_cost(self, w):
        return min(w.tokens, self.tpm) if self.tpm > 0 else w.tokens

    def fits(self, w):
        return (self.free >= self.unit_cost(w)
                and (self.rpm == 0 or self.requests + 1 <= self.rpm)
                and (self.tpm == 0 or self.tokens + self.token_cost(w) <= self.tpm)
                and (self.word_requests < 0 or self.word_requests >= 1)
                and (self.word_tokens < 0 or self.word_tokens >= w.tokens))

    def take(self, w):
        if self.free != INF:
            self.free -= self.unit_cost(w)
        self.requests += 1
        self.tokens += w.tokens
        if self.word_requests > 0:
            self.word_requests -= 1
        if self.word_tokens >= 0:
            self.word_tokens = max(0, self.word_tokens - w.tokens)


class Plan:
    """The admission walk of version 4 over one provider's queue ("Admission: promote(p) and
    acquire, in version 4"): blocked levels, costs, budgets and the provider's word."""

    def __init__(self, st):
        cap = st.limit_in_force() or 0
        self.provider = _Level("", cap, st.free(), st.budget, st.word)
        self.models = {m.model: _Level(m.model, m.max_in_flight, m.free(), m.budget, m.word)
                       for m in st.models.values()}
        self.needs = []  # (model, requests, tokens) a blocked level's budget must free
        self.word_reset_at = None

    def offer(self, w):
        m = self.models.get(w.model)
        if self.provider.blocked:
            return STOP
        if m is not None and m.blocked:
            return WAIT
        p_fits = self.provider.fits(w)
        m_fits = m is None or m.fits(w)
        if p_fits and m_fits:
            self.provider.take(w)
            if m is not None:
                m.take(w)
            return GRANT
        if not p_fits:
            self._block(self.provider, w)
        if not m_fits:
            self._block(m, w)
        return STOP if self.provider.blocked else WAIT

    def fits_now(self, w):
        m = self.models.get(w.model)
        return (not self.provider.blocked and self.provider.fits(w)
                and (m is None or (not m.blocked and m.fits(w))))

    def _block(self, level, w):
        level.blocked = True
        requests = level.requests + 1 - level.rpm if level.rpm > 0 and level.requests + 1 > level.rpm else 0
        cost = level.token_cost(w)
        tokens = level.tokens + cost - level.tpm if level.tpm > 0 and level.tokens + cost > level.tpm else 0
        if requests > 0 or tokens > 0:
            self.needs.append((level.model, requests, tokens))
        if level.word_requests == 0 and level.word_requests_reset > 0:
            self._word_at(level.word_requests_reset)
        if 0 <= level.word_tokens < w.tokens:
            self._word_at(level.word_tokens_reset)

    def _word_at(self, t):
        self.word_reset_at = t if self.word_reset_at is None else min(self.word_reset_at, t)


def rank(priority, waited_ms, aging_ms):
    aged = 0 if waited_ms <= 0 or aging_ms <= 0 else waited_ms // aging_ms
    return max(0, PRIORITIES.index(priority) - min(aged, 3))


class Tx:
    """One transaction on a connection: `now` read once, after the lock."""

    def __init__(self, conn, now, owner=None):
        self.conn, self.now, self.owner = conn, now, owner
        self.grants = []  # (owner_id, token, lease_id, acquired_at_ms) for wake-ups

    def all(self, sql, *args):
        return self.conn.execute(sql, args).fetchall()

    def one(self, sql, *args):
        rows = self.conn.execute(sql, args).fetchall()
        return rows[0] if rows else None

    def run(self, sql, *args):
        return self.conn.execute(sql, args).rowcount


# ---- building blocks -------------------------------------------------------------------

def look(tx, provider, process_flags=True):
    st = State(provider, tx.one(STATE, provider, tx.now, 1 if process_flags else 0))
    if st.has_models:
        for r in tx.all(MODELS, provider, tx.now):
            st.models[r[0]] = ModelState(r[0], r[1], r[5], Budget(r[2], r[3], r[6], r[7]),
                                         Word(r[8], r[9], r[10], r[11]), r[4])
    return st


def _queue_rows(tx, st):
    return tx.all(IN_ORDER, st.provider, tx.now, st.aging_ms)


def promote(tx, st, log):
    """Grant what the walk allows, in rank then ticket order; returns the state after."""
    if st.queued == 0 or st.free() == 0:
        return st
    plan = Plan(st)
    grants = []
    for r in _queue_rows(tx, st):
        d = plan.offer(Want(r[6], r[7], r[8]))
        if d == GRANT:
            grants.append(r)
        elif d == STOP:
            break
    if not grants:
        return st
    refused = False
    for r in grants:
        ticket, token, owner, pid, label, queued_at, model, weight, tokens = r[:9]
        tx.run("DELETE FROM queue WHERE ticket = ?", ticket)
        try:
            lease_id = write_lease(tx, st, token, owner, pid, label, queued_at, Want(model, weight, tokens))
        except sqlite3.IntegrityError as e:
            refused = True
            log(f"dropped a queued request of {_identity.printable(st.provider)!r} (pid {pid})"
                f" that the database refused to grant: {e}")
            continue
        if lease_id:
            tx.grants.append((owner, token, lease_id, tx.now))
    after = look(tx, st.provider)
    return promote(tx, after, log) if refused else after


def write_lease(tx, st, token, owner, pid, label, queued_at, w):
    row = tx.one(INSERT_LEASE, token, st.provider, owner, pid, label, queued_at, tx.now,
                 w.model, w.weight, w.tokens)
    if row is None:
        return 0
    lease_id = row[0]
    m = st.models.get(w.model)
    if st.budget.any() or (m is not None and m.budget.any()):
        tx.run(INSERT_LEDGER, st.provider, tx.now, lease_id, w.model, w.tokens)
    if st.word.any() or (m is not None and m.word.any()):
        tx.run(TAKE_FROM_WORD, st.provider, w.model, w.tokens, tx.now)
    return lease_id


def free_process(tx, pid_row_id, lockdir):
    touched = {r[0] for r in tx.all(
        "SELECT provider FROM leases WHERE owner_id = ? UNION SELECT provider FROM queue WHERE owner_id = ?",
        pid_row_id, pid_row_id)}
    tx.run("UPDATE leases SET owner_id = NULL, released_at_ms = ?1,"
           " cool_until_ms = ?1 + (SELECT m.cooldown_ms FROM limits m WHERE m.provider = leases.provider)"
           " WHERE owner_id = ?2"
           " AND coalesce((SELECT m.cooldown_ms FROM limits m WHERE m.provider = leases.provider), 0) > 0",
           tx.now, pid_row_id)
    tx.run("DELETE FROM processes WHERE id = ?", pid_row_id)
    tx.run("DELETE FROM leases WHERE owner_id = ?", pid_row_id)
    tx.run("DELETE FROM queue WHERE owner_id = ?", pid_row_id)
    if lockdir:
        try:
            os.unlink(os.path.join(lockdir, f"{pid_row_id}.lock"))
        except OSError:
            pass
    return touched


def proven_alive(lockdir, my_host_id, row):
    """row: id, host_id, pid, start_token."""
    pid_row_id, host_id, pid, token = row
    if host_id != my_host_id or not _identity.alive(pid, token):
        return False
    held = _identity.holds_write_lock(os.path.join(lockdir, f"{pid_row_id}.lock"), pid)
    return bool(held)


def reap_expired(tx, lockdir, my_host_id, log):
    touched = set()
    for pid_row_id, host, pid, name, host_id, token, _ttl in tx.all(
            "SELECT id, host, pid, name, host_id, start_token, expires_at_ms - heartbeat_at_ms"
            " FROM processes WHERE expires_at_ms < ?", tx.now):
        if proven_alive(lockdir, my_host_id, (pid_row_id, host_id, pid, token)):
            tx.run("UPDATE processes SET expires_at_ms = ?1 + ?2 WHERE id = ?3", tx.now, 60000, pid_row_id)
        else:
            log(f"reclaimed expired process {pid_row_id} (pid {pid} on {_identity.printable(host)})")
            touched |= free_process(tx, pid_row_id, lockdir)
    return touched


def reap_dead_owners(tx, provider, lockdir, my_host_id, log):
    touched = set()
    for pid_row_id, host, pid, name, token in tx.all(
            "SELECT p.id, p.host, p.pid, p.name, p.start_token FROM processes p WHERE p.host_id = ? AND p.id IN"
            " (SELECT owner_id FROM leases WHERE provider = ? AND owner_id IS NOT NULL"
            "  UNION SELECT owner_id FROM queue WHERE provider = ?)", my_host_id, provider, provider):
        if not _identity.alive(pid, token):
            log(f"reclaimed dead process {pid_row_id} (pid {pid})")
            touched |= free_process(tx, pid_row_id, lockdir)
    orphans = tx.all("SELECT l.id FROM leases l WHERE l.provider = ? AND l.owner_id IS NOT NULL"
                     " AND NOT EXISTS (SELECT 1 FROM processes p WHERE p.id = l.owner_id)", provider)
    for (lease_id,) in orphans:
        tx.run("DELETE FROM leases WHERE id = ?", lease_id)
    waiters = tx.run("DELETE FROM queue WHERE provider = ?"
                     " AND NOT EXISTS (SELECT 1 FROM processes p WHERE p.id = queue.owner_id)", provider)
    return touched, bool(touched) or bool(orphans) or waiters > 0


def settle(tx, provider, reap, lockdir, my_host_id, log):
    st = look(tx, provider)
    if st.rows_ahead or st.processes_ahead:
        if st.rows_ahead:
            for sql in PULL_BACK_ROWS:
                tx.run(sql, provider, tx.now)
        if st.processes_ahead:
            for sql in PULL_BACK_PROCESSES:
                tx.run(sql, tx.now)
        st = look(tx, provider)
    if st.cooling_ended:
        tx.run("DELETE FROM leases WHERE provider = ? AND released_at_ms IS NOT NULL AND cool_until_ms <= ?",
               provider, tx.now)
    if st.ledger_expired:
        tx.run("DELETE FROM ledger_rows WHERE provider = ? AND started_at_ms <= ?", provider, tx.now - WINDOW_MS)
    touched = set()
    if st.any_expired:
        touched |= reap_expired(tx, lockdir, my_host_id, log)
    if st.cooling_ended or st.ledger_expired or provider in touched:
        st = look(tx, provider)
    st = promote(tx, st, log)
    reaped = False
    if reap and (st.queued > 0 or st.free() == 0) and not st.paused:
        more, reaped = reap_dead_owners(tx, provider, lockdir, my_host_id, log)
        touched |= more
    touched.discard(provider)
    for other in sorted(touched):
        promote(tx, look(tx, other), log)
    return promote(tx, look(tx, provider), log) if reaped else st


def want(st, model, weight, tokens):
    """Resolve a request's tokens and refuse what could never be granted (writing nothing)."""
    m = st.models.get(model) if model else None
    if tokens is None:
        tokens = m.default_tokens if m is not None and m.default_tokens > 0 else st.default_tokens
    key = f"{st.provider}/{model}" if model else st.provider
    if st.limit is not None and weight > st.limit:
        _too_much("weight", weight, f"the in-flight limit of {st.provider}", st.limit, key)
    if m is not None and m.max_in_flight > 0 and weight > m.max_in_flight:
        _too_much("weight", weight, f"the in-flight limit of {key}", m.max_in_flight, key)
    if st.budget.tpm > 0 and tokens > st.budget.tpm:
        _too_much("tokens", tokens, f"the tokens_per_minute budget of {st.provider}", st.budget.tpm, key)
    if m is not None and m.budget.tpm > 0 and tokens > m.budget.tpm:
        _too_much("tokens", tokens, f"the tokens_per_minute budget of {key}", m.budget.tpm, key)
    return Want(model, weight, tokens)


def _too_much(parameter, value, what, limit, key):
    raise ValueError(f"{parameter} must be at most {what} ({limit}), or the request for "
                     f"{_identity.printable(key)} could never be granted (was {value})")


def fits_now(tx, st, w, priority):
    plan = Plan(st)
    if st.queued > 0:
        if st.free() == 0:
            return False
        mine = PRIORITIES.index(priority)
        for r in _queue_rows(tx, st):
            if r[9] > mine or plan.offer(Want(r[6], r[7], r[8])) == STOP:
                break
    return plan.fits_now(w)


def dry_run(tx, st):
    """The walk without writing: (whether it would grant, the plan, the queue rows seen)."""
    plan = Plan(st)
    rows = _queue_rows(tx, st) if st.queued > 0 else []
    if st.queued == 0 or st.free() == 0:
        return False, plan, rows
    for r in rows:
        d = plan.offer(Want(r[6], r[7], r[8]))
        if d == GRANT:
            return True, plan, rows
        if d == STOP:
            break
    return False, plan, rows


def budget_frees_at(tx, st, plan):
    at = None
    for model, requests, tokens in plan.needs:
        when = 0
        if requests > 0:
            r = tx.one(NTH_START, st.provider, model, tx.now, requests - 1)
            when = max(when, r[0] if r else st.window_changes_at - WINDOW_MS)
        if tokens > 0:
            r = tx.one(START_FREEING_TOKENS, st.provider, model, tx.now, tokens)
            when = max(when, r[0] if r else st.window_changes_at - WINDOW_MS)
        t = when + WINDOW_MS
        at = t if at is None else min(at, t)
    return at


def wake(lockdir, grants, me):
    """After COMMIT: tell each other owner what this transaction granted it, without blocking."""
    by_owner = {}
    for owner, token, lease_id, at in grants:
        by_owner.setdefault(owner, []).append(f"grant {token} {lease_id} {at}\n")
    for owner, lines in by_owner.items():
        if owner == me:
            continue
        message = "".join(lines).encode("ascii")
        if len(message) > 4096:
            message = b""
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.setblocking(False)
            s.connect(os.path.join(lockdir, f"{owner}.sock"))
            if message:
                s.send(message)
        except OSError:
            pass
        finally:
            s.close()
