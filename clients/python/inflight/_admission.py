"""What a waiter reads (the read-only check of "Check where my requests stand" and "Waiting, in
version 4") and what a release or a 429 records in `admission` (version 2)."""

import os
from typing import Callable, List, Optional, Tuple, Union

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


def paused_until(tx: S.Tx, p: str) -> int:
    row = tx.one("SELECT coalesce(paused_until_ms, 0) FROM admission WHERE provider = ?", p)
    return int(row[0]) if row else 0


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
