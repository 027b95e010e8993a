"""Bad input is refused with a ValueError that names the parameter, the rule and the value,
and changes nothing; a database this client cannot write is refused, naming the path."""

import os
import sqlite3

import pytest

from inflight import Limiter, SchemaError


def nothing_written(db):
    return (db.value("SELECT count(*) FROM leases"), db.value("SELECT count(*) FROM queue"))


@pytest.mark.parametrize("kwargs, message", [
    (dict(weight=0), "weight must be an integer from 1 to 10000 (was 0)"),
    (dict(weight=10001), "weight must be an integer from 1 to 10000 (was 10001)"),
    (dict(weight=1.5), "weight must be an integer from 1 to 10000 (was 1.5)"),
    (dict(priority="urgent"), "priority must be one of interactive, normal, batch (was 'urgent')"),
    (dict(tokens=-1), "tokens must be None or an integer from 0 to 100000000 (was -1)"),
    (dict(label="x\x1b[2J"), "label must not hold control characters"),
    (dict(model="gpt\n4o"), "model must not hold control characters"),
    (dict(model="openai/gpt-4o"), "model must be the model's own name under its provider"),
])
def test_bad_request_parameters_are_refused_and_change_nothing(limiters, db, kwargs, message):
    a = limiters()
    for call in (a.acquire, a.try_acquire, a.request):
        with pytest.raises(ValueError) as e:
            call("openai", **kwargs)
        assert message in str(e.value)
    assert nothing_written(db) == (0, 0)


@pytest.mark.parametrize("provider, message", [
    ("", "provider must be 1 to 200 characters (was 0"),
    ("p" * 201, "provider must be 1 to 200 characters (was 201"),
    ("open\x00ai", "provider must not hold control characters"),
    ("open\u0085ai", "provider must not hold control characters"),
])
def test_bad_provider_names_are_refused(limiters, db, provider, message):
    with pytest.raises(ValueError) as e:
        limiters().acquire(provider)
    assert message in str(e.value)
    assert nothing_written(db) == (0, 0)


def test_a_weight_above_the_providers_limit_is_refused(limiters, db):
    db("INSERT INTO limits (provider, max_in_flight) VALUES ('openai', 2)")
    with pytest.raises(ValueError, match=r"^weight must be at most the in-flight limit of openai \(2\), "
                                         r"or the request for openai could never be granted \(was 3\)$"):
        limiters().try_acquire("openai", weight=3)
    assert nothing_written(db) == (0, 0)


def test_a_bad_outcome_is_refused_and_the_lease_stays_held(limiters, db):
    lease = limiters().acquire("openai")
    with pytest.raises(ValueError, match=r"outcome must be one of succeeded, rate_limited, failed, "
                                         r"cancelled \(was 'ok'\)"):
        lease.release("ok")
    assert db.value("SELECT count(*) FROM leases WHERE owner_id IS NOT NULL") == 1
    assert lease.release() is True
    assert lease.release() is False, "a second release does nothing"


def test_a_newer_schema_version_is_refused_naming_the_path_and_the_version(home):
    conn = sqlite3.connect(str(home / "limiter.db"))
    conn.execute("PRAGMA user_version = 6")
    conn.close()
    with pytest.raises(SchemaError) as e:
        Limiter(home)
    assert str(e.value).startswith(f"the database {home / 'limiter.db'} has schema version 6, newer than")


def test_a_schema_change_while_running_stops_every_write(home, db):
    lim = Limiter(home, heartbeat=False)
    try:
        db("PRAGMA user_version = 6")
        with pytest.raises(SchemaError, match="changed to schema version 6 while this process ran"):
            lim.acquire("openai")
    finally:
        db("PRAGMA user_version = 5")
        lim.close()


def test_a_missing_database_is_refused_with_what_to_do(tmp_path):
    with pytest.raises(SchemaError) as e:
        Limiter(tmp_path)
    message = str(e.value)
    assert str(tmp_path / "limiter.db") in message and "schema version 0" in message
    assert "inflight status" in message
    assert not os.path.exists(tmp_path / "limiter.db"), "it never creates a schema of its own"


def test_a_deleted_database_with_its_marker_left_is_refused(home):
    os.unlink(home / "limiter.db")
    with pytest.raises(SchemaError, match="is missing, but .*limiter.db.id says"):
        Limiter(home)


def test_a_replaced_database_is_refused(home):
    (home / "limiter.db.id").write_text("id=00000000000000000000000000000000\n")
    with pytest.raises(SchemaError, match="is not the one that was here"):
        Limiter(home)


def test_the_config_root_resolves_as_the_java_client_does(monkeypatch, tmp_path):
    from inflight import resolve_home
    monkeypatch.setenv("INFLIGHT_HOME", "")
    monkeypatch.setenv("XDG_CONFIG_HOME", "relative")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert resolve_home() == str(tmp_path / ".config" / "inflight")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert resolve_home() == str(tmp_path / "xdg" / "inflight")
    monkeypatch.setenv("INFLIGHT_HOME", str(tmp_path / "ih"))
    assert resolve_home() == str(tmp_path / "ih")
    assert resolve_home(tmp_path / "given") == str(tmp_path / "given")


def test_a_postgresql_database_url_is_refused_rather_than_kept_apart_from_it(monkeypatch, home):
    from inflight import DatabaseError
    monkeypatch.setenv("INFLIGHT_DATABASE_URL", "postgresql://me:hunter2@db.example.com/team")
    with pytest.raises(DatabaseError) as e:
        Limiter(home)
    message = str(e.value)
    assert "postgresql://me:***@db.example.com/team" in message
    assert "speaks only the SQLite engine" in message
    assert "hunter2" not in message
