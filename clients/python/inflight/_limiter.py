"""Limiter: the front door of the Python client of the lease protocol (schema version 5)."""

import os
import secrets
import threading
import time
from typing import TYPE_CHECKING, Any, Dict, List, Mapping, Optional, Tuple, Union

from . import _admission as A
from . import _check, _files, _identity
from . import _store as S
from ._db import Db
from ._errors import LOG, DatabaseError
from ._lease import Lease, Outcome, Pending
from ._registration import Registration
from ._wake import Waker

if TYPE_CHECKING:
    from ._aio import AsyncLease
    from ._limits import Limits
    from ._status import Status
    from ._upstream import Observation
    import datetime

RECHECK_WATCHED_S = 10.0
RECHECK_UNWATCHED_S = 1.0
DEFAULT_RETRY_AFTER_S = 30.0


def _log(message: str) -> None:
    LOG.warning("inflight: %s", message)


class Limiter:
    """One registration (one process row) on the shared database. Thread-safe; one per process
    is enough (a child after fork() must make its own).

    Opens the config root (`home`, $INFLIGHT_HOME, $XDG_CONFIG_HOME/inflight,
    ~/.config/inflight). The database must already exist at schema version 5: run any
    `inflight` command once (e.g. `inflight status`) to create it; SchemaError otherwise.
    Registers lazily on the first request; close() deregisters and frees everything still held.
    `clock` (ms since the epoch) is for tests; `heartbeat=False` leaves renewing to the caller."""

    def __init__(self, home: Optional[_files.PathLike] = None, clock: Any = None,
                 heartbeat: bool = True) -> None:
        _files.refuse_database_url()
        self.home = _files.resolve_home(home)
        self.db_path = os.path.join(self.home, "limiter.db")
        self.lockdir = os.path.join(self.home, "procs")
        self._clock = clock or (lambda: time.time_ns() // 1_000_000)
        self._host_id = _identity.host_id()
        self._held: Dict[str, Lease] = {}
        self._owed: List[Tuple[Lease, str, Optional[int], Optional[float]]] = []
        self._warned_token = False
        self._closed = False
        self._heartbeat_enabled = heartbeat
        self._db = Db(self.home, self._clock, lambda: self._reg.id, self._deliver)
        self._lock = self._db.lock
        self._reg = Registration(self._db, self.lockdir, self._host_id)
        self._waker = Waker(self.home, self.lockdir, self._db.data_version)
        self._limits: "Optional[Limits]" = None
        self._glances: Dict[str, Tuple[int, float, Tuple[Any, ...]]] = {}
        self._glance_lock = threading.Lock()

    # ---- the rest of the API, each part in its own module --------------------------------

    @property
    def limits(self) -> "Limits":
        """The shared limits of providers and models: list, get, set, unset, pause, resume."""
        from ._limits import Limits
        if self._limits is None:
            self._limits = Limits(self)
        return self._limits

    def status(self) -> "Status":
        """Every provider, model, lease and queued request, by every process: a snapshot."""
        from ._status import read_status
        return read_status(self)

    def report_429(self, provider: str, retry_after: Optional[float] = None) -> "datetime.datetime":
        """Record a 429 that no lease carried: `provider` pauses in every process for
        `retry_after` seconds (0 to 86400; None: 30). Returns when the pause ends (a longer
        pause already in force is kept)."""
        from ._upstream import report_429
        return report_429(self, provider, retry_after)

    def observe(self, provider: str, model: Optional[str] = None,
                headers: Optional[Mapping[str, Any]] = None) -> "Observation":
        """Share what a response's rate-limit headers said with every process (OpenAI's
        x-ratelimit-*, Anthropic's anthropic-ratelimit-*, retry-after). Headers it cannot read
        are ignored, one debug line each; it never raises for them."""
        from ._upstream import observe
        return observe(self, provider, model, headers)

    def lease_async(self, provider: str, model: Optional[str] = None, weight: int = 1,
                    tokens: Optional[int] = None, priority: str = "normal", label: str = "",
                    timeout: Optional[float] = None) -> "AsyncLease":
        """`async with limiter.lease_async(...) as lease:` (or `lease = await ...`): waits
        without blocking the event loop; cancelling the awaiting task leaves the queue."""
        from ._aio import AsyncLease
        return AsyncLease(self, provider, model, weight, tokens, priority, label, timeout)

    # ---- registration ---------------------------------------------------------------------

    @property
    def process_id(self) -> Optional[int]:
        """This registration's processes.id, or None before the first request."""
        return self._reg.id

    def _ensure_registered(self) -> None:
        with self._lock:
            if self._closed:
                raise RuntimeError("this Limiter is closed")
            if self._reg.id is None:
                self._reg.register(None)
                if self._heartbeat_enabled:
                    self._reg.start_heartbeat(self._beat)

    def _beat(self) -> None:
        try:
            self.heartbeat()
        except Exception as e:  # keep beating; the next one may succeed
            _log(f"heartbeat failed: {e}")

    def heartbeat(self) -> None:
        """Renew this process's row (the heartbeat thread does this every 5 s)."""
        if self._reg.id is None or self._closed:
            return
        if not self._reg.renew():
            _log(f"process row {self._reg.id} was reclaimed: its leases are lost; registering again")
            with self._lock:
                for lease in list(self._held.values()):
                    lease.lost = True
                self._held.clear()
                self._reg.register(self._reg.id)
            self._waker.poke()
        self._pay_owed()
        self._db.checkpoint()

    def _owe(self, lease: Lease, outcome: str, usage: Optional[int], retry_after: Optional[float]) -> None:
        self._owed.append((lease, outcome, usage, retry_after))

    def _pay_owed(self) -> None:
        while self._owed:
            lease, outcome, usage, retry_after = self._owed[0]
            try:
                self._release(lease, outcome, usage, retry_after)
            except DatabaseError as e:
                _log(f"release of lease {lease.id} failed again ({e}); retrying later")
                return
            self._owed.pop(0)

    # ---- requests -------------------------------------------------------------------------

    def try_acquire(self, provider: str, model: Optional[str] = None, weight: int = 1,
                    tokens: Optional[int] = None, priority: str = "normal",
                    label: str = "") -> Optional[Lease]:
        """A lease now, or None when the request would have to wait. Never waits."""
        provider, model_name = _check.split(provider, model)
        _check.request(provider, model_name, weight, tokens, priority, label)
        p = self._submit(provider, model_name, weight, tokens, priority, label, enqueue=False)
        return p.lease if p else None

    def lease(self, provider: str, model: Optional[str] = None, weight: int = 1,
              tokens: Optional[int] = None, priority: str = "normal", label: str = "",
              timeout: Optional[float] = None) -> Lease:
        """Wait for a lease: `with limiter.lease("openai", model="gpt-4o", timeout=30) as l:`.

        provider: 1 to 200 characters (`"openai/gpt-4o"` names a model too, split at the first
        /); weight: units taken at every level, 1 to 10000; tokens: reserved in the token
        budgets (None: the level's default); priority: interactive, normal or batch; label: shown
        to people; timeout: seconds (None waits for ever). Raises ValueError for a bad argument,
        TimeoutError naming the state when the deadline passes (the request then left the
        queue), DatabaseError naming the file when the database cannot be written."""
        return self.request(provider, model, weight, tokens, priority, label).wait(timeout)

    acquire = lease  # the older name of the same door

    def request(self, provider: str, model: Optional[str] = None, weight: int = 1,
                tokens: Optional[int] = None, priority: str = "normal", label: str = "") -> Pending:
        """Queue a request now and return a Pending (granted at once when it fits)."""
        provider, model_name = _check.split(provider, model)
        _check.request(provider, model_name, weight, tokens, priority, label)
        pending = self._submit(provider, model_name, weight, tokens, priority, label, enqueue=True)
        assert pending is not None
        return pending

    def _submit(self, provider: str, model: str, weight: int, tokens: Optional[int], priority: str,
                label: str, enqueue: bool) -> Optional[Pending]:
        joined = self._join(provider, model)
        if joined is not None:
            return Pending(self, provider, model, weight, joined.tokens, priority, label, None, joined)
        self._ensure_registered()
        if enqueue and self._reg.id is not None:
            self._waker.bind_socket(self._reg.id)
        for _ in range(3):
            token = secrets.token_hex(16)
            me, pid = self._reg.id, os.getpid()

            def acquire(tx: S.Tx) -> Tuple[Any, ...]:
                st = self._settle(tx, provider, True)
                w = S.want(st, model, weight, tokens)
                if S.fits_now(tx, st, w, priority):
                    lease_id = S.write_lease(tx, st, token, me, pid, label, tx.now, w)
                    return ("gone",) if lease_id == 0 else ("granted", lease_id, tx.now, w)
                if not enqueue:
                    return ("busy",)
                n = tx.run(S.INSERT_QUEUE, token, provider, me, pid, label, tx.now, model, weight,
                           w.tokens, priority)
                return ("gone",) if n == 0 else ("queued", w)

            outcome = self._db.write(acquire, what="request a lease in")
            if outcome[0] == "gone":
                with self._lock:
                    self._reg.register(self._reg.id)
                continue
            if outcome[0] == "busy":
                return None
            if outcome[0] == "granted":
                _, lease_id, at, w = outcome
                lease = Lease(self, token, lease_id, provider, model, weight, w.tokens, at)
                self._held[token] = lease
                return Pending(self, provider, model, weight, w.tokens, priority, label, token, lease)
            return Pending(self, provider, model, weight, outcome[1].tokens, priority, label, token, None)
        raise DatabaseError(f"could not register with {self.db_path}: the process row vanished "
                            f"three times", self.db_path)

    def _join(self, provider: str, model: str) -> Optional[Lease]:
        """A lease inherited from an ancestor that holds it (INFLIGHT_LEASE_TOKEN, as `inflight
        run` passes it): granted at once, writing nothing (migrations/README.md, "Join an
        inherited lease" and "Joining, in version 4")."""
        inherited = os.environ.get("INFLIGHT_LEASE_TOKEN", "")
        if not inherited:
            return None
        if not A.token_ok(inherited):
            if not self._warned_token:
                self._warned_token = True
                _log("ignoring INFLIGHT_LEASE_TOKEN: not 16 to 64 of [0-9A-Za-z_-]")
            return None
        row = self._db.read(lambda tx: A.joinable(tx, inherited, provider, model, self._host_id))
        if row is None:
            return None
        lease_id, acquired, held_tokens = row
        lease = Lease(self, inherited, lease_id, provider, model, 1, held_tokens, acquired)
        lease.joined = True
        return lease

    def _granted(self, tx: S.Tx, pending: Pending) -> Optional[Lease]:
        row = tx.one("SELECT id, acquired_at_ms FROM leases WHERE token = ? AND owner_id = ?",
                     pending.token, self._reg.id)
        if row is None:
            return None
        lease = Lease(self, str(pending.token), row[0], pending.provider, pending.model,
                      pending.weight, pending.tokens, row[1])
        self._held[str(pending.token)] = lease
        return lease

    def _check(self, tx: S.Tx, pending: Pending) -> Tuple[Optional[Lease], Any]:
        lease = self._granted(tx, pending)
        if lease is not None:
            return lease, None
        return None, A.look_again(tx, pending.provider, str(pending.token), self._reg.id,
                                  self._host_id, self._waker.watch)

    def _wait(self, pending: Pending, timeout: Optional[float],
              abort: Optional[threading.Event] = None) -> Optional[Lease]:
        """Wait until granted, the deadline (TimeoutError) or `abort` is set (then leave the
        queue, release a lease granted meanwhile as cancelled, and return None)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            if abort is not None and abort.is_set():
                got = self._cancel(pending)
                if got is not None:
                    got.release(Outcome.CANCELLED)
                return None
            self._waker.watch_commits()
            seen, visible = self._waker.wakes, self._waker.visible  # before the read
            lease, look, mark = self._db.read(lambda tx: self._check(tx, pending) + (
                A.fingerprint(tx, pending.provider),), what="read")
            if lease is not None:
                return lease
            if look == "missing":
                again = self._submit(pending.provider, pending.model, pending.weight, pending.tokens,
                                     pending.priority, pending.label, enqueue=True)
                assert again is not None
                pending.token = again.token
                if again.lease is not None:
                    return again.lease
                continue
            due, next_at_ms, unwatched = look
            if due:
                self._db.write(lambda tx: self._settle(tx, pending.provider, True), what="settle in")
                continue
            now_mono = time.monotonic()
            if deadline is not None and now_mono >= deadline:
                got = self._cancel(pending)
                if got is not None:
                    return got
                raise TimeoutError(self._db.read(
                    lambda tx: A.describe_timeout(tx, pending.provider, pending.model, timeout)))
            recheck = RECHECK_UNWATCHED_S if unwatched else RECHECK_WATCHED_S
            sleep = recheck
            if next_at_ms is not None:
                sleep = min(sleep, max(0.0, (next_at_ms - self._clock()) / 1000))
            if deadline is not None:
                sleep = min(sleep, deadline - now_mono)
            self._doze(pending.provider, mark, sleep, sleep == recheck, seen, visible, abort)

    def _doze(self, provider: str, mark: Tuple[Any, ...], seconds: float, plain_recheck: bool,
              seen: int, visible: int, abort: Optional[threading.Event]) -> None:
        """Sleep after a check, until the check is worth running again: a wake-up meant for us,
        the time the check named, or a commit of someone else (or the safety re-check) that
        changed this provider's fingerprint. One fingerprint read serves every waiter of this
        Limiter, so a heartbeat elsewhere costs a hundred waiters one read, not a hundred checks."""
        start = time.monotonic()
        end = start + seconds
        while True:
            why = self._waker.sleep(end - time.monotonic(), seen, visible)
            if why == "wake" or (why == "time" and not plain_recheck):
                return
            if abort is not None and abort.is_set():
                return
            visible = self._waker.visible
            if self._glance(provider, visible, start if why == "time" else None) != mark:
                return
            if why == "time":  # nothing was missed: the next safety re-check, one period on
                start = time.monotonic()
                end = start + seconds

    def _glance(self, provider: str, visible: int, since: Optional[float]) -> Tuple[Any, ...]:
        """The provider's fingerprint as of commit count `visible` or later (and read after the
        monotonic time `since`, when given), read once for all waiters of this Limiter."""
        with self._glance_lock:
            cached = self._glances.get(provider)
        if cached is not None and cached[0] == visible and (since is None or cached[1] >= since):
            return cached[2]
        taken = time.monotonic()
        mark = self._db.read(lambda tx: A.fingerprint(tx, provider), what="read")
        with self._glance_lock:
            self._glances[provider] = (visible, taken, mark)
        return mark

    def _poll(self, pending: Pending) -> Optional[Lease]:
        for _ in range(2):
            lease, look = self._db.read(lambda tx: self._check(tx, pending), what="read")
            if lease is not None or look == "missing":
                return lease
            due, pending.next_change_at_ms, _ = look
            if not due:
                return None
            self._db.write(lambda tx: self._settle(tx, pending.provider, True), what="settle in")
        return None

    def _cancel(self, pending: Pending) -> Optional[Lease]:
        """Leave the queue. Returns the lease when the request was granted meanwhile."""
        def cancel(tx: S.Tx) -> Optional[Lease]:
            if tx.run("DELETE FROM queue WHERE token = ?", pending.token):
                return None
            return self._granted(tx, pending)
        return self._db.write(cancel, what="leave the queue in")

    def _release(self, lease: Lease, outcome: str, usage: Optional[int],
                 retry_after: Optional[float]) -> bool:
        self._held.pop(lease.token, None)
        retry_ms = int((DEFAULT_RETRY_AFTER_S if retry_after is None else retry_after) * 1000)
        if lease.joined:  # the holder's lease: never release it; a 429 is everyone's news
            if outcome == "rate_limited":
                def report(tx: S.Tx) -> None:
                    A.record_429(tx, lease.provider, tx.now + retry_ms, "429 reported", tx.now)
                    self._settle(tx, lease.provider, False)
                self._db.write(report, what="record a 429 in")
            return True

        def release(tx: S.Tx) -> bool:
            return A.release(tx, lease.token, outcome, usage, retry_ms, _log)

        return bool(self._db.write(release, what="release a lease in"))

    # ---- shared plumbing ------------------------------------------------------------------

    def _deliver(self, grants: List[Tuple[Any, ...]]) -> None:
        if any(owner == self._reg.id for owner, *_ in grants):
            self._waker.poke()
        S.wake(self.lockdir, grants, self._reg.id)

    def _settle(self, tx: S.Tx, provider: str, reap: bool) -> S.State:
        return S.settle(tx, provider, reap, self.lockdir, self._host_id, _log)

    def _write(self, fn: Any, what: str = "write to") -> Any:
        """For the other parts of the API (limits, status, the provider's word)."""
        return self._db.write(fn, what=what)

    def _read(self, fn: Any, what: str = "read") -> Any:
        return self._db.read(fn, what=what)

    def _changed(self) -> None:
        """Something this process wrote may let one of its own waiters through."""
        self._waker.poke()

    # ---- closing --------------------------------------------------------------------------

    def close(self) -> None:
        """Deregister: free everything this process still holds or waits for."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            me = self._reg.id
            try:
                if me is not None:
                    self._pay_owed()

                    def deregister(tx: S.Tx) -> None:
                        for q in sorted(S.free_process(tx, me, None)):
                            self._settle(tx, q, False)

                    self._db.write(deregister, what="deregister from")
            finally:
                self._waker.close()
                self._reg.release_lock_file()
                for lease in self._held.values():
                    lease.released = True
                self._held.clear()
                self._db.close()

    def __enter__(self) -> "Limiter":
        return self

    def __exit__(self, *exc: Any) -> bool:
        self.close()
        return False
