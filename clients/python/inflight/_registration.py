"""One registration on the database: the process row, its lock file procs/<id>.lock (the proof of
life other processes check) and the heartbeat that renews the row (migrations/README.md,
"Register", "Heartbeat", "Deregister")."""

import fcntl
import os
import threading
from typing import Callable, Optional

from . import _identity
from . import _store as S
from ._db import Db

HEARTBEAT_S = 5.0
TTL_MS = 30_000


class Registration:
    """The process row of one Limiter. `id` is None until the first request registers it.
    Guarded by the Db's lock where it changes."""

    def __init__(self, db: Db, lockdir: str, host_id: str) -> None:
        self._db, self.lockdir, self.host_id = db, lockdir, host_id
        self.id: Optional[int] = None
        self._lock_fd: Optional[int] = None
        self._stop = threading.Event()

    def register(self, old_id: Optional[int]) -> int:
        """Insert the row (again under `old_id`, after a reclaim), then hold the lock file."""
        pid = os.getpid()
        token = _identity.start_token(pid) or "unknown"
        host, name = _identity.host_name(), _identity.exe_name()

        def insert(tx: S.Tx) -> int:
            row = tx.one("INSERT INTO processes (id, host, host_id, pid, start_token, name, started_at_ms,"
                         " heartbeat_at_ms, expires_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                         old_id, host, self.host_id, pid, token, name, tx.now, tx.now, tx.now + TTL_MS)
            return int(row[0])

        self.id = self._db.write(insert, what="register a process in")
        self._take_lock_file()
        return self.id

    def _take_lock_file(self) -> None:
        if not os.path.isdir(self.lockdir):
            try:
                os.mkdir(self.lockdir, 0o700)
                os.chmod(self.lockdir, 0o700)
            except FileExistsError:
                pass
        path = os.path.join(self.lockdir, f"{self.id}.lock")
        if self._lock_fd is not None:
            try:
                same = os.fstat(self._lock_fd).st_ino == os.stat(path).st_ino
            except OSError:
                same = False
            if same:
                return
            os.close(self._lock_fd)
            self._lock_fd = None
        fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
        os.fchmod(fd, 0o600)
        fcntl.lockf(fd, fcntl.LOCK_EX)  # POSIX record lock on the whole file: Java sees it
        self._lock_fd = fd

    def renew(self) -> bool:
        """One heartbeat; False when the row was reclaimed meanwhile (its leases are lost)."""
        me = self.id
        changed = self._db.write(lambda tx: tx.run(
            "UPDATE processes SET heartbeat_at_ms = ?, expires_at_ms = ? WHERE id = ?",
            tx.now, tx.now + TTL_MS, me), what="renew the process row in")
        return changed != 0

    def start_heartbeat(self, beat: Callable[[], None]) -> None:
        def loop() -> None:
            while not self._stop.wait(HEARTBEAT_S):
                beat()
        threading.Thread(target=loop, name="inflight-heartbeat", daemon=True).start()

    def release_lock_file(self) -> None:
        """After the row is deleted: drop the lock and remove the file."""
        self._stop.set()
        if self._lock_fd is not None:
            fcntl.lockf(self._lock_fd, fcntl.LOCK_UN)
            os.close(self._lock_fd)
            self._lock_fd = None
            try:
                os.unlink(os.path.join(self.lockdir, f"{self.id}.lock"))
            except OSError:
                pass
