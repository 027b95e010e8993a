#!/usr/bin/env python3
"""The Python client's figures, one `name value unit` line each on stdout (progress on stderr).

    python3 clients/python/bench.py [cycle,handoff,idle]    # all three by default
    python3 clients/python/bench.py waiter HOME PROVIDER    # the Python side of `bin/bench python`

cycle    try_acquire + release in one process, uncontended (p50, p99, cycles/s)
handoff  a Java process (`bin/inflight run`) holds the only slot, a Python waiter is queued;
         the Java command's child exits, Java releases, the Python waiter holds the lease:
         p50/p99 from the child's exit to the grant (bin/bench's `python` figure measures the
         hand-off from a release() call in a JVM instead, beside a Java waiter)
idle     CPU of one Python process with 100 queued waiters (threads), over 10 s after a 3 s
         warm-up, beside a bare Python process sleeping over the same window

It works in a fresh temporary config root, created with bin/inflight: never the user's."""

import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
CLI = os.environ.get("INFLIGHT_CLI", os.path.join(ROOT, "bin", "inflight"))
sys.path.insert(0, HERE)

from inflight import Limiter  # noqa: E402


def emit(name, value, unit):
    print(f"{name} {value:.3f} {unit}", flush=True)


def progress(message):
    print(f"bench.py: {message}", file=sys.stderr, flush=True)


def quantile(values, q):
    s = sorted(values)
    return s[min(len(s) - 1, int(q * (len(s) - 1) + 0.5))]


def cycle(home):
    progress("cycle: try_acquire + release, one process, uncontended")
    with Limiter(home) as limiter:
        limiter.limits.set("bench_cycle", 4)
        samples = []
        for i in range(3200):
            t0 = time.perf_counter_ns()
            lease = limiter.try_acquire("bench_cycle")
            lease.release()
            if i >= 200:
                samples.append((time.perf_counter_ns() - t0) / 1000)
    emit("python_cycle_p50", quantile(samples, 0.5), "us")
    emit("python_cycle_p99", quantile(samples, 0.99), "us")
    emit("python_cycles_per_s", 1e6 / (sum(samples) / len(samples)), "1/s")


def handoff(home, rounds=25):
    progress(f"handoff: {rounds} rounds, a `bin/inflight run` releases -> a Python waiter holds")
    env = {**os.environ, "INFLIGHT_NO_BUILD": "1"}
    with Limiter(home) as limiter:
        limiter.limits.set("bench_handoff", 1)
        stamp = os.path.join(home, "child-exit")
        samples = []
        for _ in range(rounds):
            java = subprocess.Popen(
                [CLI, "--home", home, "run", "-q", "-p", "bench_handoff", "-l", "java-holder", "--",
                 "sh", "-c", f'read x; date +%s%N > "{stamp}"'], stdin=subprocess.PIPE, env=env)
            while not any(w.label == "java-holder" for w in limiter.status().leases):
                time.sleep(0.005)
            pending = limiter.request("bench_handoff", label="python-waiter")
            assert pending.lease is None, "the Java process did not hold the slot"
            got = []
            waiter = threading.Thread(target=lambda: got.append((pending.wait(60), time.time_ns())))
            waiter.start()
            time.sleep(0.005)  # the waiter goes to sleep before the release
            java.stdin.write(b"go\n")
            java.stdin.close()
            waiter.join(60)
            java.wait(60)
            lease, granted_ns = got[0]
            lease.release()
            with open(stamp) as f:
                exited_ns = int(f.read().strip())
            samples.append((granted_ns - exited_ns) / 1e6)
    progress("  handoff ms: " + " ".join(f"{quantile(samples, q):.3f}" for q in (0, 0.5, 0.9, 1)))
    emit("python_handoff_from_java_p50", quantile(samples, 0.5), "ms")
    emit("python_handoff_from_java_p99", quantile(samples, 0.99), "ms")


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def idle(home, waiters=100, window=10.0):
    progress(f"idle: CPU of a process with {waiters} queued waiters, 3 s warm-up, {window:.0f} s")
    with Limiter(home) as limiter:
        limiter.limits.set("bench_idle", 1)
        held = limiter.lease("bench_idle")
        idler = subprocess.Popen([sys.executable, os.path.abspath(__file__), "idler", home, "bench_idle",
                                  str(waiters)], stdout=subprocess.PIPE)
        bare = subprocess.Popen([sys.executable, "-c", "import sys, time; import sqlite3, threading; "
                                 "print('ready', flush=True); time.sleep(3600)"], stdout=subprocess.PIPE)
        try:
            assert idler.stdout.readline().strip() == b"queued"
            assert bare.stdout.readline().strip() == b"ready"
            time.sleep(3)
            i0, b0 = cpu_seconds(idler.pid), cpu_seconds(bare.pid)
            time.sleep(window)
            i1, b1 = cpu_seconds(idler.pid), cpu_seconds(bare.pid)
        finally:
            idler.kill()
            bare.kill()
            idler.wait()
            bare.wait()
        held.release()
    emit("python_idle_bare_cpu", 100 * (b1 - b0) / window, "%")
    emit("python_idle_100_waiters_cpu", 100 * (i1 - i0) / window, "%")


def idler(home, provider, n):
    limiter = Limiter(home)
    pendings = [limiter.request(provider, label=f"idle-{i}") for i in range(int(n))]
    for p in pendings:
        threading.Thread(target=p.wait, daemon=True).start()
    print("queued", flush=True)
    threading.Event().wait()


def waiter(home, provider):
    """On each `go`: queue behind the holder, and report the CLOCK_MONOTONIC instant of the
    grant (the same clock as Java's System.nanoTime on Linux)."""
    limiter = Limiter(home)
    limiter.status()  # opens and warms what the timed path needs
    print("ready", flush=True)
    for line in sys.stdin:
        if line.strip() != "go":
            break
        pending = limiter.request(provider, label="handoff-python")
        if pending.lease is not None:
            raise SystemExit("the waiter was granted at once: the holder did not hold the lease")
        print("queued", flush=True)
        lease = pending.wait()
        t1 = time.monotonic_ns()
        lease.release()
        print(f"granted {t1}", flush=True)
    limiter.close()


def main(argv):
    if argv[:1] == ["waiter"]:
        return waiter(*argv[1:3])
    if argv[:1] == ["idler"]:
        return idler(*argv[1:4])
    figures = argv[0].split(",") if argv else ["cycle", "handoff", "idle"]
    work = tempfile.mkdtemp(prefix="inflight-pybench.")
    home = os.path.join(work, "home")
    try:
        subprocess.run([CLI, "--home", home, "status"], check=True, stdout=subprocess.DEVNULL,
                       env={**os.environ, "INFLIGHT_NO_BUILD": os.environ.get("INFLIGHT_NO_BUILD", "1")})
        for figure in figures:
            {"cycle": cycle, "handoff": handoff, "idle": idle}[figure](home)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main(sys.argv[1:])
