"""A Python process for mixed.test.mjs: prints `ready` once its limiter is open, waits for a
line on stdin, then takes COUNT leases one after another and, around each holding, appends
`+ LABEL#i` / `- LABEL#i` to the witness (one write per line, O_APPEND).
Usage: cycler.py CLIENT_DIR HOME PROVIDER LABEL WITNESS COUNT  (CLIENT_DIR: clients/python)."""

import os
import random
import sys
import time


def main(client_dir, home, provider, label, witness, count):
    sys.path.insert(0, client_dir)
    from inflight import Limiter

    fd = os.open(witness, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        with Limiter(home) as limiter:
            print("ready", flush=True)
            sys.stdin.readline()  # go
            for i in range(int(count)):
                name = f"{label}#{i}"
                with limiter.acquire(provider, label=name, timeout=120):
                    os.write(fd, f"+ {name}\n".encode())
                    time.sleep(random.random() / 500)  # the simulated request, up to 2 ms
                    os.write(fd, f"- {name}\n".encode())
    finally:
        os.close(fd)


if __name__ == "__main__":
    main(*sys.argv[1:])
