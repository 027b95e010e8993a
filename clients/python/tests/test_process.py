"""Registration, heartbeat and proof of life, as other processes see them."""

import os

from inflight import _identity


def test_registering_writes_a_row_others_can_check_and_holds_the_lock_file(limiters, db, home):
    a = limiters()
    a.acquire("openai")
    host_id, pid, token, name = db("SELECT host_id, pid, start_token, name FROM processes WHERE id = ?",
                                   a.process_id)[0]
    assert (host_id, pid) == (_identity.host_id(), os.getpid())
    assert token == _identity.start_token(os.getpid()) and name
    lock = home / "procs" / f"{a.process_id}.lock"
    assert _identity.holds_write_lock(str(lock), os.getpid()) is True
    assert oct(os.stat(lock).st_mode & 0o777) == "0o600"
    assert oct(os.stat(home / "procs").st_mode & 0o777) == "0o700"


def test_a_heartbeat_that_finds_its_row_gone_registers_again_under_the_same_id(limiters, db):
    a = limiters()
    lease = a.acquire("openai")
    me = a.process_id
    db("DELETE FROM processes WHERE id = ?", me)  # a hand edit: everything it held is freed
    a.heartbeat()
    assert lease.lost, "its leases are lost, not released"
    assert a.process_id == me
    assert db.value("SELECT count(*) FROM processes WHERE id = ?", me) == 1
    assert lease.release() is False


def test_an_expired_row_that_holds_its_lock_is_renewed_not_reclaimed(limiters, db, clock):
    a, b = limiters(), limiters()
    db("INSERT INTO limits (provider, max_in_flight) VALUES ('openai', 1)")
    held = a.acquire("openai")
    clock.advance(31_000)  # a's TTL has passed on b's clock, but a holds procs/<a>.lock
    assert b.try_acquire("openai") is None
    assert db.value("SELECT count(*) FROM leases WHERE id = ?", held.id) == 1
    assert db.value("SELECT expires_at_ms FROM processes WHERE id = ?", a.process_id) == clock.ms + 60_000


def test_close_deregisters_and_frees_what_it_held(limiters, db, home):
    a = limiters()
    a.acquire("openai")
    me = a.process_id
    a.close()
    assert db.value("SELECT count(*) FROM processes") == 0
    assert db.value("SELECT count(*) FROM leases") == 0
    assert not (home / "procs" / f"{me}.lock").exists()


def test_a_second_limiter_closed_in_this_process_leaves_the_first_its_wal(home, clock):
    """Another process's last close must not delete the -wal and -shm a live Limiter still uses.
    It once did after a second Limiter opened here: its open read the file's header with open(),
    and closing that descriptor dropped every POSIX lock of this process on the file."""
    import subprocess
    from inflight import Limiter
    db = str(home / "limiter.db")
    first = Limiter(home, clock=clock, heartbeat=False)
    try:
        first.acquire("openai").release()
        wal_before = os.stat(db + "-wal").st_ino
        Limiter(home, clock=clock, heartbeat=False).close()
        subprocess.run(["sqlite3", "-cmd", ".timeout 5000", db, "SELECT count(*) FROM limits"],
                       check=True, stdout=subprocess.DEVNULL)
        assert os.path.exists(db + "-wal") and os.path.exists(db + "-shm"), \
            "another process's last close deleted the WAL this process still uses"
        assert os.stat(db + "-wal").st_ino == wal_before
    finally:
        first.close()
