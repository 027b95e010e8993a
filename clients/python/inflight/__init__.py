"""inflight: a cooperative cross-process concurrency limiter for LLM requests.

Every process takes a lease from one shared SQLite database (the lease protocol of
migrations/README.md, schema version 4) before a request and gives it back when the request
ends. This is the Python client; it joins the Java clients on the same database."""

from ._limiter import Lease, LeaseLost, Limiter, Pending, resolve_home
from ._store import SchemaError

__all__ = ["Limiter", "Lease", "Pending", "LeaseLost", "SchemaError", "resolve_home"]
