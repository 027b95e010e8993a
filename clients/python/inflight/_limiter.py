"""Limiter and Lease: the Python client of the lease protocol (schema version 4)."""

import errno
import fcntl
import os
import secrets
import socket
import sqlite3
import struct
import sys
import threading
import time

from . import _identity
from . import _store as S
from ._store import SchemaError

HEARTBEAT_S = 5.0
TTL_MS = 30_000
BUSY_TIMEOUT_MS = 5000
RECHECK_WATCHED_S = 10.0
RECHECK_UNWATCHED_S = 1.0
OUTCOMES = ("succeeded", "rate_limited", "failed", "cancelled")
DEFAULT_RETRY_AFTER_S = 30.0


def resolve_home(home=None):
    """The config root, resolved as the Java client does (migrations/README.md, "Files")."""
    if home:
        return os.path.abspath(os.fspath(home))
    env = os.environ.get("INFLIGHT_HOME", "")
    if env:
        return os.path.abspath(env)
    xdg = os.environ.get("XDG_CONFIG_HOME", "")
    if xdg and os.path.isabs(xdg):
        return os.path.join(xdg, "inflight")
    return os.path.join(os.path.expanduser("~"), ".config", "inflight")


def _log(message):
    print(f"inflight: {message}", file=sys.stderr)


def _busy(e):
    return isinstance(e, sqlite3.OperationalError) and (
        "locked" in str(e) or "busy" in str(e))


def _check_name(parameter, value, allow_empty=False, max_len=200):
    if not isinstance(value, str):
        raise ValueError(f"{parameter} must be a string (was {value!r})")
    if not allow_empty and len(value) < 1 or len(value) > max_len:
        low = 0 if allow_empty else 1
        raise ValueError(f"{parameter} must be {low} to {max_len} characters (was {len(value)}: "
                         f"{_identity.printable(value[:40])!r})")
    if _identity.has_control(value):
        raise ValueError(f"{parameter} must not hold control characters (U+0000-U+001F, "
                         f"U+007F-U+009F) (was {_identity.printable(value)!r})")
    if "\ufffd" in value:
        raise ValueError(f"{parameter} must be valid text without U+FFFD (was {value!r})")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError(f"{parameter} must be valid UTF-8 text (was {value!r})") from None


def _check_request(provider, model, weight, tokens, priority, label):
    _check_name("provider", provider)
    _check_name("model", model, allow_empty=True)
    if model.startswith(provider + "/"):
        raise ValueError(f"model must be the model's own name under its provider (provider "
                         f"{provider!r}, model {model!r}; not {provider + '/' + model!r})")
    if isinstance(weight, bool) or not isinstance(weight, int) or not 1 <= weight <= 10000:
        raise ValueError(f"weight must be an integer from 1 to 10000 (was {weight!r})")
    if tokens is not None and (isinstance(tokens, bool) or not isinstance(tokens, int)
                               or not 0 <= tokens <= 100_000_000):
        raise ValueError(f"tokens must be None or an integer from 0 to 100000000 (was {tokens!r})")
    if priority not in S.PRIORITIES:
        raise ValueError(f"priority must be one of interactive, normal, batch (was {priority!r})")
    _check_name("label", label, allow_empty=True)


def _split(provider, model):
    """'openai/gpt-4o' names provider and model, split at the first '/'."""
    if model is None and isinstance(provider, str) and "/" in provider:
        provider, model = provider.split("/", 1)
    return provider, model or ""


class LeaseLost(RuntimeError):
    """The lease was reclaimed or force-released before it was given back."""


class Lease:
    """A granted slot. Release it exactly once (a second release does nothing); as a context
    manager it is released as `succeeded`, or as `failed` when the block raises."""

    def __init__(self, limiter, token, lease_id, provider, model, weight, tokens, acquired_at_ms):
        self._limiter, self.token, self.id = limiter, token, lease_id
        self.provider, self.model, self.weight, self.tokens = provider, model, weight, tokens
        self.acquired_at_ms = acquired_at_ms
        self.released = False
        self.lost = False
        self.joined = False  # True: an ancestor's lease, joined; its release writes nothing

    def release(self, outcome="succeeded", used_tokens=None, retry_after=None):
        """Give the slot back. outcome: succeeded, rate_limited (retry_after seconds, 30 by
        default), failed or cancelled; used_tokens: the request's real count, which corrects
        its reservation in the token budgets. Returns False when the lease was no longer held."""
        if outcome not in OUTCOMES:
            raise ValueError(f"outcome must be one of {', '.join(OUTCOMES)} (was {outcome!r})")
        if used_tokens is not None and (isinstance(used_tokens, bool) or not isinstance(used_tokens, int)
                                        or not 0 <= used_tokens <= 1_000_000_000):
            raise ValueError(f"used_tokens must be None or an integer from 0 to 1000000000 (was {used_tokens!r})")
        if retry_after is not None and not 0 <= retry_after <= 86400:
            raise ValueError(f"retry_after must be from 0 to 86400 seconds (was {retry_after!r})")
        if self.released:
            return False
        self.released = True
        try:
            held = self._limiter._release(self, outcome, used_tokens, retry_after)
        except sqlite3.OperationalError as e:
            # Busy past every retry, a full disk: written later as it was asked for (the same
            # ending and Retry-After), after the next heartbeat and before deregistering.
            self._limiter._owed.append((self, outcome, used_tokens, retry_after))
            _log(f"release of lease {self.id} failed ({e}); it will be written later")
            return True
        if not held:
            self.lost = True
        return held

    def __enter__(self):
        return self

    def __exit__(self, kind, value, tb):
        self.release("failed" if kind is not None else "succeeded")
        return False

    def __repr__(self):
        key = f"{self.provider}/{self.model}" if self.model else self.provider
        return f"Lease(id={self.id}, {_identity.printable(key)!r}, weight={self.weight}, tokens={self.tokens})"


class Pending:
    """A request that is queued (or already granted). `wait()` returns its Lease."""

    def __init__(self, limiter, provider, model, weight, tokens, priority, label, token, lease):
        self._limiter = limiter
        self.provider, self.model, self.weight, self.tokens = provider, model, weight, tokens
        self.priority, self.label, self.token = priority, label, token
        self.lease = lease
        self.next_change_at_ms = None

    def wait(self, timeout=None):
        if self.lease is None:
            self.lease = self._limiter._wait(self, timeout)
        return self.lease

    def poll(self):
        """Look once, as a woken waiter does, without waiting: settle when the check says a
        settle is due, and return the lease when the request now holds one (else None).
        Sets `next_change_at_ms`: when time alone next changes the answer (None: not known)."""
        if self.lease is None:
            self.lease = self._limiter._poll(self)
        return self.lease

    def cancel(self):
        """Leave the queue; a lease granted meanwhile is released at once."""
        if self.lease is None:
            got = self._limiter._cancel(self)
            if got is not None:
                got.release("cancelled")


class Limiter:
    """One registration (one process row) on the shared database. Thread-safe.

    Opens the config root (home, $INFLIGHT_HOME, $XDG_CONFIG_HOME/inflight,
    ~/.config/inflight). The database must already exist at schema version 4: run any
    `inflight` command once (e.g. `inflight status`) to create it. Registers lazily on the
    first request; close() deregisters and frees everything still held."""

    def __init__(self, home=None, clock=None, heartbeat=True):
        self.home = resolve_home(home)
        self.db_path = os.path.join(self.home, "limiter.db")
        self.lockdir = os.path.join(self.home, "procs")
        self._clock = clock or (lambda: time.time_ns() // 1_000_000)
        self._lock = threading.RLock()
        self._host_id = _identity.host_id()
        self._id = None
        self._lock_fd = None
        self._sock = None
        self._wake = threading.Condition()
        self._wakes = 0
        self._watched = set()
        self._held = {}
        self._warned_token = False
        self._owed = []  # releases whose write failed, retried as asked
        self._inotify = None  # None: not tried yet; False: not available; else its fd
        self._commits = 0
        self._last_hint = 0.0
        self._closed = False
        self._heartbeat_enabled = heartbeat
        self._stop = threading.Event()
        self._conn = self._open()
        self._dv = self._connect()
        self._dv_lock = threading.Lock()

    # ---- opening ------------------------------------------------------------------------

    def _open(self):
        db, marker = self.db_path, self.db_path + ".id"
        if sqlite3.sqlite_version_info < (3, 37, 0):
            raise SchemaError(f"this Python's SQLite is {sqlite3.sqlite_version}; the inflight schema needs "
                              f"3.37 or newer (STRICT tables, RETURNING): use a Python built with a newer SQLite")
        hint = "run any inflight command once (for example `inflight status`) to create and migrate it"
        if not os.path.isdir(self.home):
            raise SchemaError(f"the config root {self.home} does not exist: {hint}")
        if not os.path.exists(db):
            if os.path.exists(marker):
                raise SchemaError(f"the database {db} is missing, but {marker} says a database with limits "
                                  f"existed there: its limits would be lost. Restore limiter.db from a "
                                  f"backup, or delete {marker} to start afresh with no limits")
            raise SchemaError(f"the database {db} does not exist (schema version 0 found; this client "
                              f"needs version {S.SCHEMA_VERSION}): {hint}")
        if os.path.isdir(db) or not os.access(db, os.R_OK | os.W_OK):
            raise SchemaError(f"the database {db} is not a readable and writable file")
        with open(db, "rb") as f:
            header = f.read(100)
        if len(header) < 20 or header[18] != 2 or header[19] != 2:
            raise SchemaError(f"the database {db} is not in WAL mode yet (a fresh or empty file): "
                              f"this client does not migrate; {hint}")
        if not (os.path.exists(db + "-wal") and os.path.exists(db + "-shm")) and self._any_lock_held():
            raise SchemaError(f"{db}-wal or -shm is missing while registered processes run: someone "
                              f"deleted them; opening now would create a second, diverging database")
        conn = self._connect()
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version != S.SCHEMA_VERSION:
            conn.close()
            if version > S.SCHEMA_VERSION:
                raise SchemaError(f"the database {db} has schema version {version}, newer than this "
                                  f"inflight client understands (version {S.SCHEMA_VERSION}): upgrade "
                                  f"it, or point it at another config root")
            raise SchemaError(f"the database {db} has schema version {version}; this client needs "
                              f"version {S.SCHEMA_VERSION} and does not migrate: {hint}")
        (database_id,) = conn.execute("SELECT database_id FROM database_info WHERE id = 1").fetchone()
        recorded = self._read_marker(marker)
        if recorded is None:
            tmp = f"{marker}.{os.getpid()}.tmp"
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.fchmod(fd, 0o600)
            os.write(fd, f"id={database_id}\n".encode("ascii"))
            os.close(fd)
            os.replace(tmp, marker)
        elif recorded != database_id:
            conn.close()
            raise SchemaError(f"the database {db} is not the one that was here (its id is {database_id}, "
                              f"{marker} says {recorded}): restore it, or delete {marker} to accept it")
        return conn

    @staticmethod
    def _read_marker(marker):
        try:
            with open(marker, encoding="ascii") as f:
                for line in f:
                    line = line.strip()
                    if line.startswith("id="):
                        return line[3:].strip()
        except OSError:
            return None
        return None

    def _any_lock_held(self):
        """Whether any procs/*.lock is write-locked now, by anyone (/proc/locks)."""
        try:
            names = [n for n in os.listdir(self.lockdir) if n.endswith(".lock")]
            with open("/proc/locks", encoding="ascii", errors="replace") as f:
                held = [line for line in f if "->" not in line and " WRITE " in line]
        except OSError:
            return False
        for name in names:
            try:
                st = os.stat(os.path.join(self.lockdir, name))
            except OSError:
                continue
            key = f"{os.major(st.st_dev):02x}:{os.minor(st.st_dev):02x}:{st.st_ino}"
            if any(line.split()[5:6] == [key] for line in held):
                return True
        return False

    def _connect(self):
        conn = sqlite3.connect(self.db_path, isolation_level=None, check_same_thread=False,
                               timeout=BUSY_TIMEOUT_MS / 1000)
        conn.execute("PRAGMA journal_mode = WAL").fetchall()
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA foreign_keys = ON")
        return conn

    # ---- transactions -------------------------------------------------------------------

    def _write(self, fn, deadline=None):
        """Run fn(tx) in BEGIN IMMEDIATE, retrying SQLITE_BUSY until the deadline (monotonic),
        or one more busy timeout when there is none; then wake the owners it granted to."""
        retry_until = deadline
        while True:
            with self._lock:
                try:
                    self._conn.execute("BEGIN IMMEDIATE")
                    try:
                        version = self._conn.execute("PRAGMA user_version").fetchone()[0]
                        if version != S.SCHEMA_VERSION:
                            raise SchemaError(
                                f"the database {self.db_path} changed to schema version {version} while "
                                f"this process ran, and this inflight client writes schema version "
                                f"{S.SCHEMA_VERSION} only; it stops granting rather than apply rules the "
                                f"file no longer has: restart it with a client that knows version {version}")
                        tx = S.Tx(self._conn, self._clock(), self._id)
                        result = fn(tx)
                        self._conn.execute("COMMIT")
                    except BaseException:
                        try:
                            self._conn.execute("ROLLBACK")
                        except sqlite3.Error:
                            pass
                        raise
                except sqlite3.OperationalError as e:
                    if not _busy(e):
                        raise
                    if retry_until is None:
                        retry_until = time.monotonic() + BUSY_TIMEOUT_MS / 1000
                    if time.monotonic() >= retry_until:
                        raise
                    continue
            if tx.grants:
                self._deliver(tx.grants)
            return result

    def _read(self, fn):
        with self._lock:
            self._conn.execute("BEGIN")
            try:
                tx = S.Tx(self._conn, self._clock(), self._id)
                return fn(tx)
            finally:
                self._conn.execute("COMMIT")

    def _deliver(self, grants):
        if any(owner == self._id for owner, *_ in grants):
            self._poke()
        S.wake(self.lockdir, grants, self._id)

    def _settle(self, tx, provider, reap):
        return S.settle(tx, provider, reap, self.lockdir, self._host_id, _log)

    # ---- registration -------------------------------------------------------------------

    def _ensure_registered(self):
        with self._lock:
            if self._closed:
                raise RuntimeError("this Limiter is closed")
            if self._id is None:
                self._register(None)
                if self._heartbeat_enabled:
                    threading.Thread(target=self._heartbeat_loop, name="inflight-heartbeat",
                                     daemon=True).start()

    def _register(self, old_id):
        pid = os.getpid()
        token = _identity.start_token(pid) or "unknown"
        host, name = _identity.host_name(), _identity.exe_name()

        def insert(tx):
            row = tx.one("INSERT INTO processes (id, host, host_id, pid, start_token, name, started_at_ms,"
                         " heartbeat_at_ms, expires_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                         old_id, host, self._host_id, pid, token, name, tx.now, tx.now, tx.now + TTL_MS)
            return row[0]

        self._id = self._write(insert)
        self._take_lock_file()

    def _take_lock_file(self):
        if not os.path.isdir(self.lockdir):
            try:
                os.mkdir(self.lockdir, 0o700)
                os.chmod(self.lockdir, 0o700)
            except FileExistsError:
                pass
        path = os.path.join(self.lockdir, f"{self._id}.lock")
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

    def _heartbeat_loop(self):
        while not self._stop.wait(HEARTBEAT_S):
            try:
                self.heartbeat()
            except Exception as e:  # keep beating; the next one may succeed
                _log(f"heartbeat failed: {e}")

    def heartbeat(self):
        """Renew this process's row (the heartbeat thread does this every 5 s)."""
        if self._id is None or self._closed:
            return
        changed = self._write(lambda tx: tx.run(
            "UPDATE processes SET heartbeat_at_ms = ?, expires_at_ms = ? WHERE id = ?",
            tx.now, tx.now + TTL_MS, self._id))
        if changed == 0:
            _log(f"process row {self._id} was reclaimed: its leases are lost; registering again")
            with self._lock:
                for lease in list(self._held.values()):
                    lease.lost = True
                self._held.clear()
                self._register(self._id)
            self._poke()
        self._pay_owed()
        with self._lock:
            try:
                self._conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
            except sqlite3.Error:
                pass

    def _pay_owed(self):
        while self._owed:
            lease, outcome, used_tokens, retry_after = self._owed[0]
            try:
                self._release(lease, outcome, used_tokens, retry_after)
            except sqlite3.OperationalError as e:
                _log(f"release of lease {lease.id} failed again ({e}); retrying later")
                return
            self._owed.pop(0)

    @property
    def process_id(self):
        """This registration's processes.id, or None before the first request."""
        return self._id

    # ---- requests -----------------------------------------------------------------------

    def try_acquire(self, provider, model=None, weight=1, tokens=None, priority="normal", label=""):
        """A lease now, or None when the request would have to wait. Never waits."""
        provider, model = _split(provider, model)
        _check_request(provider, model, weight, tokens, priority, label)
        p = self._submit(provider, model, weight, tokens, priority, label, enqueue=False)
        return p.lease if p else None

    def acquire(self, provider, model=None, weight=1, tokens=None, priority="normal", label="",
                timeout=None):
        """Wait for a lease (at most `timeout` seconds; None waits for ever). Raises
        TimeoutError, naming the state, when the deadline passes."""
        return self.request(provider, model, weight, tokens, priority, label).wait(timeout)

    def request(self, provider, model=None, weight=1, tokens=None, priority="normal", label=""):
        """Queue a request now and return a Pending (granted at once when it fits)."""
        provider, model = _split(provider, model)
        _check_request(provider, model, weight, tokens, priority, label)
        return self._submit(provider, model, weight, tokens, priority, label, enqueue=True)

    def _submit(self, provider, model, weight, tokens, priority, label, enqueue, token=None):
        joined = self._join(provider, model)
        if joined is not None:
            return Pending(self, provider, model, weight, joined.tokens, priority, label, None, joined)
        self._ensure_registered()
        if enqueue:
            self._bind_socket()
        for _ in range(3):
            token = secrets.token_hex(16)
            me, pid = self._id, os.getpid()

            def acquire(tx):
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

            outcome = self._write(acquire)
            if outcome[0] == "gone":
                with self._lock:
                    self._register(self._id)
                continue
            if outcome[0] == "busy":
                return None
            if outcome[0] == "granted":
                _, lease_id, at, w = outcome
                lease = Lease(self, token, lease_id, provider, model, weight, w.tokens, at)
                self._held[token] = lease
                return Pending(self, provider, model, weight, w.tokens, priority, label, token, lease)
            return Pending(self, provider, model, weight, outcome[1].tokens, priority, label, token, None)
        raise RuntimeError(f"could not register with {self.db_path}: the process row vanished three times")

    def _join(self, provider, model):
        """A lease inherited from an ancestor that holds it (INFLIGHT_LEASE_TOKEN, as `inflight
        run` passes it): granted at once, writing nothing (migrations/README.md, "Join an
        inherited lease" and "Joining, in version 4")."""
        inherited = os.environ.get("INFLIGHT_LEASE_TOKEN", "")
        if not inherited:
            return None
        if not (16 <= len(inherited) <= 64 and all(c.isascii() and (c.isalnum() or c in "_-")
                                                   for c in inherited)):
            if not self._warned_token:
                self._warned_token = True
                _log("ignoring INFLIGHT_LEASE_TOKEN: not 16 to 64 of [0-9A-Za-z_-]")
            return None
        row = self._read(lambda tx: tx.one(
            "SELECT l.id, l.provider, l.acquired_at_ms, l.model, l.tokens, p.pid, p.host_id, p.start_token"
            " FROM leases l JOIN processes p ON p.id = l.owner_id"
            " WHERE l.token = ? AND l.released_at_ms IS NULL", inherited))
        if row is None:
            return None
        lease_id, p, acquired, held_model, held_tokens, pid, host_id, start = row
        if p != provider or host_id != self._host_id or held_model not in ("", model):
            return None
        if not _is_ancestor(pid, start):
            return None
        lease = Lease(self, inherited, lease_id, provider, model, 1, held_tokens, acquired)
        lease.joined = True
        return lease

    def _granted(self, tx, pending):
        row = tx.one("SELECT id, acquired_at_ms FROM leases WHERE token = ? AND owner_id = ?",
                     pending.token, self._id)
        if row is None:
            return None
        lease = Lease(self, pending.token, row[0], pending.provider, pending.model, pending.weight,
                      pending.tokens, row[1])
        self._held[pending.token] = lease
        return lease

    def _wait(self, pending, timeout):
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            self._watch_commits()
            seen, commits = self._wakes, self._commits  # before the read: nothing slips between
            dv = self._data_version()
            lease, look = self._read(lambda tx: self._check(tx, pending))
            if lease is not None:
                return lease
            if look == "missing":
                again = self._submit(pending.provider, pending.model, pending.weight, pending.tokens,
                                     pending.priority, pending.label, enqueue=True)
                pending.token = again.token
                if again.lease is not None:
                    return again.lease
                continue
            due, next_at_ms, unwatched = look
            if due:
                self._write(lambda tx: self._settle(tx, pending.provider, True))
                continue
            now_mono = time.monotonic()
            if deadline is not None and now_mono >= deadline:
                got = self._cancel(pending)
                if got is not None:
                    return got
                raise TimeoutError(self._describe_timeout(pending, timeout))
            sleep = RECHECK_UNWATCHED_S if unwatched else RECHECK_WATCHED_S
            if next_at_ms is not None:
                sleep = min(sleep, max(0.0, (next_at_ms - self._clock()) / 1000))
            if deadline is not None:
                sleep = min(sleep, deadline - now_mono)
            self._sleep(sleep, seen, dv, commits)

    def _poll(self, pending):
        for _ in range(2):
            lease, look = self._read(lambda tx: self._check(tx, pending))
            if lease is not None or look == "missing":
                return lease
            due, pending.next_change_at_ms, _ = look
            if not due:
                return None
            self._write(lambda tx: self._settle(tx, pending.provider, True))
        return None

    def _check(self, tx, pending):
        """The read-only check of a waiter (migrations/README.md, "Check where my requests
        stand" and "Waiting, in version 4"): (lease, None) or (None, missing|(due, next, unwatched))."""
        lease = self._granted(tx, pending)
        if lease is not None:
            return lease, None
        if tx.one("SELECT 1 FROM queue WHERE token = ?", pending.token) is None:
            return None, "missing"
        p, now = pending.provider, tx.now
        st = S.look(tx, p)
        grants, plan, rows = S.dry_run(tx, st)
        due = grants or st.any_expired or st.rows_ahead or st.processes_ahead or st.ledger_expired
        times = []
        (cool,) = tx.one("SELECT min(cool_until_ms) FROM leases WHERE provider = ? AND released_at_ms"
                         " IS NOT NULL AND cool_until_ms > ?", p, now)
        times.append(cool)
        if st.paused_until:
            times.append(st.paused_until)
        if st.valid_until:
            times.append(st.valid_until)
        times.append(S.budget_frees_at(tx, st, plan))
        times.append(plan.word_reset_at)
        for r in rows if st.queued > 1 else ():  # rising reorders only a queue of two or more
            cls, waited = S.PRIORITIES.index(r[10]), max(0, now - r[5])
            if cls - min(3, waited // st.aging_ms) > 0:
                times.append(r[5] + (waited // st.aging_ms + 1) * st.aging_ms)
        unwatched = False
        for owner, host_id, pid, token, expires in tx.all(
                "SELECT p.id, p.host_id, p.pid, p.start_token, p.expires_at_ms FROM processes p WHERE p.id IN"
                " (SELECT owner_id FROM leases WHERE provider = ? AND owner_id IS NOT NULL"
                "  UNION SELECT owner_id FROM queue WHERE provider = ?)", p, p):
            if owner == self._id:
                continue  # my own expiry frees nothing I wait for
            if host_id != self._host_id:
                times.append(expires + 1)
                continue
            if not _identity.alive(pid, token):
                due = True
            elif not self._watch(owner):
                unwatched = True
                times.append(expires + 1)
            # a watched owner of this host holds its lock: it is never reclaimed by time
        times = [t for t in times if t is not None]
        return None, (due, min(times) if times else None, unwatched)

    def _cancel(self, pending):
        """Leave the queue. Returns the lease when the request was granted meanwhile."""
        def cancel(tx):
            if tx.run("DELETE FROM queue WHERE token = ?", pending.token):
                return None
            return self._granted(tx, pending)
        return self._write(cancel)

    def _describe_timeout(self, pending, timeout):
        def read(tx):
            st = S.look(tx, pending.provider)
            (position,) = tx.one("SELECT count(*) FROM queue WHERE provider = ?", pending.provider)
            return st, position
        st, queued = self._read(read)
        key = f"{pending.provider}/{pending.model}" if pending.model else pending.provider
        limit = "none" if st.limit is None else st.limit_in_force()
        return (f"no lease for {_identity.printable(key)!r} after {timeout}s (limit={limit}, "
                f"active={st.active}, cooling={st.cooling}, queued={queued}, paused={st.paused or bool(st.paused_until)})")

    def _release(self, lease, outcome, used_tokens, retry_after):
        self._held.pop(lease.token, None)
        retry_ms = int((DEFAULT_RETRY_AFTER_S if retry_after is None else retry_after) * 1000)
        if lease.joined:  # the holder's lease: never release it; a 429 is everyone's news
            if outcome == "rate_limited":
                def report(tx):
                    _record_429(tx, lease.provider, tx.now + retry_ms, "429 reported", tx.now)
                    self._settle(tx, lease.provider, False)
                self._write(report)
            return True

        def release(tx):
            row = tx.one("SELECT l.id, l.provider, l.owner_id, coalesce(m.cooldown_ms, 0), l.acquired_at_ms,"
                         " coalesce(m.adaptive, 0), m.max_in_flight FROM leases l"
                         " LEFT JOIN limits m ON m.provider = l.provider WHERE l.token = ?", lease.token)
            if row is None or row[2] is None:
                return False
            lease_id, p, _, cooldown, admitted, adaptive, max_in_flight = row
            if used_tokens is not None:
                tx.run("UPDATE ledger SET tokens = ? WHERE provider = ? AND started_at_ms = ? AND lease_id = ?",
                       used_tokens, p, admitted, lease_id)
            if cooldown > 0:
                tx.run("UPDATE leases SET owner_id = NULL, released_at_ms = ?, cool_until_ms = ? WHERE id = ?",
                       tx.now, tx.now + cooldown, lease_id)
            else:
                tx.run("DELETE FROM leases WHERE id = ?", lease_id)
            if outcome == "rate_limited":
                _record_429(tx, p, tx.now + retry_ms, "429 from the provider", admitted)
            elif outcome == "succeeded" and adaptive and max_in_flight is not None:
                _record_success(tx, p, admitted, max_in_flight)
            S.promote(tx, S.look(tx, p), _log)
            return True

        return self._write(release)

    # ---- waking -------------------------------------------------------------------------

    def _poke(self):
        with self._wake:
            self._wakes += 1
            self._wake.notify_all()

    def _data_version(self):
        try:
            with self._dv_lock:
                return self._dv.execute("PRAGMA data_version").fetchall()[0][0]
        except sqlite3.Error:
            return None

    def _watch_commits(self):
        """Start the inotify thread once: every write of limiter.db-wal (or a new limiter.db)
        is a commit hint. False when inotify is not available."""
        with self._lock:
            if self._inotify is None:
                self._inotify = _inotify_fd(self.home)
                self._last_hint = time.monotonic()  # a commit may have been written just before
                if self._inotify is not False:
                    threading.Thread(target=self._commit_loop, name="inflight-commits", daemon=True).start()
            return self._inotify is not False

    def _commit_loop(self):
        while True:
            try:
                data = os.read(self._inotify, 8192)
            except OSError:
                return
            if self._closed:  # closed here, never under a read (the number could be reused)
                os.close(self._inotify)
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
                with self._wake:
                    self._last_hint = time.monotonic()
                    self._commits += 1
                    self._wake.notify_all()

    def _confirm(self, dv):
        """Whether data_version moves within 1, 1, 2, 4 ... 256 ms (a commit hint comes before
        the commit is visible to readers)."""
        for pause in (0, 0.001, 0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128, 0.256):
            if pause:
                time.sleep(pause)
            if self._data_version() != dv:
                return True
        return False

    def _sleep(self, seconds, seen, dv, commits):
        """Sleep until a wake-up (socket, death watch, own grant), a visible commit of another
        connection, or the time. With inotify, a commit hint is confirmed by PRAGMA
        data_version (the event comes before the commit is visible: look again after 1, 1, 2,
        4 ... 256 ms); without it, data_version is polled with a back-off from 2 ms to 100 ms."""
        end = time.monotonic() + seconds
        if self._watch_commits():
            # A hint that came just before (or a watch just set up) may name a commit that is
            # not visible yet: confirm it first, as for a hint that comes while asleep.
            if time.monotonic() - self._last_hint < 0.3 or self._commits != commits:
                commits = self._commits
                if self._confirm(dv):
                    return
            while True:
                with self._wake:
                    left = end - time.monotonic()
                    if self._wakes != seen or left <= 0:
                        return
                    if self._commits == commits:
                        self._wake.wait(left)
                    if self._wakes != seen:
                        return
                    moved = self._commits != commits
                    commits = self._commits
                if moved and self._confirm(dv):
                    return
        step = 0.002
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return
            with self._wake:
                if self._wakes != seen:
                    return
                self._wake.wait(min(step, left))
                if self._wakes != seen:
                    return
            if self._data_version() != dv:
                return
            step = min(step * 2, 0.1)

    def _bind_socket(self):
        with self._lock:
            if self._sock is not None:
                return
            path = os.path.join(self.lockdir, f"{self._id}.sock")
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
            self._sock = s
            threading.Thread(target=self._accept_loop, args=(s,), name="inflight-wake", daemon=True).start()

    def _accept_loop(self, s):
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
            self._poke()  # the waiter reads which of its requests hold a lease

    def _watch(self, owner):
        """Watch another same-host owner's lock file with a blocking OFD lock; returns False
        when it has no lock file (then the waiter re-checks every second)."""
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

    def _death_watch(self, owner, path):
        try:
            fd = os.open(path, os.O_WRONLY)
        except OSError:
            self._watched.discard(owner)
            self._poke()
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
            self._poke()  # a death hint: the waiter checks, and settles with reap

    # ---- closing ------------------------------------------------------------------------

    def close(self):
        """Deregister: free everything this process still holds or waits for."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._stop.set()
            if self._id is not None:
                me = self._id
                self._pay_owed()

                def deregister(tx):
                    for q in sorted(S.free_process(tx, me, None)):
                        self._settle(tx, q, False)

                try:
                    self._write(deregister)
                finally:
                    if self._sock is not None:
                        self._sock.close()
                        try:
                            os.unlink(os.path.join(self.lockdir, f"{me}.sock"))
                        except OSError:
                            pass
                    if self._lock_fd is not None:
                        fcntl.lockf(self._lock_fd, fcntl.LOCK_UN)
                        os.close(self._lock_fd)
                        self._lock_fd = None
                        try:
                            os.unlink(os.path.join(self.lockdir, f"{me}.lock"))
                        except OSError:
                            pass
            for lease in self._held.values():
                lease.released = True
            self._held.clear()
            self._conn.close()
            self._dv.close()


    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


_IN_MODIFY, _IN_MOVED_TO, _IN_CREATE, _IN_Q_OVERFLOW = 0x2, 0x80, 0x100, 0x4000


def _inotify_fd(directory):
    """An inotify descriptor watching the config root, or False."""
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        fd = libc.inotify_init1(os.O_CLOEXEC)
        if fd < 0:
            return False
        if libc.inotify_add_watch(fd, os.fsencode(directory), _IN_MODIFY | _IN_CREATE | _IN_MOVED_TO) < 0:
            os.close(fd)
            return False
        return fd
    except (OSError, AttributeError):
        return False


def _is_ancestor(pid, start_token):
    """Whether process `pid` with that start token is among this process's ancestors."""
    current = os.getpid()
    for _ in range(64):
        try:
            with open(f"/proc/{current}/stat", "rb") as f:
                text = f.read().decode("ascii", "replace")
            parent = int(text[text.rfind(")") + 2 :].split(" ")[1])
        except (OSError, ValueError, IndexError):
            return False
        if parent <= 0:
            return False
        if parent == pid:
            return _identity.alive(pid, start_token)
        current = parent
    return False


def _record_429(tx, p, until, reason, admitted):
    tx.run("INSERT INTO admission (provider, paused_until_ms, pause_reason, last_429_at_ms)"
           " VALUES (?1, ?2, ?3, ?4) ON CONFLICT (provider) DO UPDATE SET"
           " pause_reason = CASE WHEN coalesce(paused_until_ms, 0) > excluded.paused_until_ms"
           "   THEN pause_reason ELSE excluded.pause_reason END,"
           " paused_until_ms = max(coalesce(paused_until_ms, 0), excluded.paused_until_ms),"
           " last_429_at_ms = excluded.last_429_at_ms", p, until, reason, tx.now)
    row = tx.one("SELECT max_in_flight FROM limits WHERE provider = ? AND adaptive = 1", p)
    if row is not None and row[0] is not None:
        tx.run("UPDATE admission SET effective_limit = max(1, min(coalesce(effective_limit, ?2), ?2) - 1),"
               " last_step_at_ms = ?3, successes = 0 WHERE provider = ?1 AND last_step_at_ms <= ?4"
               " AND EXISTS (SELECT 1 FROM limits m WHERE m.provider = ?1 AND m.adaptive = 1)",
               p, row[0], tx.now, admitted)


def _record_success(tx, p, admitted, max_in_flight):
    if tx.run("UPDATE admission SET successes = successes + 1 WHERE provider = ?1"
              " AND effective_limit IS NOT NULL AND last_step_at_ms <= ?2", p, admitted):
        tx.run("UPDATE admission SET effective_limit = CASE WHEN effective_limit + 1 >= ?2 THEN NULL"
               " ELSE effective_limit + 1 END, last_step_at_ms = ?3, successes = 0"
               " WHERE provider = ?1 AND effective_limit IS NOT NULL AND successes >= effective_limit"
               " AND ?3 - max(last_step_at_ms, coalesce(last_429_at_ms, 0)) >= ?4",
               p, max_in_flight, tx.now, 30_000)
