"""status(): everything held and queued, by every process (migrations/README.md, "Force-release
and status"): one write reclaims what is dead or expired, then one read takes the snapshot."""

import datetime
from typing import TYPE_CHECKING, List, NamedTuple, Optional, Set, Tuple

from . import _store as S
from ._upstream import at

if TYPE_CHECKING:
    from ._limiter import Limiter


class ModelStatus(NamedTuple):
    model: str
    max_in_flight: Optional[int]
    in_flight: int  # units held or cooling


class ProviderStatus(NamedTuple):
    provider: str
    max_in_flight: Optional[int]  # None: no in-flight cap
    limit_in_force: Optional[int]  # the adaptive limit when lower, else max_in_flight
    active: int  # units held
    cooling: int  # units released but still counted
    queued: int
    paused: bool  # the paused flag or a 429 pause in force
    paused_until: Optional[datetime.datetime]
    pause_reason: str
    models: Tuple[ModelStatus, ...]


class LeaseInfo(NamedTuple):
    id: int
    provider: str
    model: str
    weight: int
    tokens: int
    owner_id: int
    pid: int
    label: str
    acquired_at: datetime.datetime


class WaiterInfo(NamedTuple):
    ticket: int
    provider: str
    model: str
    weight: int
    tokens: int
    priority: str
    owner_id: int
    pid: int
    label: str
    queued_at: datetime.datetime
    position: int  # 1: served next


class Status(NamedTuple):
    """A point-in-time snapshot; it does not change as the database does."""
    at: datetime.datetime
    providers: Tuple[ProviderStatus, ...]
    leases: Tuple[LeaseInfo, ...]
    queue: Tuple[WaiterInfo, ...]

    def provider(self, name: str) -> Optional[ProviderStatus]:
        return next((p for p in self.providers if p.provider == name), None)


_PROVIDERS = (
    "SELECT provider FROM limits UNION SELECT provider FROM model_limits"
    " UNION SELECT provider FROM leases WHERE released_at_ms IS NULL OR cool_until_ms > ?1"
    " UNION SELECT provider FROM queue"
    " UNION SELECT provider FROM admission WHERE paused_until_ms > ?1 OR upstream_valid_until_ms > ?1"
    " UNION SELECT provider FROM upstream_budget WHERE requests_reset_at_ms > ?1 OR tokens_reset_at_ms > ?1"
    " ORDER BY 1")


def read_status(limiter: "Limiter") -> Status:
    def reclaim(tx: S.Tx) -> None:
        touched: Set[str] = set(S.reap_expired(tx, limiter.lockdir, limiter._host_id, _quiet))
        for (p,) in tx.all("SELECT provider FROM leases WHERE owner_id IS NOT NULL UNION SELECT provider FROM queue"):
            more, reaped = S.reap_dead_owners(tx, p, limiter.lockdir, limiter._host_id, _quiet)
            touched |= more
            if reaped:
                touched.add(p)
        for p in sorted(touched):
            limiter._settle(tx, p, False)

    limiter._write(reclaim, what="reclaim dead processes in")
    return limiter._read(_snapshot, what="read the status of")


def _quiet(message: str) -> None:
    from ._limiter import _log
    _log(message)


def _snapshot(tx: S.Tx) -> Status:
    providers, queue = [], []
    for (p,) in tx.all(_PROVIDERS, tx.now):
        st = S.look(tx, p, process_flags=False)
        models = tuple(ModelStatus(m.model, m.max_in_flight or None, m.in_flight) for m in st.models.values())
        providers.append(ProviderStatus(
            p, st.limit, st.limit_in_force(), st.active, st.cooling, st.queued,
            st.paused or st.paused_until > 0, at(st.paused_until) if st.paused_until else None,
            st.pause_reason, models))
        for position, r in enumerate(S._queue_rows(tx, st) if st.queued else (), start=1):
            ticket, _token, owner, pid, label, queued_at, model, weight, tokens = r[:9]
            queue.append(WaiterInfo(ticket, p, model, weight, tokens, r[10], owner, pid, label,
                                    at(queued_at), position))
    leases: List[LeaseInfo] = [
        LeaseInfo(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], at(r[8])) for r in tx.all(
            "SELECT id, provider, model, weight, tokens, owner_id, pid, label, acquired_at_ms FROM leases"
            " WHERE released_at_ms IS NULL ORDER BY id")]
    return Status(at(tx.now), tuple(providers), tuple(leases), tuple(queue))
