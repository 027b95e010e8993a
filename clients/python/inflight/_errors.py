"""The exceptions of the public API, and the one debug/warning channel (`logging`)."""

import logging
from typing import Optional

LOG = logging.getLogger("inflight")


class DatabaseError(RuntimeError):
    """The shared database could not be read or written (locked past every retry, a full disk,
    a file replaced under us). `path` names the file; the message says what was being done."""

    def __init__(self, message: str, path: str, retryable: bool = False) -> None:
        super().__init__(message)
        self.path = path
        self.retryable = retryable  # True: another process held the write lock too long


class SchemaError(DatabaseError):
    """The database is not one this client may write (missing, wrong version, replaced)."""

    def __init__(self, message: str, path: Optional[str] = None) -> None:
        super().__init__(message, path or "")


class LeaseLost(RuntimeError):
    """The lease was reclaimed or force-released before it was given back."""
