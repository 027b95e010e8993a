"""Lease (a granted slot, released exactly once) and Pending (a queued request)."""

import enum
from typing import TYPE_CHECKING, Any, Optional, Union

from . import _check, _identity
from ._errors import LOG, DatabaseError

if TYPE_CHECKING:
    from ._limiter import Limiter


class Outcome(str, enum.Enum):
    """How a request ended; `rate_limited` pauses its provider for every process."""
    SUCCEEDED = "succeeded"
    RATE_LIMITED = "rate_limited"
    FAILED = "failed"
    CANCELLED = "cancelled"


OUTCOMES = tuple(o.value for o in Outcome)
MAX_RETRY_AFTER_S = 86400


def outcome_of(value: Union[str, Outcome]) -> str:
    if isinstance(value, Outcome):
        return value.value
    if value not in OUTCOMES:
        raise ValueError(f"outcome must be one of {', '.join(OUTCOMES)} (was {value!r})")
    return str(value)


class Lease:
    """A granted slot. Release it exactly once (a second release does nothing); as a context
    manager it is released as `succeeded`, or as `failed` when the block raises. Its fields
    are read-only facts about the grant; `released` and `lost` say how it stands."""

    def __init__(self, limiter: "Limiter", token: str, lease_id: int, provider: str, model: str,
                 weight: int, tokens: int, acquired_at_ms: int) -> None:
        self._limiter, self.token, self.id = limiter, token, lease_id
        self.provider, self.model, self.weight, self.tokens = provider, model, weight, tokens
        self.acquired_at_ms = acquired_at_ms
        self.released = False
        self.lost = False
        self.joined = False  # True: an ancestor's lease, joined; its release writes nothing

    def release(self, outcome: Union[str, Outcome] = Outcome.SUCCEEDED, usage: Optional[int] = None,
                retry_after: Optional[float] = None, *, used_tokens: Optional[int] = None) -> bool:
        """Give the slot back, once. `outcome`: succeeded, rate_limited (pauses the provider for
        every process for `retry_after` seconds, 30 by default), failed or cancelled. `usage`:
        the request's real token count, which corrects its reservation in the token budgets
        (`used_tokens` is the same, by its older name). Returns False when the lease was no
        longer held (reclaimed, force-released) or was released already.

        Raises ValueError for a bad argument (the lease stays held). A database failure does not
        raise: the release is written later, as asked, by the heartbeat or close()."""
        ending = outcome_of(outcome)
        if usage is None:
            usage = used_tokens
        _check.integer("usage", usage, 0, 1_000_000_000, none_ok=True)
        _check.seconds("retry_after", retry_after, MAX_RETRY_AFTER_S)
        if self.released:
            return False
        self.released = True
        try:
            held = self._limiter._release(self, ending, usage, retry_after)
        except DatabaseError as e:
            # Busy past every retry, a full disk: written later as it was asked for (the same
            # ending and Retry-After), after the next heartbeat and before deregistering.
            self._limiter._owe(self, ending, usage, retry_after)
            LOG.warning("release of lease %s failed (%s); it will be written later", self.id, e)
            return True
        if not held:
            self.lost = True
        return held

    def __enter__(self) -> "Lease":
        return self

    def __exit__(self, kind: Any, value: Any, tb: Any) -> bool:
        self.release(Outcome.FAILED if kind is not None else Outcome.SUCCEEDED)
        return False

    def __repr__(self) -> str:
        key = f"{self.provider}/{self.model}" if self.model else self.provider
        return (f"Lease(id={self.id}, {_identity.printable(key)!r}, weight={self.weight}, "
                f"tokens={self.tokens})")


class Pending:
    """A request that is queued (or already granted). `wait()` returns its Lease."""

    def __init__(self, limiter: "Limiter", provider: str, model: str, weight: int, tokens: int,
                 priority: str, label: str, token: Optional[str], lease: Optional[Lease]) -> None:
        self._limiter = limiter
        self.provider, self.model, self.weight, self.tokens = provider, model, weight, tokens
        self.priority, self.label, self.token = priority, label, token
        self.lease = lease
        self.next_change_at_ms: Optional[int] = None

    def wait(self, timeout: Optional[float] = None) -> Lease:
        """Wait for the lease, at most `timeout` seconds (None: as long as it takes). Raises
        TimeoutError naming the state; the request has then left the queue."""
        if self.lease is None:
            self.lease = self._limiter._wait(self, timeout)
        return self.lease

    def poll(self) -> Optional[Lease]:
        """Look once, as a woken waiter does, without waiting: settle when the check says a
        settle is due, and return the lease when the request now holds one (else None).
        Sets `next_change_at_ms`: when time alone next changes the answer (None: not known)."""
        if self.lease is None:
            self.lease = self._limiter._poll(self)
        return self.lease

    def cancel(self) -> None:
        """Leave the queue; a lease granted meanwhile is released at once, as cancelled."""
        if self.lease is None:
            got = self._limiter._cancel(self)
            if got is not None:
                got.release(Outcome.CANCELLED)
