"""How a waiter sleeps and what wakes it (migrations/README.md, "Waiting and waking"): its
socket `procs/<id>.sock`, a blocking OFD lock on another owner's lock file (a death watch),
inotify on the config root for commits (confirmed with PRAGMA data_version), or, where inotify
is missing, PRAGMA data_version polled with a back-off from 2 ms to 100 ms."""

import errno
import fcntl
import os
import socket
import struct
import threading
import time
from typing import Callable, Optional, Set, Union

_IN_MODIFY, _IN_MOVED_TO, _IN_CREATE, _IN_Q_OVERFLOW = 0x2, 0x80, 0x100, 0x4000
POLL_FIRST_S, POLL_MAX_S = 0.002, 0.1


class Waker:
    """Wake-ups of one Limiter. `wakes` moves on every wake-up meant for us (a grant, a death,
    a poke); `commits` on every commit hint. Thread-safe."""

    def __init__(self, home: str, lockdir: str, data_version: Callable[[], Optional[int]],
                 use_inotify: bool = True) -> None:
        self.home, self.lockdir = home, lockdir
        self._data_version = data_version
        self.cond = threading.Condition()
        self.wakes = 0
        self.commits = 0
        self._last_hint = 0.0
        self._lock = threading.Lock()
        self._watched: Set[int] = set()
        self._inotify: Union[None, bool, int] = None if use_inotify else False
        self._sock: Optional[socket.socket] = None
        self._sock_path: Optional[str] = None
        self.closed = False

    def poke(self) -> None:
        with self.cond:
            self.wakes += 1
            self.cond.notify_all()

    # ---- commits ---------------------------------------------------------------------------

    def watch_commits(self) -> bool:
        """Start the inotify thread once; False when inotify is not available (then sleeping
        polls data_version)."""
        with self._lock:
            if self._inotify is None:
                self._inotify = _inotify_fd(self.home)
                self._last_hint = time.monotonic()  # a commit may have been written just before
                if self._inotify is not False:
                    threading.Thread(target=self._commit_loop, name="inflight-commits",
                                     daemon=True).start()
            return self._inotify is not False

    def _commit_loop(self) -> None:
        fd = self._inotify
        assert isinstance(fd, int) and fd is not True
        while True:
            try:
                data = os.read(fd, 8192)
            except OSError:
                return
            if self.closed:  # closed here, never under a read (the number could be reused)
                os.close(fd)
                return
            hint, offset = False, 0
            while offset + 16 <= len(data):
                _, mask, _, length = struct.unpack_from("iIII", data, offset)
                name = data[offset + 16: offset + 16 + length].split(b"\0", 1)[0]
                offset += 16 + length
                if mask & _IN_Q_OVERFLOW or name == b"limiter.db-wal" or (
                        name == b"limiter.db" and mask & (_IN_CREATE | _IN_MOVED_TO)):
                    hint = True
            if hint:
                with self.cond:
                    self._last_hint = time.monotonic()
                    self.commits += 1
                    self.cond.notify_all()

    def _confirm(self, dv: Optional[int]) -> bool:
        """Whether data_version moves within 1, 1, 2, 4 ... 256 ms (a commit hint comes before
        the commit is visible to readers)."""
        for pause in (0, 0.001, 0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128, 0.256):
            if pause:
                time.sleep(pause)
            if self._data_version() != dv:
                return True
        return False

    def sleep(self, seconds: float, seen: int, dv: Optional[int], commits: int) -> None:
        """Sleep until a wake-up, a visible commit of another connection, or the time. With
        inotify, a commit hint is confirmed by data_version; without it, data_version is polled
        with a back-off from 2 ms to 100 ms."""
        end = time.monotonic() + seconds
        if self.watch_commits():
            # A hint that came just before (or a watch just set up) may name a commit that is
            # not visible yet: confirm it first, as for a hint that comes while asleep.
            if time.monotonic() - self._last_hint < 0.3 or self.commits != commits:
                commits = self.commits
                if self._confirm(dv):
                    return
            while True:
                with self.cond:
                    left = end - time.monotonic()
                    if self.wakes != seen or left <= 0:
                        return
                    if self.commits == commits:
                        self.cond.wait(left)
                    if self.wakes != seen:
                        return
                    moved = self.commits != commits
                    commits = self.commits
                if moved and self._confirm(dv):
                    return
        step = POLL_FIRST_S
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return
            with self.cond:
                if self.wakes != seen:
                    return
                self.cond.wait(min(step, left))
                if self.wakes != seen:
                    return
            if self._data_version() != dv:
                return
            step = min(step * 2, POLL_MAX_S)

    # ---- the wake socket -------------------------------------------------------------------

    def bind_socket(self, me: int) -> None:
        """Listen on procs/<me>.sock, where whoever grants us a lease connects after committing."""
        with self._lock:
            if self._sock is not None:
                return
            path = os.path.join(self.lockdir, f"{me}.sock")
            try:
                os.unlink(path)
            except OSError:
                pass
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                s.bind(path)
                os.chmod(path, 0o600)
                s.listen(64)
            except OSError:
                s.close()  # a path too long for sun_path, for one: do without
                return
            self._sock, self._sock_path = s, path
            threading.Thread(target=self._accept_loop, args=(s,), name="inflight-wake", daemon=True).start()

    def _accept_loop(self, s: socket.socket) -> None:
        while True:
            try:
                conn, _ = s.accept()
            except OSError:
                return
            try:
                conn.settimeout(1.0)
                while conn.recv(4096):
                    pass
            except OSError:
                pass
            finally:
                conn.close()
            self.poke()  # the waiter reads which of its requests hold a lease

    # ---- death watches ---------------------------------------------------------------------

    def watch(self, owner: int) -> bool:
        """Watch another same-host owner's lock file with a blocking OFD lock; False when it has
        no lock file (then the waiter re-checks every second)."""
        path = os.path.join(self.lockdir, f"{owner}.lock")
        with self._lock:
            if owner in self._watched:
                return True
            if not os.path.exists(path) or not hasattr(fcntl, "F_OFD_SETLKW"):
                return False
            self._watched.add(owner)
        threading.Thread(target=self._death_watch, args=(owner, path), name=f"inflight-watch-{owner}",
                         daemon=True).start()
        return True

    def _death_watch(self, owner: int, path: str) -> None:
        try:
            fd = os.open(path, os.O_WRONLY)
        except OSError:
            with self._lock:
                self._watched.discard(owner)
            self.poke()
            return
        try:
            lock = struct.pack("hhqqi4x", fcntl.F_WRLCK, os.SEEK_SET, 0, 0, 0)
            while True:
                try:
                    fcntl.fcntl(fd, fcntl.F_OFD_SETLKW, lock)
                    break
                except OSError as e:
                    if e.errno != errno.EINTR:
                        break
            unlock = struct.pack("hhqqi4x", fcntl.F_UNLCK, os.SEEK_SET, 0, 0, 0)
            try:
                fcntl.fcntl(fd, fcntl.F_OFD_SETLK, unlock)
            except OSError:
                pass
        finally:
            os.close(fd)
            with self._lock:
                self._watched.discard(owner)
            self.poke()  # a death hint: the waiter checks, and settles with reap

    def close(self) -> None:
        self.closed = True
        with self._lock:
            if self._sock is not None:
                self._sock.close()
                if self._sock_path:
                    try:
                        os.unlink(self._sock_path)
                    except OSError:
                        pass
                self._sock = None
        self.poke()


def _inotify_fd(directory: str) -> Union[bool, int]:
    """An inotify descriptor watching the config root, or False."""
    if os.environ.get("INFLIGHT_NO_INOTIFY"):  # the polling fallback, on purpose (tests)
        return False
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        fd = libc.inotify_init1(os.O_CLOEXEC)
        if fd < 0:
            return False
        if libc.inotify_add_watch(fd, os.fsencode(directory), _IN_MODIFY | _IN_CREATE | _IN_MOVED_TO) < 0:
            os.close(fd)
            return False
        return int(fd)
    except (OSError, AttributeError):
        return False
