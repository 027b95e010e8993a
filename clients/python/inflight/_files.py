"""The config root and the checks before opening the database (migrations/README.md, "Files"
and "Opening a connection"). This client never creates or migrates the schema."""

import os
import re
import sqlite3
from typing import Optional, Union

from . import _store as S
from ._errors import SchemaError

BUSY_TIMEOUT_MS = 5000
_HINT = "run any inflight command once (for example `inflight status`) to create and migrate it"

PathLike = Union[str, "os.PathLike[str]"]


def refuse_database_url() -> None:
    """Refuses to start while INFLIGHT_DATABASE_URL names a PostgreSQL database: the Java
    processes of this machine then share limits there, and this client, which speaks only the
    SQLite engine, would silently keep limits of its own in the file."""
    url = os.environ.get("INFLIGHT_DATABASE_URL", "").strip()
    if url:
        from ._errors import DatabaseError
        masked = re.sub(r"(://[^/@:]*):[^/@]*@", r"\1:***@", url)
        masked = re.sub(r"(?i)(password=)[^&]*", r"\1***", masked)
        raise DatabaseError(
            "INFLIGHT_DATABASE_URL names the PostgreSQL database " + masked + ", and the Python"
            " client speaks only the SQLite engine: it would keep limits apart from the processes"
            " that use that database. Unset INFLIGHT_DATABASE_URL for this process to share the"
            " SQLite file of its config root instead", masked)


def resolve_home(home: Optional[PathLike] = None) -> str:
    """The config root, resolved as the Java client does: `home`, `$INFLIGHT_HOME`,
    `$XDG_CONFIG_HOME/inflight` (only when absolute), `~/.config/inflight`."""
    if home:
        return os.path.abspath(os.fspath(home))
    env = os.environ.get("INFLIGHT_HOME", "")
    if env:
        return os.path.abspath(env)
    xdg = os.environ.get("XDG_CONFIG_HOME", "")
    if xdg and os.path.isabs(xdg):
        return os.path.join(xdg, "inflight")
    return os.path.join(os.path.expanduser("~"), ".config", "inflight")


def connect(db: str) -> sqlite3.Connection:
    """A connection with the pragmas every client sets, in autocommit mode (we BEGIN ourselves)."""
    conn = sqlite3.connect(db, isolation_level=None, check_same_thread=False,
                           timeout=BUSY_TIMEOUT_MS / 1000)
    conn.execute("PRAGMA journal_mode = WAL").fetchall()
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


def _in_wal_mode(db: str) -> bool:
    """Whether SQLite says the file is in WAL mode (a fresh or empty file is not). Asked of SQLite
    rather than read with open(): closing any descriptor of the file drops every POSIX lock this
    process holds on it, SQLite's own included, and a second Limiter in a process would then let
    another process's last close delete the -wal and -shm that the first still uses. SQLite's
    connections share their locks per file within the process and close without that harm."""
    if os.path.getsize(db) == 0:
        return False
    try:
        conn = sqlite3.connect(db, timeout=BUSY_TIMEOUT_MS / 1000)
        try:
            return str(conn.execute("PRAGMA journal_mode").fetchone()[0]).lower() == "wal"
        finally:
            conn.close()
    except sqlite3.Error:
        return False


def open_database(home: str) -> sqlite3.Connection:
    """Check the files in the order the protocol asks, open, check the schema version and the
    database's identity (`limiter.db.id`); raises SchemaError naming the path otherwise."""
    db, marker = os.path.join(home, "limiter.db"), os.path.join(home, "limiter.db.id")
    if sqlite3.sqlite_version_info < (3, 37, 0):
        raise SchemaError(f"this Python's SQLite is {sqlite3.sqlite_version}; the inflight schema needs "
                          f"3.37 or newer (STRICT tables, RETURNING): use a Python built with a newer "
                          f"SQLite", db)
    if not os.path.isdir(home):
        raise SchemaError(f"the config root {home} does not exist: {_HINT}", home)
    if not os.path.exists(db):
        if os.path.exists(marker):
            raise SchemaError(f"the database {db} is missing, but {marker} says a database with limits "
                              f"existed there: its limits would be lost. Restore limiter.db from a "
                              f"backup, or delete {marker} to start afresh with no limits", db)
        raise SchemaError(f"the database {db} does not exist (schema version 0 found; this client "
                          f"needs version {S.SCHEMA_VERSION}): {_HINT}", db)
    if os.path.isdir(db) or not os.access(db, os.R_OK | os.W_OK):
        raise SchemaError(f"the database {db} is not a readable and writable file", db)
    if not _in_wal_mode(db):
        raise SchemaError(f"the database {db} is not in WAL mode yet (a fresh or empty file): "
                          f"this client does not migrate; {_HINT}", db)
    if not (os.path.exists(db + "-wal") and os.path.exists(db + "-shm")) and _any_lock_held(home):
        raise SchemaError(f"{db}-wal or -shm is missing while registered processes run: someone "
                          f"deleted them; opening now would create a second, diverging database", db)
    try:
        conn = connect(db)
        version = conn.execute("PRAGMA user_version").fetchone()[0]
    except sqlite3.Error as e:
        raise SchemaError(f"could not open the database {db}: {e}", db) from e
    if version != S.SCHEMA_VERSION:
        conn.close()
        if version > S.SCHEMA_VERSION:
            raise SchemaError(f"the database {db} has schema version {version}, newer than this "
                              f"inflight client understands (version {S.SCHEMA_VERSION}): upgrade "
                              f"it, or point it at another config root", db)
        raise SchemaError(f"the database {db} has schema version {version}; this client needs "
                          f"version {S.SCHEMA_VERSION} and does not migrate: {_HINT}", db)
    (database_id,) = conn.execute("SELECT database_id FROM database_info WHERE id = 1").fetchone()
    recorded = _read_marker(marker)
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
                          f"{marker} says {recorded}): restore it, or delete {marker} to accept it", db)
    return conn


def _read_marker(marker: str) -> Optional[str]:
    try:
        with open(marker, encoding="ascii") as f:
            for line in f:
                line = line.strip()
                if line.startswith("id="):
                    return line[3:].strip()
    except OSError:
        return None
    return None


def _any_lock_held(home: str) -> bool:
    """Whether any procs/*.lock is write-locked now, by anyone (/proc/locks)."""
    lockdir = os.path.join(home, "procs")
    try:
        names = [n for n in os.listdir(lockdir) if n.endswith(".lock")]
        with open("/proc/locks", encoding="ascii", errors="replace") as f:
            held = [line for line in f if "->" not in line and " WRITE " in line]
    except OSError:
        return False
    for name in names:
        try:
            st = os.stat(os.path.join(lockdir, name))
        except OSError:
            continue
        key = f"{os.major(st.st_dev):02x}:{os.minor(st.st_dev):02x}:{st.st_ino}"
        if any(line.split()[5:6] == [key] for line in held):
            return True
    return False
