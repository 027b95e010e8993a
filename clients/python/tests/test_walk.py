"""The admission walk of version 4, case by case as the Java LimitModelConformance states it,
against a database the Java CLI created. Time passes only through the injected clock."""

import pytest


def test_a_model_at_its_own_limit_waits_while_another_model_of_the_provider_is_served(limiters, db):
    db("INSERT INTO limits (provider, max_in_flight) VALUES ('openai', 4)")
    db("INSERT INTO model_limits (provider, model, max_in_flight) VALUES ('openai', 'gpt-4o', 1)")
    a, b = limiters(), limiters()
    held = a.acquire("openai/gpt-4o")
    waiting = b.request("openai", "gpt-4o")
    assert waiting.lease is None
    assert b.try_acquire("openai", "gpt-4o-mini") is not None
    assert a.try_acquire("openai", "gpt-4o") is None
    held.release()
    assert waiting.poll() is not None


def test_a_model_without_a_limit_of_its_own_counts_against_its_provider(limiters, db):
    db("INSERT INTO limits (provider, max_in_flight) VALUES ('openai', 1)")
    a = limiters()
    assert a.try_acquire("openai", "x") is not None
    assert a.try_acquire("openai", "y") is None


def test_a_model_limit_with_no_provider_limit_holds_alone(limiters, db):
    db("INSERT INTO model_limits (provider, model, max_in_flight) VALUES ('local', 'big', 1)")
    a = limiters()
    assert a.try_acquire("local", "big") is not None
    assert a.try_acquire("local", "big") is None
    assert a.try_acquire("local", "small") is not None
    assert a.try_acquire("local") is not None


def test_raising_a_model_limit_grants_at_the_next_settle(limiters, db):
    db("INSERT INTO model_limits (provider, model, max_in_flight) VALUES ('openai', 'gpt-4o', 1)")
    a = limiters()
    a.acquire("openai", "gpt-4o")
    waiting = a.request("openai", "gpt-4o")
    assert waiting.poll() is None
    db("UPDATE model_limits SET max_in_flight = 2 WHERE provider = 'openai' AND model = 'gpt-4o'")
    assert waiting.poll() is not None


def test_a_heavy_request_takes_its_weight_at_every_level_and_is_not_starved_by_light_ones(limiters, db):
    db("INSERT INTO limits (provider, max_in_flight) VALUES ('openai', 4)")
    a, b = limiters(), limiters()
    light = [a.acquire("openai") for _ in range(3)]
    heavy = b.request("openai", weight=4)
    assert heavy.lease is None
    assert a.try_acquire("openai") is None, "a light request must not take a unit the heavy one waits for"
    for lease in light[:2]:
        lease.release()
    assert heavy.poll() is None
    light[2].release()
    assert heavy.poll() is not None
    assert db.value("SELECT sum(weight) FROM leases WHERE provider = 'openai'") == 4


def test_a_weight_above_a_levels_limit_is_refused_naming_the_rule_and_the_value(limiters, db):
    db("INSERT INTO model_limits (provider, model, max_in_flight) VALUES ('openai', 'gpt-4o', 2)")
    a = limiters()
    with pytest.raises(ValueError) as e:
        a.acquire("openai/gpt-4o", weight=3)
    assert str(e.value) == ("weight must be at most the in-flight limit of openai/gpt-4o (2), "
                            "or the request for openai/gpt-4o could never be granted (was 3)")
    assert db.value("SELECT count(*) FROM leases") == 0
    assert db.value("SELECT count(*) FROM queue") == 0


def test_a_limit_lowered_below_a_waiting_weight_does_not_wedge_the_queue(limiters, db):
    db("INSERT INTO limits (provider, max_in_flight) VALUES ('openai', 4)")
    a, b = limiters(), limiters()
    held = [a.acquire("openai") for _ in range(2)]
    heavy = b.request("openai", weight=4)
    db("UPDATE limits SET max_in_flight = 2 WHERE provider = 'openai'")
    for lease in held:
        lease.release()
    assert heavy.poll() is not None, "the request takes the whole level once it is empty"


def test_higher_classes_are_served_first_then_arrival_order(limiters, db):
    db("INSERT INTO limits (provider, max_in_flight) VALUES ('openai', 1)")
    holder, w = limiters(), limiters()
    lease = holder.acquire("openai")
    queued = {name: w.request("openai", priority=prio, label=name)
              for name, prio in [("b1", "batch"), ("n1", "normal"), ("i1", "interactive"),
                                 ("i2", "interactive"), ("n2", "normal")]}
    order = []
    for _ in queued:
        lease.release()
        lease = next(p.lease for p in queued.values() if p.poll() is not None and p.label not in order)
        order.append(next(n for n, p in queued.items() if p.lease is lease))
    assert order == ["i1", "i2", "n1", "n2", "b1"]


def test_a_batch_request_rises_a_class_per_aging_interval_and_is_served_before_later_interactive_ones(
        limiters, db, clock):
    db("INSERT INTO limits (provider, max_in_flight, aging_ms) VALUES ('openai', 1, 1000)")
    holder, w = limiters(), limiters()
    lease = holder.acquire("openai")
    batch = w.request("openai", priority="batch")
    w.request("openai", priority="normal")
    assert batch.poll() is None
    assert batch.next_change_at_ms == clock.ms + 1000, "the waiter wakes at its next aging boundary"
    clock.advance(2000)
    interactive = w.request("openai", priority="interactive")
    lease.release()
    assert batch.poll() is not None
    assert interactive.poll() is None


def test_a_requests_per_minute_budget_starts_no_more_in_any_window(limiters, db, clock):
    db("INSERT INTO limits (provider, requests_per_minute) VALUES ('openai', 2)")
    a = limiters()
    first_start = clock.ms
    a.acquire("openai").release()
    clock.advance(10)
    a.acquire("openai").release()
    assert a.try_acquire("openai") is None
    waiting = a.request("openai")
    assert waiting.poll() is None
    assert waiting.next_change_at_ms == first_start + 60_000
    clock.advance(60_000 - 11)
    assert waiting.poll() is None
    clock.advance(1)
    assert waiting.poll() is not None


def test_a_token_budget_reserves_at_grant_and_the_releases_real_count_frees_the_rest(limiters, db):
    db("INSERT INTO limits (provider, tokens_per_minute) VALUES ('openai', 1000)")
    a = limiters()
    big = a.acquire("openai", tokens=800)
    assert a.try_acquire("openai", tokens=300) is None
    big.release(used_tokens=100)
    assert a.try_acquire("openai", tokens=300) is not None
    assert db.value("SELECT tokens FROM ledger_totals WHERE provider = 'openai' AND model = ''") == 400


def test_a_token_budget_waiter_sleeps_until_the_window_has_freed_exactly_what_it_needs(limiters, db, clock):
    db("INSERT INTO limits (provider, tokens_per_minute) VALUES ('openai', 1000)")
    a = limiters()
    t0 = clock.ms
    a.acquire("openai", tokens=300).release()
    clock.advance(10)
    a.acquire("openai", tokens=700).release()
    waiting = a.request("openai", tokens=500)
    assert waiting.poll() is None
    assert waiting.next_change_at_ms == t0 + 10 + 60_000, "300 freed at t0 is not enough; 1000 at t0+10 is"
    clock.advance(60_000 - 1)
    assert waiting.poll() is None
    clock.advance(1)
    assert waiting.poll() is not None


def test_a_models_budget_holds_its_model_only(limiters, db):
    db("INSERT INTO model_limits (provider, model, requests_per_minute) VALUES ('openai', 'gpt-4o', 1)")
    a = limiters()
    assert a.try_acquire("openai", "gpt-4o") is not None
    assert a.try_acquire("openai", "gpt-4o") is None
    assert a.try_acquire("openai", "gpt-4o-mini") is not None


def test_tokens_above_a_levels_budget_are_refused_and_a_request_without_a_count_takes_the_default(
        limiters, db):
    db("INSERT INTO limits (provider, tokens_per_minute, default_tokens) VALUES ('openai', 1000, 250)")
    a = limiters()
    with pytest.raises(ValueError, match=r"tokens must be at most the tokens_per_minute budget of openai "
                                         r"\(1000\).*\(was 1001\)"):
        a.acquire("openai", tokens=1001)
    assert a.acquire("openai").tokens == 250
    assert db.value("SELECT tokens FROM leases") == 250


def test_the_providers_word_gates_grants_and_each_grant_takes_from_it(limiters, db, clock):
    db("INSERT INTO upstream_budget (provider, model, requests_remaining, requests_reset_at_ms, observed_at_ms)"
       " VALUES ('openai', '', 1, ?, ?)", clock.ms + 5000, clock.ms)
    a = limiters()
    assert a.try_acquire("openai") is not None
    assert db.value("SELECT requests_remaining FROM upstream_budget WHERE provider = 'openai'") == 0
    waiting = a.request("openai")
    assert waiting.poll() is None
    assert waiting.next_change_at_ms == clock.ms + 5000
    clock.advance(5000)
    assert waiting.poll() is not None


def test_a_cooldown_keeps_the_slot_counted_until_it_ends(limiters, db, clock):
    db("INSERT INTO limits (provider, max_in_flight, cooldown_ms) VALUES ('openai', 1, 250)")
    a = limiters()
    a.acquire("openai").release()
    waiting = a.request("openai")
    assert waiting.poll() is None
    assert waiting.next_change_at_ms == clock.ms + 250
    clock.advance(250)
    assert waiting.poll() is not None


def test_a_rate_limited_release_pauses_the_provider_for_everyone(limiters, db, clock):
    a = limiters()
    a.acquire("openai").release("rate_limited", retry_after=2)
    assert db.value("SELECT paused_until_ms FROM admission WHERE provider = 'openai'") == clock.ms + 2000
    assert a.try_acquire("openai") is None
    clock.advance(2000)
    assert a.try_acquire("openai") is not None


def test_a_hand_edit_that_frees_room_wakes_a_waiter_which_settles_itself(limiters, db):
    import threading
    db("INSERT INTO limits (provider, max_in_flight) VALUES ('openai', 1)")
    holder, waiter = limiters(), limiters()
    holder.acquire("openai")
    pending = waiter.request("openai")
    got = {}
    t = threading.Thread(target=lambda: got.setdefault("lease", pending.wait(60)))
    t.start()
    db("UPDATE limits SET max_in_flight = 2 WHERE provider = 'openai'")  # nobody settles for it
    t.join(60)
    assert got["lease"].id > 0
