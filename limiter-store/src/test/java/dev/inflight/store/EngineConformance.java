package dev.inflight.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.inflight.store.Rows.AcquireOutcome;
import dev.inflight.store.Rows.CancelOutcome;
import dev.inflight.store.Rows.Glance;
import dev.inflight.store.Rows.Heartbeat;
import dev.inflight.store.Rows.HeldLease;
import dev.inflight.store.Rows.LimitRow;
import dev.inflight.store.Rows.ProviderState;
import dev.inflight.store.Rows.Reclaimed;
import dev.inflight.store.Rows.ReleaseOutcome;
import dev.inflight.store.Rows.TokenState;
import dev.inflight.store.Rows.WaitCheck;
import dev.inflight.testing.MutableClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

/**
 * The behaviour of the engine seam, written once: every engine runs this suite unchanged (today
 * SQLite; the PostgreSQL engine will too). Time is a {@link MutableClock} the engine reads; other
 * processes are rows registered with identities of their own, whose liveness the test decides.
 *
 * <p>A subclass opens the engine and makes hand edits the way a person would with the engine's own
 * command-line tool.
 */
public abstract class EngineConformance extends ConformanceBase {
  // ---------------------------------------------------------------- the limit

  @Test
  void acquire_upToTheLimit_grants_thenATryIsBusy_andAWaitQueues() {
    setLimit("openai", 2, 0, false);
    assertThat(take("openai")).doesNotStartWith("queued:");
    assertThat(take("openai")).doesNotStartWith("queued:");
    AcquireOutcome busy =
        engine.acquire(new AcquireRequest(owner, 1, "openai", "", "t".repeat(32), AcquireMode.TRY));
    assertThat(busy.kind()).isEqualTo(AcquireOutcome.Kind.BUSY);
    assertThat(take("openai")).startsWith("queued:");
    ProviderState st = state("openai");
    assertThat(st.active()).isEqualTo(2);
    assertThat(st.queued()).isEqualTo(1);
    assertThat(st.free()).isZero();
  }

  @Test
  void granted_namesTheOwnersRequestsThatHoldALease_andNoOthers() {
    setLimit("openai", 1, 0, false);
    String held = take("openai");
    String waiting = queued(take("openai"));
    long other = register(4242, HOST);
    String theirs = queued(take(other, "openai"));

    assertThat(engine.granted(owner, List.of(held, waiting, theirs)).keySet())
        .containsExactly(held);

    release(held, Ending.SUCCEEDED, 0);

    assertThat(engine.granted(owner, List.of(held, waiting, theirs)))
        .containsOnlyKeys(waiting)
        .hasEntrySatisfying(
            waiting, ts -> assertThat(ts.kind()).isEqualTo(TokenState.Kind.GRANTED));
    assertThat(engine.granted(other, List.of(theirs))).isEmpty();
  }

  @Test
  void glance_agreesWithCheck_ignoresAHeartbeat_andSeesAHandEditThatFreesASlot() {
    setLimit("openai", 1, 0, false);
    take("openai");
    String waiting = queued(take("openai"));
    WaitCheck wc = engine.check(owner, List.of(waiting));
    assertThat(glance(waiting).providers()).isEqualTo(wc.providers());

    engine.heartbeat(owner, TTL); // a commit that concerns no provider
    Glance quiet = glance(waiting);
    assertThat(quiet.providers()).isEqualTo(wc.providers());
    assertThat(quiet.settleNeeded()).isFalse();
    assertThat(quiet.granted()).isEmpty();

    handEdit("UPDATE limits SET max_in_flight = 2 WHERE provider = 'openai'");
    Glance raised = glance(waiting);
    assertThat(raised.providers()).isNotEqualTo(wc.providers());
    assertThat(raised.settleNeeded()).isTrue();
    assertThat(raised.granted()).isEmpty(); // nobody settled yet
  }

  @Test
  void glance_reportsMyGrant_butNotAnotherOwnersRequests() {
    setLimit("openai", 1, 0, false);
    String held = take("openai");
    String waiting = queued(take("openai"));
    long other = register(4242, HOST);
    String theirs = queued(take(other, "openai"));
    release(held, Ending.SUCCEEDED, 0);

    Glance g = engine.glance(owner, List.of(waiting, theirs), List.of("openai"));
    assertThat(g.granted())
        .containsOnlyKeys(waiting)
        .hasEntrySatisfying(
            waiting, ts -> assertThat(ts.kind()).isEqualTo(TokenState.Kind.GRANTED));
    assertThat(g.providers().get("openai").queued()).isEqualTo(1);
  }

  private Glance glance(String token) {
    return engine.glance(owner, List.of(token), List.of("openai"));
  }

  @Test
  void heldLease_namesTheLeaseAndItsHolder_onlyWhileItIsHeld() {
    setLimit("openai", 2, 60_000, false);
    String held = take("openai");
    String waiting = "a-token-nobody-holds";

    HeldLease h = engine.heldLease(held).orElseThrow();
    assertThat(h.provider()).isEqualTo("openai");
    assertThat(h.ownerPid()).isEqualTo(4242);
    assertThat(h.ownerHostId()).isEqualTo(HOST);
    assertThat(h.ownerStartToken()).isEqualTo("start-4242");
    assertThat(engine.heldLease(waiting)).isEmpty(); // no such token
    assertThat(engine.heldLease("")).isEmpty();

    release(held, Ending.SUCCEEDED, 0);
    assertThat(engine.heldLease(held)).isEmpty(); // cooling is not held
  }

  @Test
  void heldLease_ofAQueuedRequest_isEmpty_untilItIsGranted() {
    setLimit("openai", 1, 0, false);
    String first = take("openai");
    String second = queued(take("openai"));
    assertThat(engine.heldLease(second)).isEmpty();
    release(first, Ending.SUCCEEDED, 0);
    assertThat(engine.heldLease(second)).isPresent();
  }

  @Test
  void providerWithoutALimit_grantsEveryRequest() {
    for (int i = 0; i < 20; i++) {
      assertThat(take("anything")).doesNotStartWith("queued:");
    }
    assertThat(state("anything").limit()).isEmpty();
    assertThat(state("anything").active()).isEqualTo(20);
  }

  @Test
  void queue_isServedInArrivalOrder_andANewRequestNeverJumpsIt() {
    setLimit("openai", 1, 0, false);
    String held = take("openai");
    List<String> waiting = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      waiting.add(queued(take("openai")));
    }
    for (int i = 0; i < 4; i++) {
      release(held, Ending.SUCCEEDED, 0);
      // A newcomer arrives just as the slot frees: it queues behind everyone.
      waiting.add(queued(take("openai")));
      assertThat(stateOf(waiting.get(i)).kind()).isEqualTo(TokenState.Kind.GRANTED);
      for (int j = i + 1; j < waiting.size(); j++) {
        assertThat(stateOf(waiting.get(j)).kind()).isEqualTo(TokenState.Kind.QUEUED);
        assertThat(stateOf(waiting.get(j)).position()).isEqualTo(j - i);
      }
      held = waiting.get(i);
    }
  }

  @Test
  void release_withACooldown_keepsTheSlotCounted_untilTheCooldownEnds() {
    setLimit("openai", 1, 250, false);
    String held = take("openai");
    String next = queued(take("openai"));
    assertThat(release(held, Ending.SUCCEEDED, 0).kind()).isEqualTo(ReleaseOutcome.Kind.COOLING);
    assertThat(state("openai").cooling()).isEqualTo(1);
    advance(249);
    engine.settle(List.of("openai"));
    assertThat(stateOf(next).kind()).isEqualTo(TokenState.Kind.QUEUED);
    advance(1);
    engine.settle(List.of("openai"));
    assertThat(stateOf(next).kind()).isEqualTo(TokenState.Kind.GRANTED);
    assertThat(state("openai").cooling()).isZero();
  }

  // ---------------------------------------------------------------- releases

  @Test
  void release_isIdempotent_andAStaleTokenNeverFreesAnothersLease() {
    setLimit("openai", 1, 0, false);
    String first = take("openai");
    assertThat(release(first, Ending.SUCCEEDED, 0).kind()).isEqualTo(ReleaseOutcome.Kind.RELEASED);
    assertThat(release(first, Ending.SUCCEEDED, 0).kind()).isEqualTo(ReleaseOutcome.Kind.NOT_HELD);

    String second = take("openai");
    long id = engine.snapshot().leases().get(0).id();
    assertThat(engine.forceRelease(id)).isPresent();
    String third = take("openai");
    assertThat(release(second, Ending.SUCCEEDED, 0).kind()).isEqualTo(ReleaseOutcome.Kind.NOT_HELD);
    assertThat(state("openai").active()).isEqualTo(1);
    assertThat(release(third, Ending.SUCCEEDED, 0).kind()).isEqualTo(ReleaseOutcome.Kind.RELEASED);
  }

  @Test
  void cancel_ofAQueuedRequest_leavesTheQueue_andAfterAGrant_handsTheLeaseToTheCaller() {
    setLimit("openai", 1, 0, false);
    String held = take("openai");
    String a = queued(take("openai"));
    String b = queued(take("openai"));
    assertThat(engine.cancel(a).kind()).isEqualTo(CancelOutcome.Kind.CANCELLED);
    assertThat(engine.cancel(a).kind()).isEqualTo(CancelOutcome.Kind.NOT_FOUND);

    release(held, Ending.SUCCEEDED, 0); // grants b in the same transaction
    CancelOutcome late = engine.cancel(b);
    assertThat(late.kind()).isEqualTo(CancelOutcome.Kind.ALREADY_GRANTED);
    assertThat(late.leaseId()).isEqualTo(engine.snapshot().leases().get(0).id());
    assertThat(release(b, Ending.CANCELLED, 0).kind()).isEqualTo(ReleaseOutcome.Kind.RELEASED);
    assertThat(state("openai").active()).isZero();
  }

  @Test
  void forceRelease_freesALeaseByIdWhoeverHoldsIt_andGrantsTheNext() {
    setLimit("openai", 1, 0, false);
    long other = register(5151, HOST);
    take(other, "openai");
    String mine = queued(take("openai"));
    long id = engine.snapshot().leases().get(0).id();
    assertThat(engine.forceRelease(id)).hasValueSatisfying(l -> assertThat(l.id()).isEqualTo(id));
    assertThat(engine.forceRelease(id)).isEmpty();
    assertThat(stateOf(mine).kind()).isEqualTo(TokenState.Kind.GRANTED);
  }

  // ---------------------------------------------------------------- processes

  @Test
  void deadOwnerOnThisHost_isReclaimedByTheNextAcquire_notAfterItsTtl() {
    setLimit("llama", 1, 0, false);
    long doomed = register(777, HOST);
    take(doomed, "llama");
    dead.add(777L);
    String mine = take("llama");
    assertThat(mine).doesNotStartWith("queued:");
  }

  @Test
  void silentOwnerOnAnotherHost_isReclaimedOnlyAfterItsTtl() {
    setLimit("llama", 1, 0, false);
    long remote = register(888, "another-host");
    take(remote, "llama");
    dead.add(888L); // a pid on another host says nothing: only its heartbeat counts
    String mine = queued(take("llama"));
    advance(TTL.toMillis());
    List<Reclaimed> none = engine.settle(List.of("llama"));
    assertThat(none).isEmpty();
    assertThat(stateOf(mine).kind()).isEqualTo(TokenState.Kind.QUEUED);
    advance(1);
    List<Reclaimed> r = engine.settle(List.of("llama"));
    assertThat(r)
        .singleElement()
        .satisfies(
            x -> {
              assertThat(x.why()).isEqualTo(ReclaimReason.HEARTBEAT_EXPIRED);
              assertThat(x.leases()).hasSize(1);
            });
    assertThat(stateOf(mine).kind()).isEqualTo(TokenState.Kind.GRANTED);
  }

  @Test
  void heartbeat_keepsAnOwnerAlive_andAfterItsRowWasDeleted_saysGone() {
    long remote = register(889, "another-host");
    advance(TTL.toMillis() - 1);
    assertThat(engine.heartbeat(remote, TTL)).isEqualTo(Heartbeat.ALIVE);
    advance(TTL.toMillis() - 1);
    assertThat(engine.reapAll()).isEmpty();
    assertThat(handEdit("DELETE FROM processes WHERE id = " + remote)).isNull();
    assertThat(engine.heartbeat(remote, TTL)).isEqualTo(Heartbeat.GONE);
    long again =
        engine.register(
            Registration.again(
                new ProcessIdentity("box", "another-host", 889, "start-889", "test"), TTL, remote));
    assertThat(again).isEqualTo(remote);
  }

  @Test
  void deregister_freesItsLeasesAndWaiters_andGrantsTheNext() {
    setLimit("openai", 1, 0, false);
    long other = register(5252, HOST);
    take(other, "openai");
    take(other, "openai"); // queued too
    String mine = queued(take("openai"));
    engine.deregister(other);
    assertThat(stateOf(mine).kind()).isEqualTo(TokenState.Kind.GRANTED);
    assertThat(state("openai").queued()).isZero();
  }

  // ---------------------------------------------------------------- clocks

  @Test
  void anOwnerThatProvesItIsAlive_isNeverReclaimedByItsTtl_whateverTheClocksSay() {
    setLimit("llama", 1, 0, false);
    // This JVM's real pid and start time: the engine can check them and its liveness proof.
    ProcessIdentity me = ProcessIdentity.current();
    long alive =
        engine.register(
            Registration.first(
                new ProcessIdentity("box", HOST, me.pid(), me.startToken(), "test"), TTL));
    take(alive, "llama");
    String mine = queued(take("llama"));
    clock.stepWall(Duration.ofMinutes(10)); // our clock jumps far past its 30 s TTL
    assertThat(engine.settle(List.of("llama"))).isEmpty();
    assertThat(engine.reapAll()).isEmpty();
    assertThat(stateOf(mine).kind()).isEqualTo(TokenState.Kind.QUEUED);
    assertThat(engine.heartbeat(alive, TTL)).isEqualTo(Heartbeat.ALIVE);
  }

  @Test
  void aSlotReleasedByAClockAheadOfOurs_coolsForItsCooldownFromNow_notUntilThatClockCatchesUp() {
    setLimit("anthropic", 1, 250, false);
    String held = take("anthropic");
    String next = queued(take("anthropic"));
    clock.stepWall(Duration.ofHours(1)); // the releasing process's clock is an hour ahead
    release(held, Ending.SUCCEEDED, 0);
    clock.stepWall(Duration.ofHours(-1));
    engine.settle(List.of("anthropic"));
    assertThat(stateOf(next).kind()).isEqualTo(TokenState.Kind.QUEUED);
    advance(250);
    engine.settle(List.of("anthropic"));
    assertThat(stateOf(next).kind()).isEqualTo(TokenState.Kind.GRANTED);
  }

  @Test
  void aPauseRecordedByAClockAheadOfOurs_lastsItsRetryAfterFromNow() {
    setLimit("openai", 1, 0, false);
    clock.stepWall(Duration.ofHours(1));
    engine.report429(new RateLimitReport("openai", 20_000, PauseReason.REPORTED_429));
    clock.stepWall(Duration.ofHours(-1));
    String q = queued(take("openai"));
    assertThat(state("openai").pausedUntilMs()).isEqualTo(clock.millis() + 20_000);
    advance(20_000);
    engine.settle(List.of("openai"));
    assertThat(stateOf(q).kind()).isEqualTo(TokenState.Kind.GRANTED);
  }

  @Test
  void status_showsTimesWrittenByAClockAhead_asAGrantWouldSeeThem() {
    setLimit("anthropic", 1, 250, false);
    String held = take("anthropic");
    clock.stepWall(Duration.ofHours(1));
    release(held, Ending.SUCCEEDED, 0);
    engine.report429(new RateLimitReport("anthropic", 20_000, PauseReason.REPORTED_429));
    clock.stepWall(Duration.ofHours(-1));

    engine.reapAll(); // what a status read does first
    assertThat(state("anthropic").pausedUntilMs()).isEqualTo(clock.millis() + 20_000);
    assertThat(state("anthropic").cooling()).isEqualTo(1);
    advance(250);
    assertThat(state("anthropic").cooling()).isZero();
  }

  @Test
  void theLongestTtl_twentyFourHours_isAcceptedAtEveryRegisterAndHeartbeat() {
    for (int i = 0; i < 40; i++) {
      long id = register(6000 + i, "another-host", Duration.ofHours(24));
      for (int j = 0; j < 5; j++) {
        advance(1);
        assertThat(engine.heartbeat(id, Duration.ofHours(24))).isEqualTo(Heartbeat.ALIVE);
      }
    }
  }

  @Test
  void aSampleClearedByAClockAhead_isPulledBackOnce_andThenNoSettleIsDue() {
    setLimit("openai", 1, 0, false);
    take("openai");
    String q = queued(take("openai"));
    clock.stepWall(Duration.ofHours(1));
    engine.recordUpstream(
        new UpstreamSample("openai", OptionalInt.of(1), Integer.MAX_VALUE, 3_000));
    engine.recordUpstream(UpstreamSample.cleared("openai"));
    clock.stepWall(Duration.ofHours(-1));
    assertThat(engine.check(owner, List.of(q)).settleNeeded()).isTrue();
    engine.settle(List.of("openai"));
    assertThat(engine.check(owner, List.of(q)).settleNeeded()).isFalse();
  }

  @Test
  void aHeartbeatFromAClockAheadOfOurs_expiresByItsTtlFromWhenItWasSeen() {
    setLimit("llama", 1, 0, false);
    long remote = register(888, "another-host");
    take(remote, "llama");
    clock.stepWall(Duration.ofHours(1));
    assertThat(engine.heartbeat(remote, TTL)).isEqualTo(Heartbeat.ALIVE);
    clock.stepWall(Duration.ofHours(-1));
    String mine = queued(take("llama"));
    advance(TTL.toMillis() + 1);
    engine.settle(List.of("llama"));
    assertThat(stateOf(mine).kind()).isEqualTo(TokenState.Kind.GRANTED);
  }

  // ---------------------------------------------------------------- hand edits

  @Test
  void handEdits_thatBreakARule_areRefused_andChangeNothing() {
    setLimit("openai", 4, 0, false);
    List<LimitRow> before = engine.limits();
    for (String edit :
        List.of(
            "UPDATE limits SET max_in_flight = 0",
            "UPDATE limits SET max_in_flight = 10001",
            "UPDATE limits SET max_in_flight = -1",
            "UPDATE limits SET cooldown_ms = -1",
            "UPDATE limits SET cooldown_ms = 3600001",
            "UPDATE limits SET paused = 2",
            "UPDATE limits SET adaptive = 2",
            "UPDATE limits SET provider = ''",
            "INSERT INTO limits (provider, max_in_flight) VALUES ('openai', 3)")) {
      assertThat(handEdit(edit)).as(edit).isNotNull();
    }
    assertThat(engine.limits()).isEqualTo(before);
  }

  @Test
  void handEdits_ofRowsThatWouldWedgeAProvider_areRefused_andChangeNothing() {
    setLimit("openai", 2, 0, false);
    String held = take("openai");
    long now = clock.millis();
    String year2100 = "4102444800000";
    for (String edit :
        List.of(
            // a waiter with a held lease's token: every promote would fail on it
            "INSERT INTO queue (token, provider, owner_id, pid, label, queued_at_ms) VALUES ('"
                + held
                + "', 'openai', "
                + owner
                + ", 1, '', "
                + now
                + ")",
            // a slot cooling until 2100
            "UPDATE leases SET owner_id = NULL, released_at_ms = "
                + now
                + ", cool_until_ms = "
                + year2100,
            "UPDATE leases SET acquired_at_ms = " + year2100,
            // an owner that never expires
            "UPDATE processes SET expires_at_ms = " + year2100,
            // a 429 pause until 2100
            "INSERT INTO admission (provider, paused_until_ms, pause_reason, last_429_at_ms)"
                + " VALUES ('openai', "
                + year2100
                + ", '429 reported', "
                + now
                + ")")) {
      assertThat(handEdit(edit)).as(edit).isNotNull();
    }
    ProviderState st = state("openai");
    assertThat(st.active()).isEqualTo(1);
    assertThat(st.queued()).isZero();
    assertThat(st.pausedUntilMs()).isZero();
    assertThat(take("openai")).doesNotStartWith("queued:");
  }

  @Test
  void handEdit_raisingALimit_isSeenByACheck_andAppliedByTheNextSettle() {
    setLimit("anthropic", 1, 0, false);
    take("anthropic");
    String mine = queued(take("anthropic"));
    assertThat(engine.check(owner, List.of(mine)).settleNeeded()).isFalse();
    assertThat(handEdit("UPDATE limits SET max_in_flight = 2 WHERE provider = 'anthropic'"))
        .isNull();
    WaitCheck wc = engine.check(owner, List.of(mine));
    assertThat(wc.settleNeeded()).isTrue();
    engine.settle(List.of("anthropic"));
    assertThat(stateOf(mine).kind()).isEqualTo(TokenState.Kind.GRANTED);
  }

  @Test
  void check_saysWhereEachRequestStands_andMissingOnceItsRowIsGone() {
    setLimit("openai", 1, 0, false);
    String held = take("openai");
    String waiting = queued(take("openai"));
    WaitCheck wc = engine.check(owner, List.of(held, waiting));
    assertThat(wc.tokens().get(held).kind()).isEqualTo(TokenState.Kind.GRANTED);
    assertThat(wc.tokens().get(waiting).kind()).isEqualTo(TokenState.Kind.QUEUED);
    assertThat(wc.tokens().get(waiting).position()).isEqualTo(1);
    assertThat(handEdit("DELETE FROM queue")).isNull();
    assertThat(stateOf(waiting).kind()).isEqualTo(TokenState.Kind.MISSING);
  }

  // ---------------------------------------------------------------- 429s and adaptive limits

  @Test
  void rateLimitedRelease_pausesTheProvider_untilRetryAfter_thenTheQueueMoves() {
    setLimit("openai", 2, 0, false);
    String a = take("openai");
    take("openai");
    String third = queued(take("openai"));

    long at = clock.millis();
    release(a, Ending.RATE_LIMITED, 20_000);
    ProviderState st = state("openai");
    assertThat(st.pausedUntilMs()).isEqualTo(at + 20_000);
    assertThat(st.pauseReason()).isEqualTo(PauseReason.PROVIDER_429);
    assertThat(st.pauseText()).isEqualTo("429 from the provider");
    assertThat(st.free()).isZero();

    advance(19_999);
    engine.settle(List.of("openai"));
    assertThat(stateOf(third).kind()).isEqualTo(TokenState.Kind.QUEUED);
    advance(1);
    engine.settle(List.of("openai"));
    assertThat(stateOf(third).kind()).isEqualTo(TokenState.Kind.GRANTED);
    assertThat(state("openai").pausedUntilMs()).isZero();
    assertThat(state("openai").pauseReason()).isEqualTo(PauseReason.NONE);
  }

  @Test
  void aLaterPauseWins_aShorterRetryAfterNeverShortensIt() {
    long at = clock.millis();
    engine.report429(new RateLimitReport("openai", 60_000, PauseReason.REPORTED_429));
    engine.report429(new RateLimitReport("openai", 5_000, PauseReason.PROVIDER_429));
    assertThat(state("openai").pausedUntilMs()).isEqualTo(at + 60_000);
    assertThat(state("openai").pauseReason()).isEqualTo(PauseReason.REPORTED_429);
  }

  @Test
  void resume_liftsA429PauseEarly() {
    setLimit("openai", 1, 0, false);
    engine.report429(new RateLimitReport("openai", 60_000, PauseReason.REPORTED_429));
    String q = queued(take("openai"));
    assertThat(engine.resume("openai")).isTrue();
    assertThat(state("openai").pausedUntilMs()).isZero();
    assertThat(stateOf(q).kind()).isEqualTo(TokenState.Kind.GRANTED);
  }

  @Test
  void pause_ofAProviderWithoutALimit_isRefused_butA429PausesItAnyway() {
    assertThat(engine.pause("local")).isFalse();
    engine.report429(new RateLimitReport("local", 1_000, PauseReason.REPORTED_429));
    String q = queued(take("local"));
    assertThat(state("local").limit()).isEmpty();
    advance(1_000);
    engine.settle(List.of("local"));
    assertThat(stateOf(q).kind()).isEqualTo(TokenState.Kind.GRANTED);
  }

  @Test
  void adaptiveLimit_stepsDownOncePerGenerationOfLeases_neverBelowOne() {
    setLimit("openai", 3, 0, true);
    String a = take("openai");
    String b = take("openai");
    String c = take("openai");
    advance(10);
    release(a, Ending.RATE_LIMITED, 0);
    // b and c were admitted at the old limit: their 429s are the same signal.
    advance(1);
    release(b, Ending.RATE_LIMITED, 0);
    advance(1);
    release(c, Ending.RATE_LIMITED, 0);
    assertThat(state("openai").effectiveLimit()).hasValue(2);
    assertThat(state("openai").limit()).hasValue(3);
    assertThat(engine.limit("openai").orElseThrow().maxInFlight()).isEqualTo(3);
    for (int i = 0; i < 5; i++) {
      advance(10);
      release(take("openai"), Ending.RATE_LIMITED, 0);
    }
    assertThat(state("openai").limitInForce()).hasValue(1);
  }

  @Test
  void adaptiveLimit_limitsGrants_thenStepsBackUpAfterQuietSuccesses() {
    setLimit("openai", 3, 0, true);
    release(take("openai"), Ending.RATE_LIMITED, 0);
    advance(1);
    release(take("openai"), Ending.RATE_LIMITED, 0);
    assertThat(state("openai").effectiveLimit()).hasValue(1);

    advance(1);
    String held = take("openai");
    String waiting = queued(take("openai"));
    // A success inside the quiet period counts, but does not raise the limit yet.
    release(held, Ending.SUCCEEDED, 0);
    assertThat(state("openai").effectiveLimit()).hasValue(1);
    assertThat(stateOf(waiting).kind()).isEqualTo(TokenState.Kind.GRANTED);

    advance(30_000);
    release(waiting, Ending.SUCCEEDED, 0);
    assertThat(state("openai").effectiveLimit()).hasValue(2);

    advance(30_000);
    String x = take("openai");
    String y = take("openai");
    queued(take("openai"));
    release(x, Ending.SUCCEEDED, 0);
    release(y, Ending.SUCCEEDED, 0);
    // Two successes at limit 2 after a quiet period: back to the configured limit.
    assertThat(state("openai").effectiveLimit()).isEmpty();
    assertThat(state("openai").limitInForce()).hasValue(3);
  }

  @Test
  void failedAndCancelledEndings_onlyFreeTheSlot() {
    setLimit("openai", 2, 0, true);
    release(take("openai"), Ending.FAILED, 0);
    release(take("openai"), Ending.CANCELLED, 0);
    ProviderState st = state("openai");
    assertThat(st.pausedUntilMs()).isZero();
    assertThat(st.effectiveLimit()).isEmpty();
    assertThat(st.active()).isZero();
  }

  @Test
  void turningAdaptationOn_startsFromTheConfiguredLimit_andOffIgnoresOldSteps() {
    setLimit("openai", 3, 0, true);
    engine.report429(new RateLimitReport("openai", 0, PauseReason.REPORTED_429));
    setLimit("openai", 3, 0, true); // still adaptive: the step is kept
    assertThat(state("openai").effectiveLimit()).hasValue(2);
    setLimit("openai", 3, 0, false);
    assertThat(state("openai").effectiveLimit()).isEmpty();
    setLimit("openai", 3, 0, true);
    assertThat(state("openai").effectiveLimit()).isEmpty();
  }

  // ---------------------------------------------------------------- upstream usage

  @Test
  void upstreamAtTheLimit_admitsNothing_evenWithNoLocalLeases() {
    setLimit("openai", 2, 0, false);
    engine.recordUpstream(
        new UpstreamSample("openai", OptionalInt.of(2), Integer.MAX_VALUE, 3_000));
    queued(take("openai"));
    var r =
        engine.recordUpstream(
            new UpstreamSample("openai", OptionalInt.of(1), Integer.MAX_VALUE, 3_000));
    assertThat(r.state().active()).isEqualTo(1);
    assertThat(r.state().queued()).isZero();
  }

  @Test
  void hiddenUpstreamUsers_shrinkLocalGrants_byTheLeastSeenRecently() {
    setLimit("openai", 4, 0, false);
    take("openai");
    // Upstream counts 3: ours plus 2 we cannot see; the least seen before was 1.
    var r = engine.recordUpstream(new UpstreamSample("openai", OptionalInt.of(3), 1, 3_000));
    assertThat(r.hiddenNow()).isEqualTo(2);
    assertThat(r.state().upstreamHidden()).isEqualTo(1);
    assertThat(r.state().free()).isEqualTo(1); // min(4 - 1 hidden - 1 ours, 4 - 3 upstream)
  }

  @Test
  void upstreamSample_stopsCountingWhenItExpires_orIsCleared() {
    setLimit("openai", 2, 0, false);
    engine.recordUpstream(
        new UpstreamSample("openai", OptionalInt.of(2), Integer.MAX_VALUE, 3_000));
    assertThat(state("openai").free()).isZero();
    advance(3_000);
    assertThat(state("openai").upstreamInFlight()).isEmpty();
    assertThat(state("openai").free()).isEqualTo(2);
    engine.recordUpstream(
        new UpstreamSample("openai", OptionalInt.of(2), Integer.MAX_VALUE, 3_000));
    engine.recordUpstream(UpstreamSample.cleared("openai"));
    assertThat(state("openai").free()).isEqualTo(2);
  }

  @Test
  void check_wakesWhenAPauseEnds() {
    setLimit("openai", 1, 0, false);
    long at = clock.millis();
    engine.report429(new RateLimitReport("openai", 7_000, PauseReason.REPORTED_429));
    String q = queued(take("openai"));
    WaitCheck wc = engine.check(owner, List.of(q));
    assertThat(wc.nextChangeAtMs()).isLessThanOrEqualTo(at + 7_000);
    assertThat(wc.settleNeeded()).isFalse();
    advance(7_000);
    assertThat(engine.check(owner, List.of(q)).settleNeeded()).isTrue();
  }
}
