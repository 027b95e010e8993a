"""Who this process is, and whether another one is alive (migrations/README.md,
"Process identity and liveness"). Computed exactly as the Java client does, or Java
would take this process for one of another host."""

import os
import socket
import sys

_CONTROL = {chr(c) for c in range(0x00, 0x20)} | {chr(c) for c in range(0x7F, 0xA0)}


def printable(text):
    """Control characters as escapes, for messages that quote rows others wrote."""
    return "".join(f"\\x{ord(c):02x}" if c in _CONTROL else c for c in text)


def has_control(text):
    return any(c in _CONTROL for c in text)


def host_id():
    try:
        with open("/proc/sys/kernel/random/boot_id", encoding="ascii") as f:
            boot = f.read().strip()
        ns = os.readlink("/proc/self/ns/pid")
        if boot and ns:
            return f"{boot}/{ns}"
    except OSError:
        pass
    return "host:" + host_name()


def host_name():
    name = os.environ.get("HOSTNAME", "")
    if name.strip():
        return _clean(name.strip())
    try:
        with open("/etc/hostname", encoding="utf-8") as f:
            first = f.readline().strip()
        if first:
            return _clean(first)
    except OSError:
        pass
    try:
        resolved = socket.gethostname()
        if resolved:
            return _clean(resolved)
    except OSError:
        pass
    return "localhost"


def exe_name():
    try:
        name = os.path.basename(os.readlink("/proc/self/exe"))
    except OSError:
        name = os.path.basename(sys.executable or "") or "python3"
    return _clean(name) or "python3"


def _clean(text):
    return "".join(c for c in text if c not in _CONTROL)


def start_token(pid):
    """Field 22 of /proc/PID/stat as text; None when the process is gone (or has ended
    and is only a zombie); 'unknown' off Linux."""
    if not os.path.isdir("/proc/self"):
        return "unknown"
    try:
        with open(f"/proc/{int(pid)}/stat", "rb") as f:
            text = f.read().decode("ascii", "replace")
    except (OSError, ValueError):
        return None
    close = text.rfind(")")
    if close < 0:
        return None
    rest = text[close + 2 :].split(" ")
    if len(rest) < 20:
        return None
    state, flags, threads = rest[0], int(rest[6]), int(rest[17])
    if threads <= 1 and (state in ("Z", "X", "x") or flags & 0x4):
        return None
    return rest[19]


def alive(pid, stored_token):
    """Liveness of a row of this host: its pid runs and carries the stored start token."""
    current = start_token(pid)
    if current is None:
        return False
    if current == "unknown" or stored_token == "unknown":
        return True
    return current == stored_token


def holds_write_lock(path, pid):
    """Whether /proc/locks lists a granted POSIX WRITE lock of `pid` (or an OFD write lock)
    on the file at `path`. None when /proc/locks cannot be read."""
    try:
        st = os.stat(path)
    except OSError:
        return False
    key = f"{os.major(st.st_dev):02x}:{os.minor(st.st_dev):02x}:{st.st_ino}"
    try:
        with open("/proc/locks", encoding="ascii", errors="replace") as f:
            lines = f.readlines()
    except OSError:
        return None
    for line in lines:
        if "->" in line:
            continue  # a blocked request, not a held lock
        parts = line.split()
        if len(parts) < 6:
            continue
        kind, mode, holder, where = parts[1], parts[3], parts[4], parts[5]
        if where != key or mode != "WRITE":
            continue
        if kind == "POSIX" and holder == str(pid):
            return True
        if kind == "OFDLCK" and holder in ("-1", str(pid)):
            return True
    return False
