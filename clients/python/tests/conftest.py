"""Fixtures: a version-5 database created once by the Java CLI, copied for each test."""

import os
import shutil
import sqlite3
import subprocess
import sys
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
CLI = os.environ.get("INFLIGHT_CLI", os.path.join(ROOT, "bin", "inflight"))
sys.path.insert(0, os.path.abspath(os.path.join(HERE, "..")))


@pytest.fixture(scope="session")
def template(tmp_path_factory):
    """limiter.db as `inflight status` creates and migrates it (schema version 5)."""
    home = tmp_path_factory.mktemp("template")
    subprocess.run([CLI, "--home", str(home), "status"], check=True, stdout=subprocess.DEVNULL,
                   timeout=300)
    return home


@pytest.fixture
def home(template, tmp_path):
    target = tmp_path / "home"
    target.mkdir(mode=0o700)
    for name in ("limiter.db", "limiter.db.id"):
        shutil.copy2(template / name, target / name)
    return target


class Clock:
    """An injected wall clock in ms, starting at the real time (the database's triggers refuse
    times more than a day ahead of it)."""

    def __init__(self):
        self.ms = time.time_ns() // 1_000_000

    def __call__(self):
        return self.ms

    def advance(self, ms):
        self.ms += ms


@pytest.fixture
def clock():
    return Clock()


class Db:
    """Hand edits and reads, as a person with sqlite3 would make them."""

    def __init__(self, home):
        self.conn = sqlite3.connect(str(home / "limiter.db"), isolation_level=None, timeout=5)

    def __call__(self, sql, *args):
        return self.conn.execute(sql, args).fetchall()

    def value(self, sql, *args):
        return self(sql, *args)[0][0]


@pytest.fixture
def db(home):
    d = Db(home)
    yield d
    d.conn.close()


@pytest.fixture
def limiters(home, clock):
    """make() gives a fresh Limiter (its own process row) on the test's database."""
    from inflight import Limiter
    made = []

    def make():
        lim = Limiter(home, clock=clock, heartbeat=False)
        made.append(lim)
        return lim

    yield make
    for lim in made:
        lim.close()


def java_status(home):
    """What the Java command sees: `inflight status --json`, an independent witness."""
    import json
    out = subprocess.run([CLI, "--home", str(home), "status", "--json"], check=True,
                         stdout=subprocess.PIPE, timeout=120).stdout
    return json.loads(out)


def until(condition, what, deadline_s=90):
    """Wait for a condition (not for time to pass), with a generous deadline."""
    end = time.monotonic() + deadline_s
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > end:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(0.01)


@pytest.fixture
def fake_provider():
    from fakeprovider import FakeProvider
    server = FakeProvider()
    yield server
    server.close()
