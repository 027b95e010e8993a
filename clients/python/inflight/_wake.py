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
    """Wake-ups of one Limiter, shared by all its waiters. `wakes` moves on every wake-up meant
    for us (a grant, a death, a poke); `visible` once another connection's commit is visible (one
    thread confirms each commit hint for every waiter). Thread-safe."""

    def __init__(self, home: str, lockdir: str, data_version: Callable[[], Optional[int]],
                 use_inotify: bool = True) -> None:
        self.home, self.lockdir = home, lockdir
        self._data_version = data_version
        self.cond = threading.Condition()  # waiters sleep on it: wakes and visible
        self._hints = threading.Condition()  # the commit watcher sleeps on it: commits, sleepers
        self.wakes = 0
        self.commits = 0  # commit hints (inotify events), guarded by cond
        self.visible = 0  # commits of others seen visible, guarded by cond
        self.sleepers = 0
        self.sleeps = 0
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
        """Start the commit watcher once: with inotify, a thread reading its events and one
        confirming each hint with data_version; without it, one thread polling data_version
        while anyone sleeps. Either way `visible` moves once another connection's commit is
        visible, for every waiter of this Limiter at once. False when inotify is not available."""
        with self._lock:
            if self._inotify is None:
                self._inotify = _inotify_fd(self.home)
                if self._inotify is not False:
                    threading.Thread(target=self._commit_loop, name="inflight-commits",
                                     daemon=True).start()
                    with self._hints:
                        self.commits += 1  # a commit may have been written just before
                target = self._confirm_loop if self._inotify is not False else self._poll_loop
                threading.Thread(target=target, name="inflight-visible", daemon=True).start()
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
                with self._hints:
                    self.commits += 1
                    self._hints.notify_all()

    def _visible(self) -> None:
        with self.cond:
            self.visible += 1
            self.cond.notify_all()

    def _confirm_loop(self) -> None:
        """For each commit hint: look at data_version after 0, 1, 1, 2 ... 256 ms (the event
        comes before the commit is visible to readers), and move `visible` when it moved."""
        last, handled = self._data_version(), 0
        while not self.closed:
            with self._hints:
                while self.commits == handled and not self.closed:
                    self._hints.wait()
                handled = self.commits
            for pause in (0, 0.001, 0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128, 0.256):
                if pause:
                    time.sleep(pause)
                now = self._data_version()
                if now != last:
                    last = now
                    self._visible()
                    break
                if self.commits != handled:  # a newer hint: start its own series
                    break

    def _poll_loop(self) -> None:
        """No inotify: poll data_version while anyone sleeps, every 2 ms at first after a sleep
        begins or a change, backing off to every 100 ms."""
        last, step, sleeps = self._data_version(), POLL_FIRST_S, -1
        while not self.closed:
            with self._hints:
                while self.sleepers == 0 and not self.closed:
                    self._hints.wait()
                if self.sleeps != sleeps:
                    sleeps, step = self.sleeps, POLL_FIRST_S
            time.sleep(step)
            now = self._data_version()
            if now != last:
                last, step = now, POLL_FIRST_S
                self._visible()
            else:
                step = min(step * 2, POLL_MAX_S)

    def sleep(self, seconds: float, seen: int, visible: int) -> str:
        """Sleep until a wake-up (`wakes` moved from `seen`: "wake"), a visible commit of
        another connection (`visible` moved: "commit"), or the time ("time"). Take both numbers
        before the read that decided to sleep, so that nothing slips between."""
        self.watch_commits()
        end = time.monotonic() + seconds
        with self._hints:
            self.sleepers += 1
            self.sleeps += 1
            self._hints.notify_all()
        try:
            with self.cond:
                while True:
                    if self.wakes != seen:
                        return "wake"
                    if self.visible != visible:
                        return "commit"
                    left = end - time.monotonic()
                    if left <= 0:
                        return "time"
                    self.cond.wait(left)
        finally:
            with self._hints:
                self.sleepers -= 1

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
        with self._hints:
            self._hints.notify_all()
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
