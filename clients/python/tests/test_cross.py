"""Python and Java processes on one database. Each process writes `+ label` / `- label` to an
independent witness file (O_APPEND) around holding its lease; the witness proves the limit and
the serving order. Waits are for conditions, with generous deadlines; no duration is asserted."""

import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from conftest import CLI, HERE

from inflight import Limiter

WORKER = os.path.join(HERE, "worker.py")
DEADLINE_S = 90


def java(home, provider, label, witness, hold="0.05", **kw):
    script = f'echo "+ {label}" >> "$W"; sleep {hold}; echo "- {label}" >> "$W"'
    return subprocess.Popen([CLI, "--home", str(home), "run", "-q", "-p", provider, "-l", label, "--",
                             "sh", "-c", script], env={**os.environ, "W": str(witness)},
                            start_new_session=True, **kw)


def python(home, provider, label, witness, priority="normal", hold="0.05"):
    return subprocess.Popen([sys.executable, WORKER, str(home), provider, label, str(witness), priority,
                             hold], start_new_session=True)


def until(condition, what):
    end = time.monotonic() + DEADLINE_S
    while not condition():
        if time.monotonic() > end:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(0.01)  # waiting for a condition, not letting time pass


def lines(witness):
    return witness.read_text().splitlines() if witness.exists() else []


def check_witness(witness, limit, labels):
    running, most = set(), 0
    for line in lines(witness):
        sign, label = line.split(" ", 1)
        if sign == "+":
            assert label not in running
            running.add(label)
            most = max(most, len(running))
        else:
            running.remove(label)
    assert most <= limit, f"{most} held at once under a limit of {limit}: {lines(witness)}"
    assert sorted(line[2:] for line in lines(witness) if line[0] == "+") == sorted(labels)
    assert not running
    return [line[2:] for line in lines(witness) if line[0] == "+"]


def queued(db, provider):
    return db.value("SELECT count(*) FROM queue WHERE provider = ?", provider)


def finish(procs):
    for p in procs:
        assert p.wait(timeout=DEADLINE_S) == 0


@pytest.mark.parametrize("limit", [1, 2])
def test_python_and_java_processes_never_exceed_the_limit(home, db, tmp_path, limit):
    db("INSERT INTO limits (provider, max_in_flight) VALUES ('xl', ?)", limit)
    witness = tmp_path / "witness"
    procs = [java(home, "xl", "java1", witness), java(home, "xl", "java2", witness)]
    procs += [python(home, "xl", f"py{i}", witness) for i in range(6)]
    finish(procs)
    check_witness(witness, limit, ["java1", "java2"] + [f"py{i}" for i in range(6)])


def test_the_queue_is_served_first_come_first_served_across_languages(home, db, tmp_path):
    db("INSERT INTO limits (provider, max_in_flight) VALUES ('xl', 1)")
    witness = tmp_path / "witness"
    procs = []
    with Limiter(home) as holder:
        lease = holder.acquire("xl", label="holder")
        for i, start in enumerate([java, python, java, python, python]):
            procs.append(start(home, "xl", f"w{i}", witness))
            until(lambda: queued(db, "xl") == i + 1, f"w{i} to queue")
        lease.release()
        finish(procs)
    assert check_witness(witness, 1, [f"w{i}" for i in range(5)]) == [f"w{i}" for i in range(5)]


def test_priority_classes_order_python_requests_around_a_java_one(home, db, tmp_path):
    db("INSERT INTO limits (provider, max_in_flight) VALUES ('xl', 1)")
    witness = tmp_path / "witness"
    with Limiter(home) as holder:
        lease = holder.acquire("xl", label="holder")
        procs = []
        for n, (label, prio) in enumerate([("batch", "batch"), ("java", None), ("inter", "interactive")]):
            procs.append(java(home, "xl", label, witness) if prio is None
                         else python(home, "xl", label, witness, priority=prio))
            until(lambda: queued(db, "xl") == n + 1, f"{label} to queue")
        lease.release()
        finish(procs)
    assert check_witness(witness, 1, ["batch", "java", "inter"]) == ["inter", "java", "batch"]


def test_a_killed_python_holder_is_reclaimed_by_a_waiting_java_process(home, db, tmp_path):
    db("INSERT INTO limits (provider, max_in_flight) VALUES ('xl', 1)")
    witness = tmp_path / "witness"
    holder = python(home, "xl", "py", witness, hold="forever")
    until(lambda: "+ py" in lines(witness), "the Python holder")
    waiter = java(home, "xl", "java", witness)
    until(lambda: queued(db, "xl") == 1, "the Java waiter to queue")
    holder.kill()
    holder.wait()
    assert waiter.wait(timeout=DEADLINE_S) == 0
    assert lines(witness) == ["+ py", "+ java", "- java"]
    assert db.value("SELECT count(*) FROM processes") == 0


def test_a_killed_java_holder_is_reclaimed_by_a_waiting_python_process(home, db, tmp_path):
    db("INSERT INTO limits (provider, max_in_flight) VALUES ('xl', 1)")
    witness = tmp_path / "witness"
    holder = java(home, "xl", "java", witness, hold="600")
    until(lambda: "+ java" in lines(witness), "the Java holder")
    got = {}
    with Limiter(home) as waiter:
        t = threading.Thread(target=lambda: got.setdefault("lease", waiter.acquire("xl", timeout=DEADLINE_S)))
        t.start()
        until(lambda: queued(db, "xl") == 1, "the Python waiter to queue")
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait()
        os.killpg(holder.pid, signal.SIGKILL)  # the orphaned `sleep` of its command
        t.join(DEADLINE_S)
        assert got["lease"].id > 0
        assert db.value("SELECT count(*) FROM leases WHERE owner_id = ?", waiter.process_id) == 1
        got["lease"].release()


def test_a_python_process_under_inflight_run_joins_the_java_lease_instead_of_waiting_for_it(
        home, db, tmp_path):
    db("INSERT INTO limits (provider, max_in_flight) VALUES ('xl', 1)")
    witness = tmp_path / "witness"
    run = subprocess.run([CLI, "--home", str(home), "run", "-q", "-p", "xl", "-l", "java", "--",
                          sys.executable, WORKER, str(home), "xl", "py", str(witness), "normal", "0", "20"],
                         timeout=DEADLINE_S)
    assert run.returncode == 0
    joined, plus, minus = lines(witness)
    _, flag, lease_id, env_id = joined.split(" ")
    assert (flag, lease_id) == ("True", env_id)
    assert (plus, minus) == ("+ py", "- py")
    assert db.value("SELECT count(*) FROM leases") == 0


def test_java_status_shows_a_python_holder_and_does_not_reclaim_it(home, db):
    import json
    db("INSERT INTO limits (provider, max_in_flight) VALUES ('xl', 1)")
    with Limiter(home) as holder:
        lease = holder.acquire("xl/gpt-4o", label="py-holder")
        out = subprocess.run([CLI, "--home", str(home), "status", "--json"], capture_output=True, text=True,
                             timeout=DEADLINE_S, check=True).stdout
        status = json.loads(out)
        assert [(x["id"], x["label"], x["pid"]) for x in status["leases"]] == [(lease.id, "py-holder", os.getpid())]
        assert lease.release() is True, "still held after the status read reclaimed what was dead"
