"""A Python process that takes one lease, and writes `+ LABEL` / `- LABEL` to a witness file
(O_APPEND) around holding it. Usage:
  worker.py HOME PROVIDER LABEL WITNESS [PRIORITY] [HOLD]
HOLD: seconds to hold (the workload), or `forever` (until killed)."""

import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from inflight import Limiter  # noqa: E402


def witness(path, line):
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, (line + "\n").encode())
    finally:
        os.close(fd)


def main(home, provider, label, path, priority="normal", hold="0.05", timeout="120"):
    with Limiter(home) as limiter:
        with limiter.acquire(provider, priority=priority, label=label, timeout=float(timeout)) as lease:
            if os.environ.get("INFLIGHT_LEASE_TOKEN"):
                witness(path, f"joined {lease.joined} {lease.id} {os.environ.get('INFLIGHT_LEASE_ID')}")
            witness(path, f"+ {label}")
            if hold == "forever":
                while True:
                    time.sleep(3600)
            time.sleep(float(hold))
            witness(path, f"- {label}")


if __name__ == "__main__":
    main(*sys.argv[1:])
