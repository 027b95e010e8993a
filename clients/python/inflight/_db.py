"""The one transaction template: every write is BEGIN IMMEDIATE ... COMMIT with `now` read after
the lock and the schema version checked first; SQLite's errors leave as DatabaseError naming
the file and what was being done."""

import sqlite3
import threading
import time
from typing import Any, Callable, List, Optional, Tuple, TypeVar

from . import _files
from . import _store as S
from ._errors import DatabaseError, SchemaError

T = TypeVar("T")


def _busy(e: BaseException) -> bool:
    return isinstance(e, sqlite3.OperationalError) and ("locked" in str(e) or "busy" in str(e))


class Db:
    """The registration's connection, held open for the Limiter's whole life (as the protocol
    asks). Thread-safe: one lock guards it."""

    def __init__(self, home: str, clock: Callable[[], int], owner: Callable[[], Optional[int]],
                 on_grants: Callable[[List[Tuple[Any, ...]]], None]) -> None:
        self.path = home.rstrip("/") + "/limiter.db"
        self.clock = clock
        self._owner = owner
        self._on_grants = on_grants
        self.lock = threading.RLock()
        self.conn = _files.open_database(home)

    def write(self, fn: Callable[[S.Tx], T], deadline: Optional[float] = None,
              what: str = "write to") -> T:
        """Run fn(tx) in BEGIN IMMEDIATE, retrying SQLITE_BUSY until the deadline (monotonic),
        or one more busy timeout when there is none; then wake the owners it granted to."""
        retry_until = deadline
        while True:
            with self.lock:
                try:
                    self.conn.execute("BEGIN IMMEDIATE")
                    try:
                        version = self.conn.execute("PRAGMA user_version").fetchone()[0]
                        if version != S.SCHEMA_VERSION:
                            raise SchemaError(
                                f"the database {self.path} changed to schema version {version} while "
                                f"this process ran, and this inflight client writes schema version "
                                f"{S.SCHEMA_VERSION} only; it stops granting rather than apply rules the "
                                f"file no longer has: restart it with a client that knows version "
                                f"{version}", self.path)
                        tx = S.Tx(self.conn, self.clock(), self._owner())
                        result = fn(tx)
                        self.conn.execute("COMMIT")
                    except BaseException:
                        try:
                            self.conn.execute("ROLLBACK")
                        except sqlite3.Error:
                            pass
                        raise
                except sqlite3.Error as e:
                    if not _busy(e):
                        raise self._error(e, what) from e
                    if retry_until is None:
                        retry_until = time.monotonic() + _files.BUSY_TIMEOUT_MS / 1000
                    if time.monotonic() >= retry_until:
                        raise DatabaseError(f"could not {what} {self.path}: another process held its "
                                            f"write lock past every retry ({e})", self.path,
                                            retryable=True) from e
                    continue
            if tx.grants:
                self._on_grants(tx.grants)
            return result

    def read(self, fn: Callable[[S.Tx], T], what: str = "read") -> T:
        """Run fn(tx) in one deferred transaction: one snapshot for all its statements."""
        with self.lock:
            try:
                self.conn.execute("BEGIN")
                try:
                    return fn(S.Tx(self.conn, self.clock(), self._owner()))
                finally:
                    self.conn.execute("COMMIT")
            except sqlite3.Error as e:
                raise self._error(e, what) from e

    def _error(self, e: sqlite3.Error, what: str) -> DatabaseError:
        return DatabaseError(f"could not {what} {self.path}: {e}", self.path)

    def data_version(self) -> Optional[int]:
        """A number that moves once another connection's commit is visible, and never for this
        registration's own commits (None: unreadable). Read on the main connection, so that our
        own heartbeat wakes none of our own waiters."""
        try:
            with self.lock:
                return int(self.conn.execute("PRAGMA data_version").fetchall()[0][0])
        except sqlite3.Error:
            return None

    def checkpoint(self) -> None:
        with self.lock:
            try:
                self.conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
            except sqlite3.Error:
                pass

    def close(self) -> None:
        with self.lock:
            self.conn.close()
