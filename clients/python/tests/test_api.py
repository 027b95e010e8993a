"""The API the issue names: the lease front door, release with the real token count, report_429,
observe, status and the limits, each checked against the database or the Java command."""

import datetime
import logging
import subprocess
import threading

import pytest

from conftest import CLI, java_status, until

import inflight
from inflight import DatabaseError, Limiter, Outcome


def test_lease_is_the_front_door_and_acquire_the_same_door(limiters, db):
    limiter = limiters()
    assert Limiter.acquire is Limiter.lease
    with limiter.lease("openai", model="gpt-4o", timeout=30, label="planner", tokens=2000,
                       priority="interactive") as lease:
        assert db("SELECT provider, model, label, tokens FROM leases WHERE owner_id IS NOT NULL") == [
            ("openai", "gpt-4o", "planner", 2000)]
        assert (lease.provider, lease.model, lease.tokens) == ("openai", "gpt-4o", 2000)
    assert db.value("SELECT count(*) FROM leases") == 0


def test_release_with_usage_corrects_the_reservation_in_the_token_budget(limiters, db):
    limiter = limiters()
    limiter.limits.set("openai", 4, tokens_per_minute=10_000)
    lease = limiter.lease("openai", tokens=2000)
    assert db.value("SELECT tokens FROM ledger") == 2000
    assert lease.release(Outcome.SUCCEEDED, 340) is True
    assert db.value("SELECT tokens FROM ledger") == 340
    with pytest.raises(ValueError, match=r"^usage must be None or an integer from 0 to 1000000000 \(was -5\)$"):
        limiter.lease("openai").release("succeeded", -5)


def test_report_429_pauses_the_provider_for_java_too(limiters, clock):
    limiter = limiters()
    until_at = limiter.report_429("openai", retry_after=90)
    assert until_at == datetime.datetime.fromtimestamp((clock() + 90_000) / 1000, datetime.timezone.utc)
    (openai,) = [p for p in java_status(limiter.home)["providers"] if p["provider"] == "openai"]
    assert openai["paused_left_ms"] > 0 and openai["paused_reason"] == "429 reported"
    assert limiters().try_acquire("openai") is None
    with pytest.raises(ValueError, match=r"^retry_after must be None or a number of seconds from 0 to 86400 "
                                         r"\(was 90000\)$"):
        limiter.report_429("openai", retry_after=90000)


OPENAI = {"x-ratelimit-limit-requests": "500", "x-ratelimit-remaining-requests": "7",
          "x-ratelimit-reset-requests": "6m0s", "x-ratelimit-limit-tokens": "30000",
          "x-ratelimit-remaining-tokens": "29000", "x-ratelimit-reset-tokens": "1.5s"}


def test_observe_writes_the_same_word_as_the_java_observe(limiters, db):
    limiter = limiters()
    seen = limiter.observe("openai", "py-model", OPENAI)
    assert (seen.requests_remaining, seen.tokens_remaining, seen.paused_until) == (7, 29000, None)
    subprocess.run([CLI, "--home", str(limiter.home), "observe", "openai/java-model"]
                   + [f"--header={k}: {v}" for k, v in OPENAI.items()], check=True, stdout=subprocess.DEVNULL)
    rows = db("SELECT model, requests_remaining, requests_reset_at_ms - observed_at_ms, tokens_remaining,"
              " tokens_reset_at_ms - observed_at_ms FROM upstream_budget ORDER BY model")
    assert [r[1:] for r in rows] == [(7, 360_000, 29000, 1500)] * 2, rows


def test_observe_reads_anthropic_headers_taking_the_tightest_token_count(limiters, db, clock):
    reset = datetime.datetime.fromtimestamp(clock() / 1000 + 30, datetime.timezone.utc)
    at = reset.strftime("%Y-%m-%dT%H:%M:%S.%f") + "Z"
    seen = limiters().observe("anthropic", None, {
        "anthropic-ratelimit-requests-remaining": "40", "anthropic-ratelimit-requests-reset": at,
        "anthropic-ratelimit-tokens-remaining": "9000", "anthropic-ratelimit-tokens-reset": at,
        "anthropic-ratelimit-input-tokens-remaining": "5000", "anthropic-ratelimit-input-tokens-reset": at,
        "anthropic-ratelimit-output-tokens-remaining": "7000"})
    assert (seen.requests_remaining, seen.tokens_remaining) == (40, 5000)
    assert db("SELECT model, requests_remaining, tokens_remaining FROM upstream_budget") == [("", 40, 5000)]
    assert db.value("SELECT requests_reset_at_ms - observed_at_ms FROM upstream_budget") == pytest.approx(
        30_000, abs=2)


def test_observe_takes_retry_after_as_a_pause_in_seconds_or_as_an_http_date(limiters, clock):
    limiter = limiters()
    assert limiter.observe("openai", None, {"Retry-After": "20"}).paused_until == \
        datetime.datetime.fromtimestamp((clock() + 20_000) / 1000, datetime.timezone.utc)
    date = datetime.datetime.fromtimestamp(clock() // 1000 + 600, datetime.timezone.utc)
    seen = limiter.observe("anthropic", None, {"retry-after": date.strftime("%a, %d %b %Y %H:%M:%S GMT")})
    assert seen.paused_until is not None and abs(seen.paused_until - date) < datetime.timedelta(seconds=1)


def test_observe_ignores_what_it_cannot_read_with_one_debug_line_each(limiters, db, caplog):
    caplog.set_level(logging.DEBUG, logger="inflight")
    seen = limiters().observe("openai", "gpt-4o", {
        "x-ratelimit-remaining-requests": "lots", "x-ratelimit-remaining-tokens": "100",
        "x-ratelimit-reset-tokens": "soon", "retry-after": "tomorrow", "x-unknown": "1"})
    assert seen.understood()  # the token count was read
    assert seen.tokens_remaining == 100 and seen.requests_remaining == -1 and seen.paused_until is None
    ignored = [r.getMessage() for r in caplog.records if "ignored the header" in r.getMessage()]
    assert sorted(ignored) == ["ignored the header retry-after: tomorrow (not understood)",
                               "ignored the header x-ratelimit-remaining-requests: lots (not understood)",
                               "ignored the header x-ratelimit-reset-tokens: soon (not understood)"]
    assert db.value("SELECT count(*) FROM admission") == 0, "no pause from an unreadable retry-after"
    assert limiters().observe("openai", None, None).understood() is False


def test_status_lists_providers_models_leases_and_the_queue_in_serving_order(limiters):
    a, b = limiters(), limiters()
    a.limits.set("openai", 1)
    a.limits.set_model("openai", "gpt-4o", 1)
    held = a.lease("openai", model="gpt-4o", label="holder")
    b.request("openai", label="second", priority="batch")
    b.request("openai", label="first", priority="interactive")
    st = a.status()
    openai = st.provider("openai")
    assert (openai.max_in_flight, openai.active, openai.queued, openai.paused) == (1, 1, 2, False)
    assert [(m.model, m.max_in_flight, m.in_flight) for m in openai.models] == [("gpt-4o", 1, 1)]
    assert [(l.id, l.label, l.owner_id) for l in st.leases] == [(held.id, "holder", a.process_id)]
    assert [(w.label, w.position) for w in st.queue] == [("first", 1), ("second", 2)]


def test_limits_set_by_python_are_the_limits_java_reads(limiters):
    limiter = limiters()
    spec = limiter.limits.set("openai", 3, cooldown=0.25, requests_per_minute=60, aging=10)
    assert (spec.max_in_flight, spec.cooldown, spec.requests_per_minute, spec.aging) == (3, 0.25, 60, 10)
    limiter.limits.set_model("openai", "gpt-4o", 1, tokens_per_minute=30000, default_tokens=1000)
    listed = subprocess.run([CLI, "--home", str(limiter.home), "limits", "list", "--json"], check=True,
                            stdout=subprocess.PIPE).stdout.decode()
    assert '"openai"' in listed and '"gpt-4o"' in listed
    assert [m.model for m in limiter.limits.models()] == ["gpt-4o"]
    assert limiter.limits.unset_model("openai", "gpt-4o") is True
    assert limiter.limits.unset("openai") is True and limiter.limits.get("openai") is None
    assert limiter.limits.unset("openai") is False


def test_a_raised_limit_grants_a_waiting_request_at_once(limiters):
    a, b = limiters(), limiters()
    a.limits.set("openai", 1)
    a.lease("openai")
    pending = b.request("openai")
    assert pending.poll() is None
    a.limits.set("openai", 2)
    assert pending.wait(60) is not None


def test_pause_and_resume(limiters):
    limiter = limiters()
    with pytest.raises(ValueError, match=r"^provider must have a limit to be paused \(was 'openai'\)$"):
        limiter.limits.pause("openai")
    limiter.limits.set("openai", 2)
    limiter.limits.pause("openai")
    assert limiter.limits.get("openai").paused and limiter.try_acquire("openai") is None
    limiter.limits.resume("openai")
    assert limiter.try_acquire("openai") is not None
    limiter.report_429("anthropic", 60)
    limiter.limits.resume("anthropic")  # lifts the 429 pause of a provider without a limit
    assert limiter.try_acquire("anthropic") is not None


@pytest.mark.parametrize("call, message", [
    (lambda l: l.limits.set("openai", 0), "max_in_flight must be None or an integer from 1 to 10000 (was 0)"),
    (lambda l: l.limits.set("openai"), "max_in_flight must be an integer from 1 to 10000, or None when a"),
    (lambda l: l.limits.set("openai", 2, cooldown=-1), "cooldown must be a number of seconds from 0 to 3600"),
    (lambda l: l.limits.set("openai", 2, aging=0.5), "aging must be a number of seconds from 1 to 3600 (was 0.5)"),
    (lambda l: l.limits.set("openai", 2, requests_per_minute=0), "requests_per_minute must be None or an integer"),
    (lambda l: l.limits.set_model("openai", "openai/gpt-4o", 1), "model must be the model's own name"),
    (lambda l: l.limits.set("", 1), "provider must be 1 to 200 characters (was 0"),
])
def test_bad_limits_are_refused_naming_the_parameter_and_nothing_changes(limiters, db, call, message):
    with pytest.raises(ValueError) as e:
        call(limiters())
    assert message in str(e.value)
    assert db.value("SELECT count(*) FROM limits") + db.value("SELECT count(*) FROM model_limits") == 0


def test_a_limit_the_database_refuses_is_a_value_error_naming_the_parameter_and_the_rule(limiters, db):
    with pytest.raises(ValueError) as e:
        limiters().limits.set("openai", 2, tokens_per_minute=100, default_tokens=500)
    assert str(e.value) == ("default_tokens must satisfy the database's rule 'CHECK constraint failed: "
                            "default_tokens <= coalesce(tokens_per_minute, default_tokens)' (was 500)")
    assert db.value("SELECT count(*) FROM limits") == 0


def test_a_database_locked_past_every_retry_raises_one_error_naming_the_file(home, db, monkeypatch):
    monkeypatch.setattr(inflight._files, "BUSY_TIMEOUT_MS", 50)
    with Limiter(home, heartbeat=False) as limiter:
        db("BEGIN IMMEDIATE")
        try:
            with pytest.raises(DatabaseError) as e:
                limiter.report_429("openai")
        finally:
            db("ROLLBACK")
        assert e.value.path == str(home / "limiter.db") and e.value.retryable
        assert str(e.value).startswith(f"could not record a 429 in {home / 'limiter.db'}: another process")


def test_without_inotify_a_waiter_polls_and_sees_a_hand_edit(home, db, monkeypatch):
    monkeypatch.setenv("INFLIGHT_NO_INOTIFY", "1")
    with Limiter(home, heartbeat=False) as a, Limiter(home, heartbeat=False) as b:
        db("INSERT INTO limits (provider, max_in_flight) VALUES ('openai', 1)")
        a.lease("openai")
        got = []
        waiter = threading.Thread(target=lambda: got.append(b.lease("openai", timeout=120)))
        waiter.start()
        until(lambda: db.value("SELECT count(*) FROM queue") == 1, "b to queue")
        db("UPDATE limits SET max_in_flight = 2")  # a hand edit: no wake-up socket, only a commit
        waiter.join(120)
        assert got and got[0] is not None
        assert b._waker.watch_commits() is False, "this waiter polled PRAGMA data_version"


def test_a_commit_that_changes_nothing_of_the_provider_costs_a_waiter_no_check(limiters, db, monkeypatch):
    a, b = limiters(), limiters()
    a.limits.set("openai", 1)
    a.lease("openai")
    checks = []
    real_check = Limiter._check
    monkeypatch.setattr(Limiter, "_check", lambda self, tx, p: checks.append(1) or real_check(self, tx, p))
    got = []
    waiter = threading.Thread(target=lambda: got.append(b.lease("openai", timeout=120)))
    waiter.start()
    until(lambda: b._waker.sleepers == 1, "b to sleep")
    before, seen = len(checks), b._waker.visible
    a.heartbeat()  # a commit by another connection that touches nothing of openai
    until(lambda: b._waker.visible > seen and b._glances.get("openai", (0,))[0] == b._waker.visible
          and b._waker.sleepers == 1, "b to glance and sleep again")
    assert len(checks) == before, "no full check for a heartbeat"
    db("UPDATE limits SET max_in_flight = 2")  # a commit that does change openai
    waiter.join(120)
    assert got and got[0] is not None and len(checks) > before
