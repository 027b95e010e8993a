"""httpx transports that take a lease per request and hold it until the response body (a whole
stream) is closed:

    OpenAI(http_client=httpx.Client(transport=inflight.HTTPTransport(limiter, provider="openai")))

The provider's rate-limit headers and retry-after go to Limiter.observe, so every process shares
what the provider said remains; a 429 is released as rate_limited, which pauses the provider for
every process. Needs httpx (`pip install 'inflight[httpx]'`)."""

import asyncio
import json
import threading
from typing import TYPE_CHECKING, Any, AsyncIterator, Callable, Iterator, Optional

import httpx

from . import _aio, _check, _headers
from ._errors import LOG, DatabaseError
from ._lease import Lease, Outcome

if TYPE_CHECKING:
    from ._limiter import Limiter


def _model_of(request: httpx.Request, provider: str) -> str:
    """The `model` of a JSON request body (OpenAI's and Anthropic's APIs both send one), or ""."""
    try:
        body = request.content
    except httpx.RequestNotRead:  # a streamed upload: not ours to read
        return ""
    if not body or not body.lstrip().startswith(b"{"):
        return ""
    try:
        model = json.loads(body).get("model", "")
        _check.model(provider, model)
    except (ValueError, AttributeError, TypeError):
        LOG.debug("the request's model was not usable as a model level; counting the provider only")
        return ""
    return str(model)


class _Ending:
    """How one leased request ends: observe the headers once, release once."""

    def __init__(self, limiter: "Limiter", lease: Lease, provider: str, model: str) -> None:
        self._limiter, self._lease, self._provider, self._model = limiter, lease, provider, model
        self._status = 0
        self._retry_after: Optional[float] = None
        self._once = threading.Lock()

    def observe(self, response: httpx.Response) -> None:
        self._status = response.status_code
        try:
            self._limiter.observe(self._provider, self._model, response.headers)
        except DatabaseError as e:  # the request itself went through: say so, and go on
            LOG.warning("inflight: could not record %s's rate-limit headers: %s", self._provider, e)
        ms = _headers.read(response.headers, self._limiter._clock()).retry_after_ms
        self._retry_after = None if ms < 0 else min(ms / 1000, 86400)

    def release(self, broken: bool) -> None:
        if not self._once.acquire(blocking=False):
            return
        if self._status == 429:
            self._lease.release(Outcome.RATE_LIMITED, retry_after=self._retry_after)
        elif broken or self._status >= 400 or self._status == 0:
            self._lease.release(Outcome.FAILED)
        else:
            self._lease.release(Outcome.SUCCEEDED)


class _LeasedStream(httpx.SyncByteStream):
    def __init__(self, inner: Any, ending: _Ending) -> None:
        self._inner, self._ending, self._broken = inner, ending, False

    def __iter__(self) -> Iterator[bytes]:
        try:
            for chunk in self._inner:
                yield chunk
        except BaseException:
            self._broken = True
            raise

    def close(self) -> None:
        try:
            if hasattr(self._inner, "close"):
                self._inner.close()
        finally:
            self._ending.release(self._broken)


class _AsyncLeasedStream(httpx.AsyncByteStream):
    def __init__(self, inner: Any, ending: _Ending) -> None:
        self._inner, self._ending, self._broken = inner, ending, False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._inner:
                yield chunk
        except BaseException:
            self._broken = True
            raise

    async def aclose(self) -> None:
        try:
            if hasattr(self._inner, "aclose"):
                await self._inner.aclose()
        finally:
            await _off_loop(lambda: self._ending.release(self._broken))


async def _off_loop(fn: Callable[[], Any]) -> Any:
    return await asyncio.shield(_aio._in_thread(asyncio.get_running_loop(), fn))


class _Options:
    def __init__(self, limiter: "Limiter", provider: str, model: Optional[str], weight: int,
                 tokens: Optional[int], priority: str, label: str, timeout: Optional[float]) -> None:
        _check.request(provider, model or "", weight, tokens, priority, label)
        _check.seconds("timeout", timeout, float("inf"))
        self.limiter, self.provider, self.model = limiter, provider, model
        self.weight, self.tokens, self.priority, self.label, self.timeout = (
            weight, tokens, priority, label, timeout)

    def model_for(self, request: httpx.Request) -> str:
        return self.model if self.model is not None else _model_of(request, self.provider)


class HTTPTransport(httpx.BaseTransport):
    """A sync httpx transport: a lease per request (waiting up to `timeout` seconds, None for as
    long as it takes), held until the response is closed. `model`: the model level to count
    against; None reads it from the JSON body's "model". `transport`: the inner transport
    (default httpx.HTTPTransport()). Closing this transport closes the inner one."""

    def __init__(self, limiter: "Limiter", provider: str, model: Optional[str] = None, *,
                 transport: Optional[httpx.BaseTransport] = None, weight: int = 1,
                 tokens: Optional[int] = None, priority: str = "normal", label: str = "",
                 timeout: Optional[float] = None) -> None:
        self._o = _Options(limiter, provider, model, weight, tokens, priority, label, timeout)
        self._inner = transport if transport is not None else httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        o = self._o
        model = o.model_for(request)
        lease = o.limiter.lease(o.provider, model, o.weight, o.tokens, o.priority, o.label, o.timeout)
        ending = _Ending(o.limiter, lease, o.provider, model)
        try:
            response = self._inner.handle_request(request)
            ending.observe(response)
        except BaseException:
            ending.release(True)
            raise
        response.stream = _LeasedStream(response.stream, ending)
        return response

    def close(self) -> None:
        self._inner.close()


class AsyncHTTPTransport(httpx.AsyncBaseTransport):
    """The asyncio twin of HTTPTransport: `httpx.AsyncClient(transport=...)`, for AsyncOpenAI and
    AsyncAnthropic. Waiting never blocks the event loop; a cancelled request leaves the queue."""

    def __init__(self, limiter: "Limiter", provider: str, model: Optional[str] = None, *,
                 transport: Optional[httpx.AsyncBaseTransport] = None, weight: int = 1,
                 tokens: Optional[int] = None, priority: str = "normal", label: str = "",
                 timeout: Optional[float] = None) -> None:
        self._o = _Options(limiter, provider, model, weight, tokens, priority, label, timeout)
        self._inner = transport if transport is not None else httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        o = self._o
        model = o.model_for(request)
        lease = await o.limiter.lease_async(o.provider, model, o.weight, o.tokens, o.priority, o.label,
                                            o.timeout)
        ending = _Ending(o.limiter, lease, o.provider, model)
        try:
            response = await self._inner.handle_async_request(request)
            await _off_loop(lambda: ending.observe(response))
        except BaseException:
            await _off_loop(lambda: ending.release(True))
            raise
        response.stream = _AsyncLeasedStream(response.stream, ending)
        return response

    async def aclose(self) -> None:
        await self._inner.aclose()
