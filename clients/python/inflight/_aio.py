"""asyncio: `async with limiter.lease_async(...)` waits without blocking the event loop. The
waiting itself runs in a thread of its own per request (the same wake-ups as a blocking wait);
cancelling the awaiting task tells that thread to leave the queue, and the task's cancellation
completes once the queue row is gone (a lease granted meanwhile is released as cancelled)."""

import asyncio
import threading
from typing import TYPE_CHECKING, Any, Callable, Generator, Optional, TypeVar

from . import _check
from ._lease import Lease, Outcome, Pending

if TYPE_CHECKING:
    from ._limiter import Limiter

T = TypeVar("T")


def _settle_future(fut: "asyncio.Future[Any]", value: Any, error: Optional[BaseException]) -> None:
    if fut.done():
        return
    if error is not None:
        fut.set_exception(error)
    else:
        fut.set_result(value)


def _in_thread(loop: asyncio.AbstractEventLoop, fn: Callable[[], T]) -> "asyncio.Future[T]":
    """Run fn in a new daemon thread; its result in a future of this loop. (Not the default
    executor: a hundred waiters would queue behind its few workers.)"""
    fut: "asyncio.Future[T]" = loop.create_future()

    def run() -> None:
        try:
            value = fn()
        except BaseException as e:  # handed to the awaiting task
            loop.call_soon_threadsafe(_settle_future, fut, None, e)
        else:
            loop.call_soon_threadsafe(_settle_future, fut, value, None)

    threading.Thread(target=run, name="inflight-async", daemon=True).start()
    return fut


class AsyncLease:
    """What `Limiter.lease_async` returns: `async with` it (released as succeeded, or failed
    when the block raises), or `await` it for the Lease itself (then release it yourself)."""

    def __init__(self, limiter: "Limiter", provider: str, model: Optional[str], weight: int,
                 tokens: Optional[int], priority: str, label: str, timeout: Optional[float]) -> None:
        provider, model_name = _check.split(provider, model)
        _check.request(provider, model_name, weight, tokens, priority, label)
        _check.seconds("timeout", timeout, float("inf"))
        self._limiter = limiter
        self._args = (provider, model_name, weight, tokens, priority, label)
        self._timeout = timeout
        self._lease: Optional[Lease] = None

    def __await__(self) -> Generator[Any, None, Lease]:
        return self._acquire().__await__()

    async def _acquire(self) -> Lease:
        loop = asyncio.get_running_loop()
        submitted = _in_thread(loop, lambda: self._limiter.request(*self._args))
        try:
            pending: Pending = await asyncio.shield(submitted)
        except asyncio.CancelledError:
            await self._leave(submitted, None)
            raise
        if pending.lease is not None:
            return pending.lease
        abort = threading.Event()
        waited = _in_thread(loop, lambda: self._limiter._wait(pending, self._timeout, abort))
        try:
            lease = await asyncio.shield(waited)
        except asyncio.CancelledError:
            abort.set()
            self._limiter._waker.poke()  # wake the thread now, not at its next re-check
            await self._leave(waited, None)
            raise
        assert lease is not None
        return lease

    async def _leave(self, fut: "asyncio.Future[Any]", _: Any) -> None:
        """After a cancellation: wait for the thread to finish (it leaves the queue when told),
        and give back whatever it got meanwhile."""
        try:
            got = await asyncio.shield(fut)
        except BaseException:
            return
        if isinstance(got, Pending):
            await asyncio.shield(_in_thread(asyncio.get_running_loop(), got.cancel))
        elif isinstance(got, Lease):
            await asyncio.shield(_in_thread(asyncio.get_running_loop(), lambda: got.release(Outcome.CANCELLED)))

    async def __aenter__(self) -> Lease:
        self._lease = await self._acquire()
        return self._lease

    async def __aexit__(self, kind: Any, value: Any, tb: Any) -> bool:
        lease, self._lease = self._lease, None
        if lease is not None:
            outcome = Outcome.FAILED if kind is not None else Outcome.SUCCEEDED
            await asyncio.shield(_in_thread(asyncio.get_running_loop(), lambda: lease.release(outcome)))
        return False
