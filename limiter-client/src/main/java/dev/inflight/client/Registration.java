package dev.inflight.client;

import dev.inflight.store.LeaseEngine;
import dev.inflight.store.ProcessIdentity;
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
 * beats and the only one that retries failed releases ({@link Hooks#afterBeat}).
 */
final class Registration {
  /** What the limiter does at the heartbeat's moments. */
  interface Hooks {
    /** After every heartbeat that reached the database (write failed releases now). */
    void afterBeat();

    /** The row was gone and is registered again: this process's leases are lost. */
    void lostRegistration();
  }

  private final LeaseEngine engine;
  private final ProcessIdentity me;
  private final Duration ttl;
  private final Duration interval;
  private final Retrying retrying;
  private final Hooks hooks;

  private final Object lock = new Object();
  private volatile long processId; // 0 until registered; written under lock
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
    try {
      Heartbeat h = engine.heartbeat(id, ttl);
      if (failures >= 3) {
        Events.LOG.log(
            Level.INFO,
            "heartbeat to " + engine.location() + " works again after " + failures + " failures");
      }
      failures = 0;
      if (h == Heartbeat.GONE) {
        registerAgain(id);
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

  /** Others reclaimed this process, or its row was deleted: register again under the same id. */
  private void registerAgain(long id) {
    synchronized (lock) {
      if (closed) {
        return;
      }
      engine.register(dev.inflight.store.Registration.again(me, ttl, id));
    }
    hooks.lostRegistration();
  }

  /** Stops the heartbeat and removes this process's row (its leases and waiters go with it). */
  void close() {
    ScheduledExecutorService h;
    long id;
    synchronized (lock) {
      closed = true;
      h = heartbeat;
      id = processId;
    }
    if (h != null) {
      h.shutdownNow();
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
