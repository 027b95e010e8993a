package dev.inflight.client;

import dev.inflight.store.LeaseEngine;
import dev.inflight.store.Rows.TokenState;
import dev.inflight.store.Rows.WaitCheck;
import dev.inflight.store.Rows.WatchTarget;
import dev.inflight.store.Signals.OwnerWatch;
import dev.inflight.store.StoreException;
import java.lang.System.Logger.Level;
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
 * signal (a local release, a commit by another process, a holder's end seen by the engine) or when
 * time alone changes something (a cooldown ends, a deadline, an expiry), runs one cheap read, and
 * writes only when a grant or a reclaim is due. Callers are woken only to receive a lease or an
 * error: never to re-check.
 *
 * <p>It is given the parts it drives (the wait queue, the gates, the engine), never the limiter.
 * Every field below the lock is touched by the dispatcher thread only, except where marked.
 */
final class Dispatcher implements Runnable {
  /**
   * While anything waits, re-check at least this often when some process it waits on cannot be
   * watched (a foreign client without a lock file) or commits cannot be watched.
   */
  static final long FALLBACK_RECHECK_MS = 1000;

  /**
   * The re-check period when every process waited on is watched and commits are watched: a safety
   * net only, since every change then wakes the dispatcher itself.
   */
  static final long WATCHED_RECHECK_MS = 10_000;

  private final WaitQueue queue;
  private final LeaseEngine engine;
  private final Gates gates;
  private final Registration registration;
  private final Events events;
  private final Clocks clocks;
  private final Thread thread;
  private final AtomicBoolean started = new AtomicBoolean();

  private final ReentrantLock lock = new ReentrantLock();
  private final Condition wake = lock.newCondition();
  private boolean signaled; // guarded by lock
  private volatile boolean stopping;
  private final AtomicBoolean deathSeen = new AtomicBoolean(); // set by watch threads
  private AutoCloseable commitSubscription; // started-once, then dispatcher thread only

  private final Map<Long, OwnerWatch> watches = new HashMap<>();

  /** When time alone next changes what a check says (monotonic ns); MAX_VALUE for never. */
  private long nextChangeAtNanos = Long.MAX_VALUE;

  /** When a usage probe next needs attention (monotonic ms). */
  private long probeAtMs = Long.MAX_VALUE;

  private int failures;

  /**
   * A watched owner stopped proving liveness but its row survived the settle that followed (it was
   * still in {@code /proc}, between dropping its locks and being reaped): settle again at this
   * monotonic time (0 = none), backing off from 2 ms to the fallback period.
   */
  private long deathRetryAtNanos;

  private long deathBackoffMs = 2;

  /** Whether every process waited on was watched at the last pass. */
  private boolean allWatched;

  Dispatcher(
      WaitQueue queue,
      LeaseEngine engine,
      Gates gates,
      Registration registration,
      Events events,
      Clocks clocks) {
    this.queue = queue;
    this.engine = engine;
    this.gates = gates;
    this.registration = registration;
    this.events = events;
    this.clocks = clocks;
    this.thread = new Thread(this, "inflight-dispatcher");
    this.thread.setDaemon(true);
  }

  /** Starts the thread and the commit watch, once; later calls only signal. */
  void start() {
    if (started.compareAndSet(false, true)) {
      commitSubscription = engine.signals().onCommit(this::signalIfWaiting);
      thread.start();
    }
    signal();
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

  /** A signal that costs nothing when nothing waits. */
  void signalIfWaiting() {
    if (started.get() && !queue.isEmpty()) {
      signal();
    }
  }

  private void deathSeen() {
    deathSeen.set(true);
    signal();
  }

  void shutdown() {
    stopping = true;
    if (!started.get()) {
      return;
    }
    signal();
    try {
      thread.join(2000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    try {
      if (commitSubscription != null) {
        commitSubscription.close();
      }
    } catch (Exception e) {
      // nothing to undo
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
        if (queue.isEmpty()) {
          nextChangeAtNanos = Long.MAX_VALUE;
          probeAtMs = gates.poll(monotonicMs(), Set.of(), this::signal);
          deathRetryAtNanos = 0;
          dropWatches(Set.of());
          continue;
        }
        pass();
        failures = 0;
      } catch (StoreException e) {
        failures++;
        if (failures == 1 || failures % 30 == 0) {
          Events.LOG.log(
              Level.WARNING,
              "waiting requests cannot read the database (will retry): " + e.getMessage());
        }
      } catch (RuntimeException e) {
        Events.LOG.log(Level.ERROR, "the limiter's dispatcher failed a pass (will retry)", e);
      } catch (InterruptedException e) {
        if (stopping) {
          break;
        }
      }
    }
    dropWatches(Set.of());
  }

  private long monotonicMs() {
    return clocks.nanos() / 1_000_000L;
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

  /** How long to sleep: until the next deadline or timed change, at most the re-check period. */
  private long waitMillis() {
    if (queue.isEmpty()) {
      return Long.MAX_VALUE;
    }
    long now = clocks.nanos();
    long next = nextChangeAtNanos;
    if (probeAtMs != Long.MAX_VALUE) {
      next = Math.min(next, probeAtMs * 1_000_000L);
    }
    for (Pending p : queue.all()) {
      next = Math.min(next, p.deadlineNanos);
    }
    if (deathRetryAtNanos != 0) {
      next = Math.min(next, deathRetryAtNanos);
    }
    long recheck =
        allWatched && engine.signals().commitsWatched() ? WATCHED_RECHECK_MS : FALLBACK_RECHECK_MS;
    long wait = next == Long.MAX_VALUE ? recheck : (next - now) / 1_000_000L;
    return Math.max(1, Math.min(wait, recheck));
  }

  /** One decision round for every queued request of this process. */
  void pass() {
    long now = clocks.nanos();
    probeAtMs = gates.poll(now / 1_000_000L, queue.providers(), this::signal);
    WaitCheck wc = engine.check(registration.current(), queue.tokens());
    boolean deathRetryDue = deathRetryAtNanos != 0 && now - deathRetryAtNanos >= 0;
    boolean settle =
        wc.settleNeeded()
            || deathSeen.getAndSet(false)
            || deathRetryDue
            || wc.nextChangeAtMs() <= wc.atMs();
    apply(wc);
    if (settle && !queue.isEmpty()) {
      Set<String> providers = new LinkedHashSet<>(wc.providers().keySet());
      providers.addAll(queue.providers());
      events.reclaimed(engine.settle(providers));
      wc = engine.check(registration.current(), queue.tokens());
      apply(wc);
    }
    nextChangeAtNanos =
        wc.nextChangeAtMs() == Long.MAX_VALUE
            ? Long.MAX_VALUE
            : Clocks.plusNanos(
                clocks.nanos(), Math.max(0, wc.nextChangeAtMs() - wc.atMs()) * 1_000_000L);
    // Deadlines last: a request granted in this pass is delivered, not timed out.
    long after = clocks.nanos();
    for (Pending p : queue.all()) {
      if (p.deadlineNanos != Long.MAX_VALUE && after - p.deadlineNanos >= 0) {
        queue.expire(p, wc.providers().get(p.provider));
      }
    }
    updateWatches(wc.watch());
  }

  private void apply(WaitCheck wc) {
    for (Map.Entry<String, TokenState> e : wc.tokens().entrySet()) {
      Pending p = queue.get(e.getKey());
      if (p == null) {
        continue;
      }
      TokenState ts = e.getValue();
      switch (ts.kind()) {
        case GRANTED -> queue.deliver(p, ts.leaseId(), ts.acquiredAtMs());
        case QUEUED -> p.position = ts.position(); // deadlines are handled after the settle
        case MISSING -> {
          if (!p.done.get()) {
            try {
              events.reclaimed(queue.requeue(p).reclaimed());
            } catch (RuntimeException failure) {
              // One request that cannot be queued again must not stop the others, or deadlines.
              Events.LOG.log(
                  Level.WARNING,
                  "could not queue a request for '"
                      + Text.printable(p.provider)
                      + "' again (will retry): "
                      + failure.getMessage());
            }
          }
        }
      }
    }
  }

  // ---------------------------------------------------------------- owner watches

  private void updateWatches(List<WatchTarget> targets) {
    Set<Long> wanted = new HashSet<>();
    boolean dying = false;
    boolean armed = true;
    long myPid = registration.me().pid();
    for (WatchTarget t : targets) {
      if (t.pid() == myPid) {
        continue; // another limiter in this JVM: it dies with us
      }
      wanted.add(t.processId());
      OwnerWatch w =
          watches.computeIfAbsent(t.processId(), id -> engine.signals().watch(t, this::deathSeen));
      dying |= w.fired();
      armed &= w.armed();
    }
    allWatched = armed;
    dropWatches(wanted);
    if (dying) {
      deathRetryAtNanos = clocks.nanos() + deathBackoffMs * 1_000_000L;
      deathBackoffMs = Math.min(deathBackoffMs * 2, FALLBACK_RECHECK_MS);
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
