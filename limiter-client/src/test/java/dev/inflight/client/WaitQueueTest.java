package dev.inflight.client;

import static org.assertj.core.api.Assertions.assertThat;

import dev.inflight.store.AcquireMode;
import dev.inflight.store.AcquireRequest;
import dev.inflight.store.EngineConfig;
import dev.inflight.store.Engines;
import dev.inflight.store.LeaseEngine;
import dev.inflight.store.LimitChange;
import dev.inflight.store.ProcessIdentity;
import dev.inflight.store.ReleaseRequest;
import dev.inflight.store.Rows.AcquireOutcome;
import dev.inflight.testing.MutableClock;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The wait queue on its own, where races with the dispatcher can be staged step by step. */
class WaitQueueTest {
  @TempDir Path home;
  final MutableClock clock = new MutableClock();
  final RecordingListener heard = new RecordingListener();
  LeaseEngine engine;
  Registration registration;
  LeaseBook book;
  WaitQueue queue;

  /** Cancels that fail (with an I/O error) before they reach the database. */
  final java.util.concurrent.atomic.AtomicInteger failingCancels =
      new java.util.concurrent.atomic.AtomicInteger();

  /** Every release the parts asked of the engine. */
  final java.util.List<ReleaseRequest> releases = new java.util.concurrent.CopyOnWriteArrayList<>();

  @BeforeEach
  void parts() {
    LeaseEngine real = Engines.open(EngineConfig.of(home.resolve("limiter.db")).withClock(clock));
    engine =
        (LeaseEngine)
            java.lang.reflect.Proxy.newProxyInstance(
                LeaseEngine.class.getClassLoader(),
                new Class<?>[] {LeaseEngine.class},
                (proxy, m, args) -> {
                  if (m.getName().equals("release")) {
                    releases.add((ReleaseRequest) args[0]);
                  }
                  if (m.getName().equals("cancel") && failingCancels.getAndDecrement() > 0) {
                    throw new dev.inflight.store.StoreException(
                        real.location(),
                        dev.inflight.store.StoreException.Kind.IO,
                        "disk I/O error (as a test)");
                  }
                  try {
                    return m.invoke(real, args);
                  } catch (java.lang.reflect.InvocationTargetException e) {
                    throw e.getCause();
                  }
                });
    Clocks clocks = new Clocks(clock, clock);
    Retrying retrying = new Retrying(clocks, Duration.ofSeconds(5));
    Events events = new Events(heard, new Views(clocks));
    ProcessIdentity me = ProcessIdentity.current();
    registration =
        new Registration(
            engine,
            me,
            Duration.ofHours(1),
            Duration.ofMinutes(1),
            retrying,
            new Registration.Hooks() {
              @Override
              public void afterBeat() {}

              @Override
              public void lostRegistration(int generation) {}
            });
    book = new LeaseBook(engine, clocks, events, retrying, Duration.ofSeconds(30), () -> {});
    queue = new WaitQueue(engine, book, registration, retrying, clocks);
  }

  @AfterEach
  void close() {
    registration.close();
    engine.close();
  }

  AcquireOutcome acquire(String token, String label) {
    return engine.acquire(
        new AcquireRequest(
            registration.id(Long.MAX_VALUE), 1, "openai", label, token, AcquireMode.QUEUE));
  }

  @Test
  void cancel_afterTheDatabaseGrantedTheRequest_releasesTheLease() {
    engine.setLimit(new LimitChange("openai", 1, 0, false));
    String holder = DefaultLimiter.newToken();
    assertThat(acquire(holder, "holder").kind()).isEqualTo(AcquireOutcome.Kind.GRANTED);
    String racer = DefaultLimiter.newToken();
    AcquireOutcome queued = acquire(racer, "racer");
    Pending p =
        queue.add(
            new Pending(
                racer,
                LeaseRequest.of("openai").label("racer"),
                0,
                Long.MAX_VALUE,
                null,
                queued.position(),
                0));

    // The release grants the waiter in the database; no dispatcher has delivered it yet, so the
    // caller's cancel arrives first, as it can in production.
    engine.release(ReleaseRequest.succeeded(holder));
    assertThat(engine.snapshot().leases())
        .singleElement()
        .satisfies(l -> assertThat(l.label()).isEqualTo("racer"));
    assertThat(p.future.cancel(false)).isTrue();

    assertThat(engine.snapshot().leases()).isEmpty();
    assertThat(queue.isEmpty()).isTrue();
    // It carried no request: no success for an adaptive limit to count.
    assertThat(releases)
        .filteredOn(r -> r.token().equals(racer))
        .singleElement()
        .satisfies(r -> assertThat(r.ending()).isEqualTo(dev.inflight.store.Ending.CANCELLED));
  }

  @Test
  void deliver_beforeTheCallerCancels_handsTheLeaseToTheCaller() {
    engine.setLimit(new LimitChange("openai", 1, 0, false));
    String holder = DefaultLimiter.newToken();
    acquire(holder, "holder");
    String racer = DefaultLimiter.newToken();
    Pending p =
        queue.add(
            new Pending(
                racer,
                LeaseRequest.of("openai").label("racer"),
                0,
                Long.MAX_VALUE,
                null,
                acquire(racer, "racer").position(),
                0));
    engine.release(ReleaseRequest.succeeded(holder));
    long leaseId = engine.snapshot().leases().get(0).id();

    // The dispatcher claims the request first; the caller's cancel then loses the race.
    queue.deliver(p, leaseId, clock.millis());
    assertThat(p.future.cancel(false)).isFalse();
    assertThat(p.future.join().id()).isEqualTo(leaseId);
  }

  /**
   * A request "waiter" queued behind a holder at limit 1, in the database and in the wait queue;
   * then the holder releases, which grants it in the database (nobody has delivered it yet).
   */
  private Pending grantedBehindAHolder(Duration timeout) {
    engine.setLimit(new LimitChange("openai", 1, 0, false));
    String holder = DefaultLimiter.newToken();
    acquire(holder, "holder");
    String waiter = DefaultLimiter.newToken();
    Pending p =
        queue.add(
            new Pending(
                waiter,
                LeaseRequest.of("openai").label("waiter"),
                0,
                Long.MAX_VALUE,
                timeout,
                acquire(waiter, "waiter").position(),
                0));
    engine.release(ReleaseRequest.succeeded(holder));
    return p;
  }

  @Test
  void aGrantDeliveredTwice_byAWakeUpAndByARead_isHandedOverOnce_andStaysHeld() {
    Pending p = grantedBehindAHolder(null);
    long leaseId = engine.snapshot().leases().get(0).id();

    queue.deliver(p, leaseId, clock.millis()); // the wake-up that named the grant
    queue.deliver(p, leaseId, clock.millis()); // a pass that read the same grant

    assertThat(p.future.join().id()).isEqualTo(leaseId);
    assertThat(engine.snapshot().leases())
        .singleElement()
        .satisfies(l -> assertThat(l.label()).isEqualTo("waiter")); // not given back
  }

  @Test
  void aGrantDeliveredAfterItsDeadlineTookIt_isNotGivenBack() {
    Pending p = grantedBehindAHolder(Duration.ofSeconds(1));
    long leaseId = engine.snapshot().leases().get(0).id();

    queue.expire(p, null); // its deadline: the cancel finds the grant and hands it over
    queue.deliver(p, leaseId, clock.millis()); // the wake-up naming that grant, a moment late

    assertThat(p.future.join().id()).isEqualTo(leaseId);
    assertThat(engine.snapshot().leases()).hasSize(1);
  }

  @Test
  void aCancelThatFailed_isRetried_andGivesBackTheLeaseGrantedMeanwhile() {
    engine.setLimit(new LimitChange("openai", 1, 0, false));
    String holder = DefaultLimiter.newToken();
    acquire(holder, "holder");
    String quitter = DefaultLimiter.newToken();
    Pending p =
        queue.add(
            new Pending(
                quitter,
                LeaseRequest.of("openai").label("quitter"),
                0,
                Long.MAX_VALUE,
                null,
                acquire(quitter, "quitter").position(),
                0));
    failingCancels.set(1);
    assertThat(p.future.cancel(false)).isTrue(); // its cancel fails: the row stays queued

    engine.release(ReleaseRequest.succeeded(holder)); // ...and is granted a lease nobody will use
    assertThat(engine.snapshot().leases()).hasSize(1);
    book.retryPending(); // what the next heartbeat does

    assertThat(engine.snapshot().leases()).isEmpty();
    assertThat(engine.snapshot().waiters()).isEmpty();
  }
}
