package dev.inflight.client;

import dev.inflight.client.DefaultLimiter.Pending;
import dev.inflight.store.Rows.TokenState;
import dev.inflight.store.Rows.WaitCheck;
import dev.inflight.store.Rows.WatchTarget;
import dev.inflight.store.StoreException;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The one thread per limiter that decides for every queued request of this process. It wakes on a
 * signal (a local release, a commit by another process seen through inotify, a holder's death seen
 * through its lock file) or when time alone changes something (a cooldown ends, a deadline, a
 * heartbeat expiry), runs one cheap read, and writes only when a grant or a reclaim is due. Callers
 * are woken only to receive a lease or an error: never to re-check.
 */
final class Dispatcher implements Runnable {
  private final DefaultLimiter limiter;
  private final Thread thread;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition wake = lock.newCondition();
  private boolean signaled;
  private volatile boolean stopping;
  private final AtomicBoolean deathSeen = new AtomicBoolean();
  private final Map<Long, DeathWatch> watches = new HashMap<>();
  private long nextChangeAtMs = Long.MAX_VALUE;

  /** When a usage probe next needs attention (by the limiter's clock). */
  private long probeAtMs = Long.MAX_VALUE;

  private int failures;

  /**
   * A watched owner's lock was dropped but its row survived the settle that followed (the process
   * was still in {@code /proc}, between dropping its locks and being reaped): settle again at this
   * {@link System#nanoTime()} (0 = none), backing off from 2 ms to the fallback period.
   */
  private long deathRetryAtNanos;

  private long deathBackoffMs = 2;

  /** Whether every process waited on was watched through its lock file at the last pass. */
  private boolean allWatched;

  /** Held by every pass; tests hold it to stop deliveries at a chosen point. */
  private final ReentrantLock passLock = new ReentrantLock();

  Dispatcher(DefaultLimiter limiter) {
    this.limiter = limiter;
    this.thread = new Thread(this, "inflight-dispatcher");
    this.thread.setDaemon(true);
  }

  void start() {
    thread.start();
  }

  void signal() {
    lock.lock();
    try {
      signaled = true;
      wake.signal();
    } finally {
      lock.unlock();
    }
  }

  void deathSeen() {
    deathSeen.set(true);
    signal();
  }

  /** Stops passes until the returned handle is closed (for tests of races with a delivery). */
  AutoCloseable holdPasses() {
    passLock.lock();
    return passLock::unlock;
  }

  void shutdown() {
    stopping = true;
    signal();
    try {
      thread.join(2000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void run() {
    while (!stopping) {
      try {
        awaitWork();
        if (stopping) {
          break;
        }
        if (limiter.pending.isEmpty()) {
          nextChangeAtMs = Long.MAX_VALUE;
          probeAtMs = limiter.pollGates(limiter.clock.millis());
          deathRetryAtNanos = 0;
          dropWatches(Set.of());
          continue;
        }
        passLock.lock();
        try {
          pass();
        } finally {
          passLock.unlock();
        }
        failures = 0;
      } catch (StoreException e) {
        failures++;
        if (failures == 1 || failures % 30 == 0) {
          DefaultLimiter.LOG.log(
              Level.WARNING,
              "waiting requests cannot read the database (will retry): " + e.getMessage());
        }
      } catch (RuntimeException e) {
        DefaultLimiter.LOG.log(
            Level.ERROR, "the limiter's dispatcher failed a pass (will retry)", e);
      } catch (InterruptedException e) {
        if (stopping) {
          break;
        }
      }
    }
    for (DeathWatch w : watches.values()) {
      w.close();
    }
    watches.clear();
  }

  private void awaitWork() throws InterruptedException {
    lock.lock();
    try {
      if (signaled) {
        signaled = false;
        return;
      }
      long waitMs = waitMillis();
      if (waitMs == Long.MAX_VALUE) {
        while (!signaled && !stopping) {
          wake.await();
        }
      } else {
        long nanos = waitMs * 1_000_000L;
        while (!signaled && !stopping && nanos > 0) {
          nanos = wake.awaitNanos(nanos);
        }
      }
      signaled = false;
    } finally {
      lock.unlock();
    }
  }

  /** How long to sleep: until the next deadline or timed change, at most the fallback period. */
  private long waitMillis() {
    if (limiter.pending.isEmpty()) {
      return Long.MAX_VALUE;
    }
    long now = limiter.clock.millis();
    long next = Math.min(nextChangeAtMs, probeAtMs);
    for (Pending p : limiter.pending.values()) {
      next = Math.min(next, p.deadlineMs);
    }
    long recheck =
        allWatched && limiter.watchingCommits()
            ? DefaultLimiter.WATCHED_RECHECK_MS
            : DefaultLimiter.FALLBACK_RECHECK_MS;
    long wait = next == Long.MAX_VALUE ? recheck : next - now;
    if (deathRetryAtNanos != 0) {
      wait = Math.min(wait, (deathRetryAtNanos - System.nanoTime()) / 1_000_000L);
    }
    return Math.max(1, Math.min(wait, recheck));
  }

  /** One decision round for every queued request of this process. */
  void pass() {
    long now = limiter.clock.millis();
    probeAtMs = limiter.pollGates(now);
    WaitCheck wc = limiter.check(now);
    boolean deathRetryDue = deathRetryAtNanos != 0 && System.nanoTime() - deathRetryAtNanos >= 0;
    boolean settle =
        wc.settleNeeded()
            || deathSeen.getAndSet(false)
            || deathRetryDue
            || wc.nextChangeAtMs() <= now;
    apply(wc, now);
    if (settle && !limiter.pending.isEmpty()) {
      Set<String> providers = new LinkedHashSet<>(wc.providers().keySet());
      for (Pending p : limiter.pending.values()) {
        providers.add(p.provider);
      }
      limiter.report(limiter.store.settle(providers, now));
      wc = limiter.check(now);
      apply(wc, now);
    }
    nextChangeAtMs = wc.nextChangeAtMs();
    // Deadlines last: a request granted in this pass is delivered, not timed out.
    for (Pending p : new ArrayList<>(limiter.pending.values())) {
      if (p.deadlineMs <= now) {
        limiter.expire(p, wc.providers().get(p.provider), now);
      }
    }
    updateWatches(wc.watch());
  }

  private void apply(WaitCheck wc, long now) {
    for (Map.Entry<String, TokenState> e : wc.tokens().entrySet()) {
      Pending p = limiter.pending.get(e.getKey());
      if (p == null) {
        continue;
      }
      TokenState ts = e.getValue();
      switch (ts.kind()) {
        case GRANTED -> limiter.deliver(p, ts.leaseId(), ts.acquiredAtMs());
        case QUEUED -> p.position = ts.position(); // deadlines are handled after the settle
        case MISSING -> {
          if (!p.done.get()) {
            limiter.requeue(p, now);
          }
        }
      }
    }
  }

  // ---------------------------------------------------------------- death watches

  private void updateWatches(List<WatchTarget> targets) {
    Set<Long> wanted = new HashSet<>();
    boolean dying = false;
    boolean armed = true;
    for (WatchTarget t : targets) {
      if (t.pid() == limiter.me.pid()) {
        continue; // another limiter in this JVM: it dies with us
      }
      wanted.add(t.processId());
      DeathWatch w =
          watches.computeIfAbsent(
              t.processId(),
              id ->
                  DeathWatch.start(
                      limiter.home.resolve("procs").resolve(id + ".lock"), this::deathSeen));
      dying |= w.fired();
      armed &= w.armed();
    }
    allWatched = armed;
    dropWatches(wanted);
    if (dying) {
      deathRetryAtNanos = System.nanoTime() + deathBackoffMs * 1_000_000L;
      deathBackoffMs = Math.min(deathBackoffMs * 2, DefaultLimiter.FALLBACK_RECHECK_MS);
    } else {
      deathRetryAtNanos = 0;
      deathBackoffMs = 2;
    }
  }

  private void dropWatches(Set<Long> keep) {
    watches
        .entrySet()
        .removeIf(
            e -> {
              if (keep.contains(e.getKey())) {
                return false;
              }
              e.getValue().close();
              return true;
            });
  }
}
