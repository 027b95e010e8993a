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

  @BeforeEach
  void parts() {
    engine = Engines.open(EngineConfig.of(home.resolve("limiter.db")).withClock(clock));
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
              public void lostRegistration() {}
            });
    book = new LeaseBook(engine, clocks, events, retrying, Duration.ofSeconds(30), () -> {});
    queue = new WaitQueue(engine, book, registration, retrying, clocks, me.pid());
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
            new Pending(racer, "openai", "racer", 0, Long.MAX_VALUE, null, queued.position()));

    // The release grants the waiter in the database; no dispatcher has delivered it yet, so the
    // caller's cancel arrives first, as it can in production.
    engine.release(ReleaseRequest.succeeded(holder));
    assertThat(engine.snapshot().leases())
        .singleElement()
        .satisfies(l -> assertThat(l.label()).isEqualTo("racer"));
    assertThat(p.future.cancel(false)).isTrue();

    assertThat(engine.snapshot().leases()).isEmpty();
    assertThat(queue.isEmpty()).isTrue();
  }

  @Test
  void deliver_afterTheCallerCancelled_releasesTheLease() {
    engine.setLimit(new LimitChange("openai", 1, 0, false));
    String holder = DefaultLimiter.newToken();
    acquire(holder, "holder");
    String racer = DefaultLimiter.newToken();
    Pending p =
        queue.add(
            new Pending(
                racer,
                "openai",
                "racer",
                0,
                Long.MAX_VALUE,
                null,
                acquire(racer, "racer").position()));
    engine.release(ReleaseRequest.succeeded(holder));
    long leaseId = engine.snapshot().leases().get(0).id();

    // The dispatcher claims the request first; the caller's cancel then loses the race.
    queue.deliver(p, leaseId, clock.millis());
    assertThat(p.future.cancel(false)).isFalse();
    assertThat(p.future.join().id()).isEqualTo(leaseId);
  }
}
