package dev.inflight.client;

import dev.inflight.store.LeaseEngine;
import dev.inflight.store.Rows.Glance;
import dev.inflight.store.Rows.ProviderState;
import dev.inflight.store.Rows.WaitCheck;
import dev.inflight.store.Signals.CommitWatch;
import dev.inflight.store.StoreException;
import java.lang.System.Logger.Level;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;

/**
 * The one thread per limiter that decides for every queued request of this process. It wakes on a
 * signal (a local release, a commit by another process, a holder's end seen by the engine) or when
 * time alone changes something (a cooldown ends, a deadline, an expiry), runs one cheap read, and
 * writes only when a grant or a reclaim is due. Callers are woken only to receive a lease or an
 * error: never to re-check.
 *
 * <p>It is given the parts it drives (the wait queue, the gates, the engine), never the limiter.
 * Its cues (what woke it) are in {@link Cues}; every other field is touched by the dispatcher
 * thread only, except where marked.
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

  /**
   * Set by a thread of this process (a release) around an engine call whose grants it announces
   * itself, after its own events: a listener hears "released a" before "acquired b".
   */
  static final ThreadLocal<Boolean> SIGNALS_AFTER = ThreadLocal.withInitial(() -> false);

  private final WaitQueue queue;
  private final LeaseEngine engine;
  private final Gates gates;
  private final Registration registration;
  private final Events events;
  private final Clocks clocks;
  private final Thread thread;
  private final AtomicBoolean started = new AtomicBoolean();

  private final Cues cues;
  private volatile boolean stopping;
  private CommitWatch commitSubscription; // started-once, then dispatcher thread only
  private boolean commitsPaused; // dispatcher thread only
  private AutoCloseable wakeSubscription; // likewise

  private final OwnerWatches owners;

  /** When time alone next changes what a check says (monotonic ns); MAX_VALUE for never. */
  private long nextChangeAtNanos = Long.MAX_VALUE;

  /** When a usage probe next needs attention (monotonic ms). */
  private long probeAtMs = Long.MAX_VALUE;

  private int failures;

  private final LongAdder passes = new LongAdder(); // read by any thread
  private final LongAdder glances = new LongAdder(); // likewise
  private final WakeUps wakes;

  /** The providers' states at the last pass. */
  private Map<String, ProviderState> lastStates = Map.of();

  /**
   * Whether the next timed wake-up is the safety re-check of a fully watched queue, and only that.
   */
  private boolean safetyNetOnly;

  /** Safety re-checks answered by a glance since the last full pass; a full one comes at 6. */
  private int glancedSafetyChecks;

  private static final int MAX_GLANCED_SAFETY_CHECKS = 5;

  /** When the last pass began (monotonic ns). */
  private long lastPassNanos;

  private final CommitHints hints;

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
    this.cues = new Cues(clocks::nanos);
    this.owners = new OwnerWatches((t, onGone) -> engine.signals().watch(t, onGone), this::signal);
    this.hints = new CommitHints(() -> engine.signals().commitCount());
    this.lastPassNanos = clocks.nanos();
    this.thread = new Thread(this, "inflight-dispatcher");
    this.thread.setDaemon(true);
    this.wakes = new WakeUps(queue, engine, registration, cues, thread);
  }

  /**
   * How many wake-ups this process has received so far. A caller reads it before queueing a request
   * and hands it to {@link #start(long)}: a wake-up that arrived in between may have been for that
   * request, before it was in the wait queue.
   */
  long wakeUps() {
    return wakes.received();
  }

  /** {@link #start()}, for a request queued when {@link #wakeUps()} was {@code wakeUpsBefore}. */
  void start(long wakeUpsBefore) {
    if (wakes.received() != wakeUpsBefore && started.get()) {
      cues.raise(GRANTED); // read the grants: one may be this request's, announced before its add
      return;
    }
    start();
  }

  /** Starts the thread and the commit watch, once; later calls only signal. */
  void start() {
    if (started.compareAndSet(false, true)) {
      commitSubscription = engine.signals().onCommitOf(this::hint);
      wakeSubscription = engine.signals().onWake(wakes::woken);
      thread.start();
      signal();
      return;
    }
    cues.raise(ENQUEUED); // its deadline may be sooner than the dispatcher's sleep
  }

  /**
   * Someone committed something: maybe a grant by a client that cannot wake this process, or a hand
   * edit. Costs nothing when nothing waits, or when the engine named the providers that changed and
   * nothing here waits at any of them; the dispatcher decides when it is worth a read.
   */
  private void hint(Set<String> changed) {
    if (!started.get() || queue.isEmpty()) {
      return;
    }
    if (changed != null && !queue.waitsAtAny(changed)) {
      return;
    }
    cues.raise(HINTED);
  }

  void signal() {
    cues.raise(SIGNALED);
  }

  /**
   * After a release by this thread: hands over the grants it made to this process's own waiters,
   * or, when it made none (or not all could be handed over), signals as {@link #signalIfWaiting}.
   */
  void afterRelease() {
    if (!wakes.announceHeldBack()) {
      signalIfWaiting();
    }
  }

  /** A signal that costs nothing when nothing waits. */
  void signalIfWaiting() {
    if (started.get() && !queue.isEmpty()) {
      signal();
    }
  }

  /**
   * Times waiting requests were looked at so far: reads (passes, glances that spared one, reads of
   * the grants), and wake-ups that handed leases over without a read.
   */
  long passes() {
    return passes.sum() + glances.sum() + wakes.looks();
  }

  /**
   * Whether the providers this process waits on look exactly as at the last pass: then the commit
   * that prompted this look concerned somebody else (a heartbeat, another provider).
   */
  private boolean unchanged() {
    Map<String, ProviderState> last = lastStates;
    if (last.isEmpty()) {
      return false;
    }
    glances.increment();
    hints.passing();
    // A grant can leave the counts as they were (one released, one granted): look for ours too.
    Glance g = engine.glance(registration.current(), queue.tokens(), last.keySet());
    if (wakes.deliver(g.granted())) {
      return false;
    }
    return !g.settleNeeded() && g.providers().equals(last);
  }

  /** Wake-up messages received from other processes so far. */
  long signalsReceived() {
    return wakes.signals();
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
    for (AutoCloseable subscription : new AutoCloseable[] {commitSubscription, wakeSubscription}) {
      try {
        if (subscription != null) {
          subscription.close();
        }
      } catch (Exception e) {
        // nothing to undo
      }
    }
  }

  @Override
  public void run() {
    while (!stopping) {
      try {
        long timedAt = nextTimedNanos();
        long until = Math.min(timedAt, hints.dueNanos());
        if (commitsPaused) {
          until = Math.min(until, hints.backOffEndsNanos());
        }
        int why = cues.await(until);
        if (stopping) {
          break;
        }
        long now = clocks.nanos();
        if ((why & TIMED_OUT) != 0 && now - until < 0) {
          now = until; // it waited that long: the ticker may lag (or be a test's, standing still)
        }
        if (commitsPaused && (!hints.backingOff(now) || queue.isEmpty())) {
          commitsPaused = false;
          commitSubscription.resume(); // reports once: whatever was committed meanwhile
          cues.clear(HINTED); // the hint that resuming reported on this thread
          hints.resumed(now);
        }
        if ((why & HINTED) != 0) {
          hints.seen(now);
        }
        if (queue.isEmpty()) {
          nextChangeAtNanos = Long.MAX_VALUE;
          probeAtMs = gates.poll(monotonicMs(), Set.of(), this::signal);
          hints.clear();
          // Watches outlive a moment of empty queue (a single-threaded caller's queue empties at
          // every grant); after a while with nothing queued they go.
          if (now - lastPassNanos >= OwnerWatches.KEEP_UNWANTED_NANOS) {
            lastStates = Map.of();
            owners.drop();
          }
          continue;
        }
        // A request queued just now needs no read when a recent full read saw its provider: the
        // queueing transaction itself settled and reclaimed, and that read found the owners to
        // watch. (An owner that cannot be watched, a lock wait refused with EDEADLK among
        // processes that watch each other, is re-read every second anyway: a read per queued
        // request would learn nothing more of it.)
        boolean enqueuedOnly =
            (why & ENQUEUED) != 0
                && now - lastPassNanos < FRESH_NANOS
                && lastStates.keySet().containsAll(queue.providers());
        if ((why & ENQUEUED) != 0 && !enqueuedOnly) {
          why |= SIGNALED;
        }
        boolean prompted =
            (why & SIGNALED) != 0 || (timedAt != Long.MAX_VALUE && now - timedAt >= 0);
        boolean byCommit = !prompted && hints.due(now);
        boolean byWakeUp = !prompted && !byCommit && (why & GRANTED) != 0;
        if (!prompted && !byCommit && !byWakeUp) {
          continue; // a commit not yet worth a read: looked at again when due
        }
        boolean settled;
        if (prompted
            && (why & SIGNALED) == 0
            && safetyNetOnly
            && glancedSafetyChecks < MAX_GLANCED_SAFETY_CHECKS
            && unchanged()) {
          glancedSafetyChecks++;
          lastPassNanos = now; // nothing was missed: the next safety re-check is a period away
          settled = false;
        } else if (byWakeUp) {
          wakes.take(); // all that a wake-up announces; everything else waits for its own cue
          settled = false;
        } else {
          settled = byCommit && unchanged() ? false : pass();
        }
        // Whatever prompted it, a read that this process had nothing to write for shows that
        // commit hints are not what it needs now (wake-ups bring its grants): back off from them.
        hints.passed(now, settled, engine.signals().wakeable(), !byWakeUp);
        if (!commitsPaused && hints.backingOff(now)) {
          commitsPaused = true; // other processes' commits now wake none of our threads
          commitSubscription.pause();
        }
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
    owners.drop();
  }

  private static final int SIGNALED = Cues.SIGNALED;
  private static final int HINTED = Cues.HINTED;
  private static final int TIMED_OUT = Cues.TIMED_OUT;
  private static final int GRANTED = Cues.GRANTED;
  private static final int ENQUEUED = Cues.ENQUEUED;

  /** How recent a full read must be for a newly queued request to need none of its own. */
  private static final long FRESH_NANOS = 1_000_000_000L;

  private long monotonicMs() {
    return clocks.nanos() / 1_000_000L;
  }

  /**
   * When the next pass is due by time alone (monotonic ns): the next deadline or timed change, and
   * at the latest one re-check period after the last pass; MAX_VALUE when nothing waits.
   */
  private long nextTimedNanos() {
    if (queue.isEmpty()) {
      return owners.any() ? lastPassNanos + OwnerWatches.KEEP_UNWANTED_NANOS : Long.MAX_VALUE;
    }
    long next = nextChangeAtNanos;
    if (probeAtMs != Long.MAX_VALUE) {
      next = Math.min(next, probeAtMs * 1_000_000L);
    }
    for (Pending p : queue.all()) {
      next = Math.min(next, p.deadlineNanos);
    }
    next = Math.min(next, owners.retryAtNanos());
    long recheck =
        owners.allWatched() && engine.signals().commitsWatched()
            ? WATCHED_RECHECK_MS
            : FALLBACK_RECHECK_MS;
    long safety = Clocks.plusNanos(lastPassNanos, recheck * 1_000_000L);
    // With every owner watched and commits watched, the re-check is a safety net only: a glance
    // is enough to tell that nothing was missed (see run).
    safetyNetOnly = recheck == WATCHED_RECHECK_MS && safety - next <= 0;
    // Never spin: a timed change is looked at no sooner than 1 ms after the last pass.
    return Math.max(Math.min(next, safety), lastPassNanos + 1_000_000L);
  }

  /** One decision round for every queued request of this process. */
  boolean pass() {
    passes.increment();
    glancedSafetyChecks = 0;
    hints.passing(); // what this read sees is no news to a commit hint
    long now = clocks.nanos();
    lastPassNanos = now;
    probeAtMs = gates.poll(now / 1_000_000L, queue.providers(), this::signal);
    WaitCheck wc = engine.check(registration.current(), queue.tokens());
    boolean deathRetryDue = owners.retryDue(now);
    boolean settle =
        wc.settleNeeded()
            || owners.takeDeathSeen()
            || deathRetryDue
            || wc.nextChangeAtMs() <= wc.atMs();
    queue.apply(wc, events::reclaimed);
    if (settle && !queue.isEmpty()) {
      Set<String> providers = new LinkedHashSet<>(wc.providers().keySet());
      providers.addAll(queue.providers());
      events.reclaimed(engine.settle(providers));
      wc = engine.check(registration.current(), queue.tokens());
      queue.apply(wc, events::reclaimed);
    }
    nextChangeAtNanos =
        wc.nextChangeAtMs() == Long.MAX_VALUE
            ? Long.MAX_VALUE
            : Clocks.plusNanos(
                clocks.nanos(), Math.max(0, wc.nextChangeAtMs() - wc.atMs()) * 1_000_000L);
    // Deadlines last: a request granted in this pass is delivered, not timed out.
    long after = clocks.nanos();
    // Only requests this pass read: one queued meanwhile is not in the state it would report.
    for (Pending p : queue.all()) {
      if (p.deadlineNanos != Long.MAX_VALUE
          && after - p.deadlineNanos >= 0
          && wc.tokens().containsKey(p.token)) {
        queue.expire(p, wc.providers().get(p.provider));
      }
    }
    owners.update(wc.watch(), registration.me().pid(), clocks.nanos());
    lastStates = wc.providers();
    return settle;
  }
}
