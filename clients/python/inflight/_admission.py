"""What a waiter reads (the read-only check of "Check where my requests stand" and "Waiting, in
version 4") and what a release or a 429 records in `admission` (version 2)."""

import os
from typing import Any, Callable, List, Optional, Tuple, Union

from . import _identity
from . import _store as S

# (settle due, when time alone next changes the answer, some owner cannot be watched)
Look = Tuple[bool, Optional[int], bool]
ADAPTIVE_QUIET_MS = 30_000


def look_again(tx: S.Tx, provider: str, token: str, me: Optional[int], host_id: str,
               watch: Callable[[int], bool]) -> Union[str, Look]:
    """For a request not granted yet: "missing" when its queue row is gone, else a Look."""
    if tx.one("SELECT 1 FROM queue WHERE token = ?", token) is None:
        return "missing"
    p, now = provider, tx.now
    st = S.look(tx, p)
    grants, plan, rows = S.dry_run(tx, st)
    due = bool(grants or st.any_expired or st.rows_ahead or st.processes_ahead or st.ledger_expired)
    times: List[Optional[int]] = []
    (cool,) = tx.one("SELECT min(cool_until_ms) FROM leases WHERE provider = ? AND released_at_ms"
                     " IS NOT NULL AND cool_until_ms > ?", p, now)
    times.append(cool)
    if st.paused_until:
        times.append(st.paused_until)
    if st.valid_until:
        times.append(st.valid_until)
    times.append(S.budget_frees_at(tx, st, plan))
    times.append(plan.word_reset_at)
    for r in rows if st.queued > 1 else ():  # rising reorders only a queue of two or more
        cls, waited = S.PRIORITIES.index(r[10]), max(0, now - r[5])
        if cls - min(3, waited // st.aging_ms) > 0:
            times.append(r[5] + (waited // st.aging_ms + 1) * st.aging_ms)
    unwatched = False
    for owner, owner_host, pid, start, expires in tx.all(
            "SELECT p.id, p.host_id, p.pid, p.start_token, p.expires_at_ms FROM processes p WHERE p.id IN"
            " (SELECT owner_id FROM leases WHERE provider = ? AND owner_id IS NOT NULL"
            "  UNION SELECT owner_id FROM queue WHERE provider = ?)", p, p):
        if owner == me:
            continue  # my own expiry frees nothing I wait for
        if owner_host != host_id:
            times.append(expires + 1)
            continue
        if not _identity.alive(pid, start):
            due = True
        elif not watch(owner):
            unwatched = True
            times.append(expires + 1)
        # a watched owner of this host holds its lock: it is never reclaimed by time
    known = [t for t in times if t is not None]
    return due, (min(known) if known else None), unwatched


# Everything of one provider a commit can change that can change a waiter's answer (the time
# alone changes it at next_change, which the waiter sleeps until): rows of p, its limits, what
# the provider said, and processes coming and going. A heartbeat changes none of it.
FINGERPRINT = (
    "SELECT (SELECT count(*) || ':' || coalesce(max(id), 0) || ':' || coalesce(sum(id * (owner_id IS NULL)), 0)"
    "   || ':' || coalesce(sum(coalesce(cool_until_ms, 0) + weight + tokens), 0) FROM leases WHERE provider = ?1),"
    " (SELECT count(*) || ':' || coalesce(max(ticket), 0) || ':' || coalesce(sum(ticket), 0)"
    "   || ':' || coalesce(sum(weight + tokens + length(priority)), 0) FROM queue WHERE provider = ?1),"
    " (SELECT coalesce(max_in_flight, -1) || ':' || cooldown_ms || ':' || paused || ':' || adaptive || ':'"
    "   || coalesce(requests_per_minute, -1) || ':' || coalesce(tokens_per_minute, -1) || ':'"
    "   || default_tokens || ':' || aging_ms || ':' || updated_at_ms FROM limits WHERE provider = ?1),"
    " (SELECT count(*) || ':' || coalesce(sum(coalesce(max_in_flight, 0) + coalesce(requests_per_minute, 0)"
    "   + coalesce(tokens_per_minute, 0) + default_tokens + updated_at_ms), 0) FROM model_limits WHERE provider = ?1),"
    " (SELECT coalesce(effective_limit, -1) || ':' || coalesce(paused_until_ms, -1) || ':' || successes || ':'"
    "   || coalesce(upstream_in_flight, -1) || ':' || coalesce(upstream_valid_until_ms, -1) || ':' || last_step_at_ms"
    "   FROM admission WHERE provider = ?1),"
    " (SELECT count(*) || ':' || coalesce(sum(observed_at_ms + coalesce(requests_remaining, 0)"
    "   + coalesce(tokens_remaining, 0)), 0) FROM upstream_budget WHERE provider = ?1),"
    " (SELECT requests || ':' || tokens FROM ledger_totals WHERE provider = ?1 AND model = ''),"
    " (SELECT count(*) || ':' || coalesce(max(id), 0) || ':' || coalesce(sum(id), 0) FROM processes)")


def fingerprint(tx: S.Tx, provider: str) -> Tuple[Any, ...]:
    return tuple(tx.one(FINGERPRINT, provider))


def describe_timeout(tx: S.Tx, provider: str, model: str, timeout: Optional[float]) -> str:
    st = S.look(tx, provider)
    (queued,) = tx.one("SELECT count(*) FROM queue WHERE provider = ?", provider)
    key = f"{provider}/{model}" if model else provider
    limit = "none" if st.limit is None else st.limit_in_force()
    return (f"no lease for {_identity.printable(key)!r} after {timeout}s (limit={limit}, "
            f"active={st.active}, cooling={st.cooling}, queued={queued}, "
            f"paused={st.paused or bool(st.paused_until)})")


def record_429(tx: S.Tx, p: str, until: int, reason: str, admitted: int) -> None:
    """Pause p for everyone until `until` (a longer pause in force is kept); step an adaptive
    limit down once per generation of 429s."""
    tx.run("INSERT INTO admission (provider, paused_until_ms, pause_reason, last_429_at_ms)"
           " VALUES (?1, ?2, ?3, ?4) ON CONFLICT (provider) DO UPDATE SET"
           " pause_reason = CASE WHEN coalesce(paused_until_ms, 0) > excluded.paused_until_ms"
           "   THEN pause_reason ELSE excluded.pause_reason END,"
           " paused_until_ms = max(coalesce(paused_until_ms, 0), excluded.paused_until_ms),"
           " last_429_at_ms = excluded.last_429_at_ms", p, until, reason, tx.now)
    row = tx.one("SELECT max_in_flight FROM limits WHERE provider = ? AND adaptive = 1", p)
    if row is not None and row[0] is not None:
        tx.run("UPDATE admission SET effective_limit = max(1, min(coalesce(effective_limit, ?2), ?2) - 1),"
               " last_step_at_ms = ?3, successes = 0 WHERE provider = ?1 AND last_step_at_ms <= ?4"
               " AND EXISTS (SELECT 1 FROM limits m WHERE m.provider = ?1 AND m.adaptive = 1)",
               p, row[0], tx.now, admitted)


def record_success(tx: S.Tx, p: str, admitted: int, max_in_flight: int) -> None:
    if tx.run("UPDATE admission SET successes = successes + 1 WHERE provider = ?1"
              " AND effective_limit IS NOT NULL AND last_step_at_ms <= ?2", p, admitted):
        tx.run("UPDATE admission SET effective_limit = CASE WHEN effective_limit + 1 >= ?2 THEN NULL"
               " ELSE effective_limit + 1 END, last_step_at_ms = ?3, successes = 0"
               " WHERE provider = ?1 AND effective_limit IS NOT NULL AND successes >= effective_limit"
               " AND ?3 - max(last_step_at_ms, coalesce(last_429_at_ms, 0)) >= ?4",
               p, max_in_flight, tx.now, ADAPTIVE_QUIET_MS)


def release(tx: S.Tx, token: str, outcome: str, usage: Optional[int], retry_ms: int,
            log: Callable[[str], None]) -> bool:
    """Release (migrations/README.md, "Release" and "Release with an outcome"): correct the
    ledger with the real count, cool or delete the row, record a 429 or a success, promote.
    False when the lease was no longer held."""
    row = tx.one("SELECT l.id, l.provider, l.owner_id, coalesce(m.cooldown_ms, 0), l.acquired_at_ms,"
                 " coalesce(m.adaptive, 0), m.max_in_flight FROM leases l"
                 " LEFT JOIN limits m ON m.provider = l.provider WHERE l.token = ?", token)
    if row is None or row[2] is None:
        return False
    lease_id, p, _, cooldown, admitted, adaptive, max_in_flight = row
    if usage is not None:
        tx.run("UPDATE ledger_rows SET tokens = ? WHERE provider = ? AND started_at_ms = ? AND lease_id = ?",
               usage, p, admitted, lease_id)
    if cooldown > 0:
        tx.run("UPDATE leases SET owner_id = NULL, released_at_ms = ?, cool_until_ms = ? WHERE id = ?",
               tx.now, tx.now + cooldown, lease_id)
    else:
        tx.run("DELETE FROM leases WHERE id = ?", lease_id)
    if outcome == "rate_limited":
        record_429(tx, p, tx.now + retry_ms, "429 from the provider", admitted)
    elif outcome == "succeeded" and adaptive and max_in_flight is not None:
        record_success(tx, p, admitted, max_in_flight)
    S.promote(tx, S.look(tx, p), log)
    return True


def paused_until(tx: S.Tx, p: str) -> int:
    row = tx.one("SELECT coalesce(paused_until_ms, 0) FROM admission WHERE provider = ?", p)
    return int(row[0]) if row else 0


def token_ok(token: str) -> bool:
    return 16 <= len(token) <= 64 and all(c.isascii() and (c.isalnum() or c in "_-") for c in token)


def joinable(tx: S.Tx, token: str, provider: str, model: str,
             host_id: str) -> Optional[Tuple[int, int, int]]:
    """(lease id, acquired at, tokens) of the inherited lease when this request may join it: held
    by an ancestor of this process on this host, for this provider and this model or all."""
    row = tx.one("SELECT l.id, l.provider, l.acquired_at_ms, l.model, l.tokens, p.pid, p.host_id,"
                 " p.start_token FROM leases l JOIN processes p ON p.id = l.owner_id"
                 " WHERE l.token = ? AND l.released_at_ms IS NULL", token)
    if row is None:
        return None
    lease_id, p, acquired, held_model, held_tokens, pid, owner_host, start = row
    if p != provider or owner_host != host_id or held_model not in ("", model):
        return None
    if not is_ancestor(pid, start):
        return None
    return lease_id, acquired, held_tokens


def is_ancestor(pid: int, start_token: str) -> bool:
    """Whether process `pid` with that start token is among this process's ancestors."""
    current = os.getpid()
    for _ in range(64):
        try:
            with open(f"/proc/{current}/stat", "rb") as f:
                text = f.read().decode("ascii", "replace")
            parent = int(text[text.rfind(")") + 2:].split(" ")[1])
        except (OSError, ValueError, IndexError):
            return False
        if parent <= 0:
            return False
        if parent == pid:
            return _identity.alive(pid, start_token)
        current = parent
    return False
