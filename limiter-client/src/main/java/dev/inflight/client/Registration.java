package dev.inflight.client;

import dev.inflight.store.AcquireMode;
import dev.inflight.store.AcquireRequest;
import dev.inflight.store.LeaseEngine;
import dev.inflight.store.ProcessIdentity;
import dev.inflight.store.Rows.AcquireOutcome;
import dev.inflight.store.Rows.Heartbeat;
import dev.inflight.store.StoreException;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * This process's row in the protocol: registered lazily on the first acquire, kept alive by one
 * heartbeat thread, registered again (under the same id) when others reclaimed it, and removed on
 * close.
 *
 * <p>Thread-safety: {@link #lock} guards registering, re-registering and closing; {@link
 * #processId} is written under it and read by anyone. The heartbeat thread is the only one that
 * beats and the only one that retries failed releases ({@link Hooks#afterBeat}). A row found gone
 * is registered again by whoever notices first (the heartbeat, an acquirer), once per loss: {@link
 * #generation} counts the registrations, and leases remember the one they were granted under.
 */
final class Registration {
  /** What the limiter does at the heartbeat's moments. */
  interface Hooks {
    /** After every heartbeat that reached the database (write failed releases now). */
    void afterBeat();

    /**
     * The row was gone and is registered again: the leases granted under registration {@code lost}
     * (and earlier) are lost.
     */
    void lostRegistration(int lost);
  }

  private final LeaseEngine engine;
  private final ProcessIdentity me;
  private final Duration ttl;
  private final Duration interval;
  private final Retrying retrying;
  private final Hooks hooks;

  private final Object lock = new Object();
  private volatile long processId; // 0 until registered; written under lock

  /** How many times the row had to be registered again; written under lock. */
  private volatile int generation;

  private ScheduledExecutorService heartbeat; // guarded by lock
  private boolean closed; // guarded by lock
  private int failures; // heartbeat thread only

  Registration(
      LeaseEngine engine,
      ProcessIdentity me,
      Duration ttl,
      Duration interval,
      Retrying retrying,
      Hooks hooks) {
    this.engine = engine;
    this.me = me;
    this.ttl = ttl;
    this.interval = interval;
    this.retrying = retrying;
    this.hooks = hooks;
  }

  ProcessIdentity me() {
    return me;
  }

  /** This process's id, or 0 before its first acquire. */
  long current() {
    return processId;
  }

  /** Which registration of this process's row is current (leases remember theirs). */
  int generation() {
    return generation;
  }

  /** An acquisition's outcome, and the registration it was made under. */
  record Attempt(AcquireOutcome outcome, int generation) {}

  /**
   * One acquisition under this process's row, registering first if needed. A busy database is
   * retried until {@code deadlineNanos}; a row found gone is registered again (under the same id)
   * before asking again, so that no lease is ever written for an owner that no longer exists.
   */
  Attempt acquire(LeaseRequest q, String token, AcquireMode mode, long deadlineNanos) {
    for (int tries = 1; ; tries++) {
      int seen = generation;
      long owner = id(deadlineNanos);
      AcquireRequest r =
          new AcquireRequest(
              owner,
              me.pid(),
              q.provider(),
              q.label(),
              token,
              mode,
              q.model(),
              q.weight(),
              q.tokens(),
              q.priority().toStore());
      AcquireOutcome o = retrying.until("acquire a lease", () -> engine.acquire(r), deadlineNanos);
      if (o.kind() != AcquireOutcome.Kind.UNREGISTERED) {
        return new Attempt(o, seen);
      }
      if (tries == 3) {
        throw new StoreException(
            engine.location(),
            StoreException.Kind.OTHER,
            "this process's registration in the database "
                + engine.location()
                + " keeps disappearing (is something deleting rows of processes?)");
      }
      recover(owner, seen);
    }
  }

  /**
   * This process's id, registering it first if needed; a busy database is retried until {@code
   * deadlineNanos} (by the monotonic ticker).
   */
  long id(long deadlineNanos) {
    long id = processId;
    if (id != 0) {
      return id;
    }
    synchronized (lock) {
      if (processId != 0) {
        return processId;
      }
      if (closed) {
        throw new IllegalStateException("this limiter is closed");
      }
      id =
          retrying.until(
              "register this process",
              () -> engine.register(dev.inflight.store.Registration.first(me, ttl)),
              deadlineNanos);
      processId = id;
      heartbeat = Executors.newSingleThreadScheduledExecutor(Threads.daemon("inflight-heartbeat"));
      long period = interval.toMillis();
      heartbeat.scheduleWithFixedDelay(this::beat, period, period, TimeUnit.MILLISECONDS);
      return id;
    }
  }

  private void beat() {
    long id = processId;
    if (id == 0) {
      return;
    }
    int seen = generation;
    try {
      Heartbeat h = engine.heartbeat(id, ttl);
      if (failures >= 3) {
        Events.LOG.log(
            Level.INFO,
            "heartbeat to " + engine.location() + " works again after " + failures + " failures");
      }
      failures = 0;
      if (h == Heartbeat.GONE) {
        recover(id, seen);
      }
      hooks.afterBeat();
    } catch (StoreException e) {
      failures++;
      if (failures == 3 || failures % 60 == 0) {
        Events.LOG.log(
            Level.WARNING,
            "heartbeat failed "
                + failures
                + " times in a row; after "
                + Text.duration(ttl)
                + " without one, processes that cannot check this one directly reclaim its"
                + " leases: "
                + e.getMessage());
      }
    } catch (RuntimeException e) {
      Events.LOG.log(Level.ERROR, "heartbeat failed unexpectedly", e);
    }
  }

  /**
   * The row of {@code id} is gone (reclaimed by a process that could not check this one, or deleted
   * by hand): register again under the same id, unless another thread already did since it saw
   * registration {@code seen}. Called by the heartbeat and by acquirers, whoever notices first.
   */
  void recover(long id, int seen) {
    synchronized (lock) {
      if (closed || processId != id || generation != seen) {
        return;
      }
      engine.register(dev.inflight.store.Registration.again(me, ttl, id));
      generation = seen + 1;
    }
    hooks.lostRegistration(seen);
  }

  /** Stops the heartbeat (and with it the retries it drives); waits for a beat in progress. */
  void stopHeartbeat() {
    ScheduledExecutorService h;
    synchronized (lock) {
      h = heartbeat;
    }
    if (h != null) {
      h.shutdown();
      try {
        if (!h.awaitTermination(5, TimeUnit.SECONDS)) {
          h.shutdownNow();
        }
      } catch (InterruptedException e) {
        h.shutdownNow();
        Thread.currentThread().interrupt();
      }
    }
  }

  /** Stops the heartbeat and removes this process's row (its leases and waiters go with it). */
  void close() {
    stopHeartbeat();
    long id;
    synchronized (lock) {
      closed = true;
      id = processId;
    }
    if (id != 0) {
      try {
        retrying.briefly(
            "deregister",
            () -> {
              engine.deregister(id);
              return null;
            });
      } catch (StoreException e) {
        Events.LOG.log(
            Level.WARNING,
            "could not deregister on close; others reclaim this process's leases when it exits: "
                + e.getMessage());
      }
    }
  }
}
