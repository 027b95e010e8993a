package dev.inflight.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.inflight.store.Liveness;
import dev.inflight.store.ProcessIdentity;
import dev.inflight.testing.MutableClock;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Behaviour of one process's limiter, with an injected clock (no test sleeps for time to pass). */
class LimiterTest {
  @TempDir Path home;
  final MutableClock clock = new MutableClock();
  final RecordingListener events = new RecordingListener();
  final List<Limiter> open = new ArrayList<>();

  Limiter limiter() {
    return limiter(Limiter.builder());
  }

  Limiter limiter(LimiterBuilder b) {
    Limiter l = b.home(home).clock(clock).ticker(clock).listener(events).build();
    open.add(l);
    return l;
  }

  /** A limiter on a given engine (a test double). */
  Limiter limiter(LimiterBuilder b, dev.inflight.store.LeaseEngine engine) {
    Limiter l = TestLimiters.open(b.home(home).clock(clock).ticker(clock).listener(events), engine);
    open.add(l);
    return l;
  }

  /** A limiter of a process with another identity, whose liveness checks the test decides. */
  Limiter limiter(LimiterBuilder b, ProcessIdentity me, Liveness liveness) {
    Limiter l =
        TestLimiters.open(b.home(home).clock(clock).ticker(clock).listener(events), me, liveness);
    open.add(l);
    return l;
  }

  @AfterEach
  void closeAll() {
    open.forEach(Limiter::close);
  }

  static <T> T await(CompletableFuture<T> f) throws Exception {
    return f.get(30, TimeUnit.SECONDS); // guards against a hang only
  }

  @Test
  void tryAcquire_belowLimit_grants_andAtLimit_returnsEmpty() {
    Limiter l = limiter();
    l.limits().set(LimitSpec.of("openai", 2));
    Optional<Lease> a = l.tryAcquire("openai", "a");
    Optional<Lease> b = l.tryAcquire("openai", "b");
    Optional<Lease> c = l.tryAcquire("openai", "c");
    assertThat(a).isPresent();
    assertThat(b).isPresent();
    assertThat(c).isEmpty();
    assertThat(l.status().providers())
        .singleElement()
        .satisfies(p -> assertThat(p.active()).isEqualTo(2));
  }

  @Test
  void provider_withNoLimitRow_isUnlimited() {
    Limiter l = limiter();
    for (int i = 0; i < 50; i++) {
      assertThat(l.tryAcquire("anything")).isPresent();
    }
    assertThat(l.status().providers())
        .singleElement()
        .satisfies(
            p -> {
              assertThat(p.limit()).isEmpty();
              assertThat(p.active()).isEqualTo(50);
            });
  }

  @Test
  void release_twice_releasesOnce_andSecondDoesNothing() {
    Limiter l = limiter();
    l.limits().set(LimitSpec.of("openai", 1));
    Lease a = l.tryAcquire("openai").orElseThrow();
    assertThat(a.release()).isEqualTo(ReleaseResult.RELEASED);
    assertThat(a.release()).isEqualTo(ReleaseResult.ALREADY_RELEASED);
    a.close();
    assertThat(l.status().leases()).isEmpty();
  }

  @Test
  void staleHandle_afterForceRelease_neverFreesSomeoneElsesLease() {
    Limiter l = limiter();
    l.limits().set(LimitSpec.of("openai", 1));
    Lease stale = l.tryAcquire("openai", "stuck").orElseThrow();
    assertThat(l.forceRelease(stale.id()))
        .hasValueSatisfying(i -> assertThat(i.label()).isEqualTo("stuck"));
    Lease fresh = l.tryAcquire("openai", "fresh").orElseThrow();

    assertThat(stale.release()).isEqualTo(ReleaseResult.LOST);

    assertThat(l.status().leases())
        .singleElement()
        .satisfies(i -> assertThat(i.id()).isEqualTo(fresh.id()));
    assertThat(l.tryAcquire("openai")).isEmpty();
  }

  @Test
  void forceRelease_onAProviderWithCooldown_coolsTheSlotLikeAnyRelease() {
    Limiter l = limiter();
    l.limits().set(LimitSpec.of("anthropic", 1).withCooldown(Duration.ofSeconds(2)));
    Lease stuck = l.tryAcquire("anthropic", "stuck").orElseThrow();
    assertThat(l.forceRelease(stuck.id())).isPresent();
    assertThat(l.status().providers().get(0).cooling()).isEqualTo(1);
    assertThat(l.tryAcquire("anthropic")).isEmpty();
    clock.advance(Duration.ofSeconds(2));
    assertThat(l.tryAcquire("anthropic")).isPresent();
    assertThat(stuck.release()).isEqualTo(ReleaseResult.LOST);
  }

  @Test
  void cooldown_keepsSlotCounted_untilItEnds_thenFreesByItself() throws Exception {
    Limiter l = limiter();
    l.limits().set(LimitSpec.of("anthropic", 1).withCooldown(Duration.ofSeconds(2)));
    Lease a = l.tryAcquire("anthropic").orElseThrow();
    assertThat(a.release()).isEqualTo(ReleaseResult.COOLING);
    assertThat(l.tryAcquire("anthropic")).isEmpty();
    assertThat(l.status().providers().get(0).cooling()).isEqualTo(1);

    CompletableFuture<Lease> waiting = l.acquireAsync("anthropic", "next");
    clock.advance(Duration.ofMillis(1999));
    assertThat(l.tryAcquire("anthropic")).isEmpty();
    clock.advance(Duration.ofMillis(1));

    // Nothing commits when a cooldown ends: the waiter's dispatcher must notice the time by itself.
    assertThat(await(waiting).label()).isEqualTo("next");
  }

  @Test
  void waiters_inOneProcess_areGrantedInArrivalOrder() throws Exception {
    Limiter l = limiter();
    l.limits().set(LimitSpec.of("llama", 1));
    Lease holder = l.tryAcquire("llama").orElseThrow();
    List<CompletableFuture<Lease>> queue = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      queue.add(l.acquireAsync("llama", "w" + i));
    }
    holder.close();
    for (int i = 0; i < 5; i++) {
      Lease granted = await(queue.get(i));
      assertThat(granted.label()).isEqualTo("w" + i);
      for (int j = i + 1; j < 5; j++) {
        assertThat(queue.get(j)).isNotDone();
      }
      granted.close();
    }
  }

  @Test
  void acquire_timeout_failsWithStateInMessage_andLeavesTheQueue() {
    Limiter l = limiter();
    l.limits().set(LimitSpec.of("openai", 1));
    l.tryAcquire("openai", "holder").orElseThrow();
    CompletableFuture<Lease> first = l.acquireAsync("openai", "first");
    CompletableFuture<Lease> second = l.acquireAsync("openai", "second", Duration.ofSeconds(30));
    clock.advance(Duration.ofSeconds(30));
    ((DefaultLimiter) l).dispatcher().signal();

    assertThatThrownBy(() -> second.get(30, TimeUnit.SECONDS))
        .hasCauseInstanceOf(LeaseTimeoutException.class)
        .cause()
        .hasMessage("no lease for 'openai' after 30s (limit=1, active=1, queued=2, you were 2nd)");
    assertThat(first).isNotDone();
    assertThat(l.status().waiters())
        .singleElement()
        .satisfies(w -> assertThat(w.label()).isEqualTo("first"));
  }

  @Test
  void blockingAcquire_timeout_throwsLeaseTimeoutException() {
    Limiter l = limiter();
    l.limits().set(LimitSpec.of("openai", 1));
    l.tryAcquire("openai").orElseThrow();
    assertThatThrownBy(() -> l.acquire("openai", "late", Duration.ZERO))
        .isInstanceOf(LeaseTimeoutException.class)
        .hasMessageStartingWith(
            "no lease for 'openai' after 0ms (limit=1, active=1, queued=1, you were 1st)");
    assertThat(l.status().waiters()).isEmpty();
  }

  @Test
  void cancel_removesTheWaiterRow() {
    Limiter l = limiter();
    l.limits().set(LimitSpec.of("openai", 1));
    l.tryAcquire("openai").orElseThrow();
    CompletableFuture<Lease> f = l.acquireAsync("openai", "impatient");
    assertThat(l.status().waiters()).hasSize(1);
    assertThat(f.cancel(true)).isTrue();
    assertThat(l.status().waiters()).isEmpty();
    assertThat(l.status().providers().get(0).queued()).isZero();
  }

  @Test
  void interrupt_whileWaiting_leavesQueue_andRestoresFlag() throws Exception {
    Limiter l = limiter();
    l.limits().set(LimitSpec.of("openai", 1));
    l.tryAcquire("openai").orElseThrow();
    AtomicReference<Throwable> thrown = new AtomicReference<>();
    AtomicReference<Boolean> flag = new AtomicReference<>();
    Thread t =
        new Thread(
            () -> {
              try {
                l.acquire("openai", "sleeper", Duration.ofHours(1));
              } catch (RuntimeException e) {
                thrown.set(e);
                flag.set(Thread.currentThread().isInterrupted());
              }
            });
    t.start();
    while (l.status().waiters().isEmpty()) {
      Thread.onSpinWait();
    }
    t.interrupt();
    t.join(30_000);
    assertThat(thrown.get())
        .isInstanceOf(LeaseInterruptedException.class)
        .hasMessageContaining("interrupted while waiting for a lease for 'openai'");
    assertThat(flag.get()).isTrue();
    assertThat(l.status().waiters()).isEmpty();
  }

  @Test
  void pause_stopsGrants_andResume_grantsWaitersAtOnce() throws Exception {
    Limiter l = limiter();
    l.limits().set(LimitSpec.of("openai", 3));
    l.limits().pause("openai");
    assertThat(l.tryAcquire("openai")).isEmpty();
    CompletableFuture<Lease> f = l.acquireAsync("openai", "patient");
    assertThat(l.limits().get("openai").orElseThrow().paused()).isTrue();
    l.limits().resume("openai");
    assertThat(await(f).label()).isEqualTo("patient");
  }

  @Test
  void raisingLimit_grantsWaiters() throws Exception {
    Limiter l = limiter();
    l.limits().set(LimitSpec.of("openai", 1));
    l.tryAcquire("openai").orElseThrow();
    CompletableFuture<Lease> a = l.acquireAsync("openai", "a");
    CompletableFuture<Lease> b = l.acquireAsync("openai", "b");
    l.limits().set(LimitSpec.of("openai", 3));
    assertThat(await(a).label()).isEqualTo("a");
    assertThat(await(b).label()).isEqualTo("b");
  }

  @Test
  void unsettingLimit_makesProviderUnlimited_andGrantsEveryWaiter() throws Exception {
    Limiter l = limiter();
    l.limits().set(LimitSpec.of("openai", 1));
    l.tryAcquire("openai").orElseThrow();
    CompletableFuture<Lease> a = l.acquireAsync("openai", "a");
    assertThat(l.limits().unset("openai")).isTrue();
    assertThat(await(a)).isNotNull();
    assertThat(l.limits().unset("openai")).isFalse();
  }

  @Test
  void handEdit_withSecondConnection_raisingLimit_wakesWaiter() throws Exception {
    Limiter l = limiter();
    l.limits().set(LimitSpec.of("openai", 1));
    l.tryAcquire("openai").orElseThrow();
    CompletableFuture<Lease> f = l.acquireAsync("openai", "waiting");
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + l.databaseFile());
        Statement s = c.createStatement()) {
      s.executeUpdate("UPDATE limits SET max_in_flight = 2 WHERE provider = 'openai'");
    }
    assertThat(await(f).label()).isEqualTo("waiting");
  }

  @Test
  void listener_hearsQueuedAcquiredReleased() throws Exception {
    Limiter l = limiter();
    l.limits().set(LimitSpec.of("openai", 1));
    Lease a = l.tryAcquire("openai", "a").orElseThrow();
    CompletableFuture<Lease> f = l.acquireAsync("openai", "b");
    clock.advance(Duration.ofMillis(1500));
    a.close();
    Lease b = await(f);
    clock.advance(Duration.ofMillis(700));
    b.close();
    assertThat(events.events)
        .containsSubsequence(
            "acquired openai a waited=0",
            "queued openai b position=1 ahead=0",
            "released openai a held=1500 RELEASED",
            "acquired openai b waited=1500",
            "released openai b held=700 RELEASED");
  }

  @Test
  void deadProcessOnThisHost_isReclaimedAtNextTransaction_notAfterTtl() {
    ProcessIdentity real = ProcessIdentity.current();
    ProcessIdentity ghost =
        new ProcessIdentity(real.host(), real.hostId(), 999_999_999L, "1", "ghost");
    Liveness ghostIsDead = (pid, token) -> pid != 999_999_999L;
    Limiter dead = limiter(Limiter.builder(), ghost, ghostIsDead);
    dead.limits().set(LimitSpec.of("openai", 1));
    dead.tryAcquire("openai", "orphan").orElseThrow();
    Limiter alive = limiter(Limiter.builder(), real, ghostIsDead);

    assertThat(alive.tryAcquire("openai", "survivor")).isPresent();
    assertThat(events.events).contains("reclaimed pid=999999999 leases=1 waiters=0 PROCESS_DEAD");
  }

  @Test
  void deadHolderWithNoLockFile_isFoundByThePeriodicCheck_andItsSlotGranted() throws Exception {
    java.util.concurrent.atomic.AtomicBoolean foreignAlive =
        new java.util.concurrent.atomic.AtomicBoolean(true);
    ProcessIdentity real = ProcessIdentity.current();
    Limiter l =
        limiter(Limiter.builder(), real, (pid, token) -> pid != 999_999_999L || foreignAlive.get());
    l.limits().set(LimitSpec.of("openai", 1));
    // A client in another language: registered and holding a lease, but no lock file to drop.
    long now = clock.millis();
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + l.databaseFile());
        Statement s = c.createStatement()) {
      s.executeUpdate(
          "INSERT INTO processes (id, host, host_id, pid, start_token, name, started_at_ms,"
              + " heartbeat_at_ms, expires_at_ms) VALUES (900, 'box', '"
              + real.hostId()
              + "', 999999999, '1', 'python3', "
              + now
              + ", "
              + now
              + ", "
              + (now + 3_600_000)
              + ")");
      s.executeUpdate(
          "INSERT INTO leases (token, provider, owner_id, pid, label, queued_at_ms,"
              + " acquired_at_ms) VALUES ('"
              + DefaultLimiter.newToken()
              + "', 'openai', 900, 999999999, 'foreign', "
              + now
              + ", "
              + now
              + ")");
    }
    CompletableFuture<Lease> waiting = l.acquireAsync("openai", "next");
    assertThat(waiting).isNotDone();

    foreignAlive.set(false); // it dies: no commit, no lock dropped, its heartbeat valid for 1 h

    assertThat(await(waiting).label()).isEqualTo("next");
    assertThat(events.events).contains("reclaimed pid=999999999 leases=1 waiters=0 PROCESS_DEAD");
  }

  @Test
  void reusedPid_withAnotherStartTime_countsAsDead() {
    long me = ProcessHandle.current().pid();
    String token = ProcessIdentity.startTokenOf(me).orElseThrow();
    assertThat(ProcessIdentity.isAlive(me, token)).isTrue();
    assertThat(ProcessIdentity.isAlive(me, token + "1")).isFalse();
  }

  @Test
  void silentProcessOnAnotherHost_expiresAfterTtl_only() {
    ProcessIdentity remote = new ProcessIdentity("far", "another-host", 4242, "7", "java");
    Limiter far =
        limiter(
            Limiter.builder()
                .heartbeatInterval(Duration.ofSeconds(15))
                .staleAfter(Duration.ofSeconds(30)),
            remote,
            Liveness.system());
    far.limits().set(LimitSpec.of("openai", 1));
    far.tryAcquire("openai", "remote").orElseThrow();
    Limiter near = limiter();

    clock.advance(Duration.ofSeconds(30));
    assertThat(near.tryAcquire("openai")).isEmpty();
    clock.advance(Duration.ofMillis(1));
    assertThat(near.tryAcquire("openai")).isPresent();
    assertThat(events.events).contains("reclaimed pid=4242 leases=1 waiters=0 HEARTBEAT_EXPIRED");
  }

  @Test
  void close_releasesLeases_andLeavesQueues() throws Exception {
    Limiter a = limiter();
    a.limits().set(LimitSpec.of("openai", 1));
    a.tryAcquire("openai").orElseThrow();
    Limiter b = limiter();
    CompletableFuture<Lease> bWaits = b.acquireAsync("openai", "b");
    Limiter c = limiter();
    CompletableFuture<Lease> cWaits = c.acquireAsync("openai", "c");
    c.close();
    assertThatThrownBy(() -> cWaits.get(30, TimeUnit.SECONDS))
        .isInstanceOf(CancellationException.class);
    a.close();
    assertThat(await(bWaits).label()).isEqualTo("b");
  }

  @Test
  void failClosed_storeFailure_throwsWithDatabasePath() {
    Limiter l = limiter(Limiter.builder(), TestLimiters.failingEngine(home, clock));
    assertThatThrownBy(() -> l.tryAcquire("openai"))
        .isInstanceOf(LimiterException.class)
        .hasMessageContaining(l.databaseFile().toString());
  }

  @Test
  void failOpen_storeFailure_grantsUnrecordedLease() {
    Limiter l =
        limiter(
            Limiter.builder().failurePolicy(FailurePolicy.FAIL_OPEN),
            TestLimiters.failingEngine(home, clock));
    Lease lease = l.tryAcquire("openai").orElseThrow();
    assertThat(lease.id()).isZero();
    assertThat(lease.release()).isEqualTo(ReleaseResult.NOT_RECORDED);
  }

  @Test
  void asyncFuture_completedByGrant_isNotBlockedByCallerThread()
      throws ExecutionException, InterruptedException {
    Limiter l = limiter();
    CompletableFuture<Lease> f = l.acquireAsync("free", "now");
    assertThat(f).isDone();
    assertThat(f.get().waited()).isZero();
  }

  @Test
  void aWaiterWhoseProcessRowWasDeleted_registersAgainFirst_soItsLeaseIsNoOrphan()
      throws Exception {
    Limiter a = limiter();
    a.limits().set(LimitSpec.of("openai", 1));
    Limiter b = limiter();
    Lease held = b.tryAcquire("openai", "b").orElseThrow();
    CompletableFuture<Lease> waiting = a.acquireAsync("openai", "a");
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + a.databaseFile());
        Statement s = c.createStatement()) {
      // The README's way out of a stuck process: delete its row (its waiter goes with it).
      s.executeUpdate(
          "DELETE FROM processes WHERE id = (SELECT owner_id FROM queue WHERE label = 'a')");
    }
    held.close();
    ((DefaultLimiter) a).dispatcher().signal();

    Lease got = await(waiting);
    assertThat(got.label()).isEqualTo("a");
    Limiter c = limiter();
    assertThat(c.tryAcquire("openai")).as("a's lease is counted, not an orphan").isEmpty();
    assertThat(c.status().leases())
        .singleElement()
        .satisfies(l -> assertThat(l.label()).isEqualTo("a"));
  }
}
