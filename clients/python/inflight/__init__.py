"""inflight: a cooperative cross-process concurrency limiter for LLM requests.

Every process takes a lease from one shared SQLite database (the lease protocol of
migrations/README.md, schema version 5) before a request and gives it back when the request
ends. This is the Python client; it joins the Java clients on the same database.

The core needs the standard library only. `inflight.HTTPTransport` and
`inflight.AsyncHTTPTransport` need httpx (`pip install 'inflight[httpx]'`) and import it only
when first named."""

from typing import Any

from ._errors import DatabaseError, LeaseLost, SchemaError
from ._files import resolve_home
from ._lease import Lease, Outcome, Pending
from ._limiter import Limiter

__version__ = "0.1.0"

__all__ = ["Limiter", "Lease", "Pending", "Outcome", "LeaseLost", "DatabaseError", "SchemaError",
           "resolve_home", "HTTPTransport", "AsyncHTTPTransport", "__version__"]


def __getattr__(name: str) -> Any:
    if name in ("HTTPTransport", "AsyncHTTPTransport"):
        from . import _httpx  # ImportError naming httpx when it is not installed
        return getattr(_httpx, name)
    raise AttributeError(f"module 'inflight' has no attribute {name!r}")
