package dev.inflight.client;

import dev.inflight.store.Rows.WatchTarget;
import dev.inflight.store.Signals.OwnerWatch;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiFunction;

/**
 * The other processes on this host that this process's waiters wait on, each watched so that its
 * end is noticed at once rather than at a periodic re-check. A watch firing is a hint: the next
 * settle decides who is dead. An owner whose watch fired but whose row survived that settle (still
 * in {@code /proc}, between dropping its locks and being reaped) is settled again after 2 ms,
 * backing off to the fallback period.
 *
 * <p>Used by the dispatcher thread, except {@link #deathSeen}, set by watch threads.
 */
final class OwnerWatches {
  private final BiFunction<WatchTarget, Runnable, OwnerWatch> watch;
  private final Runnable signal;

  /**
   * How long a watch is kept after its owner stopped being waited on. Under contention the owners
   * of a provider come and go between passes (released, then queued again): dropping and starting
   * their watches each time cost a thread each.
   */
  static final long KEEP_UNWANTED_NANOS = 5_000_000_000L;

  private final Map<Long, OwnerWatch> watches = new HashMap<>();
  private final Map<Long, Long> lastWantedNanos = new HashMap<>();
  private final AtomicBoolean deathSeen = new AtomicBoolean();
  private boolean allWatched;
  private Set<Long> wantedIds = Set.of();
  private long retryAtNanos; // 0 = none
  private long backoffMs = 2;

  OwnerWatches(BiFunction<WatchTarget, Runnable, OwnerWatch> watch, Runnable signal) {
    this.watch = watch;
    this.signal = signal;
  }

  private void deathSeen() {
    deathSeen.set(true);
    signal.run();
  }

  /** Whether a watch fired since the last call. */
  boolean takeDeathSeen() {
    return deathSeen.getAndSet(false);
  }

  /** Whether any watch is open. */
  boolean any() {
    return !watches.isEmpty();
  }

  /**
   * Whether every owner waited on at the last update is watched now: a watch whose wait failed
   * since (EDEADLK) no longer counts.
   */
  boolean allWatched() {
    if (!allWatched) {
      return false;
    }
    for (long id : wantedIds) {
      OwnerWatch w = watches.get(id);
      if (w == null || !w.armed()) {
        return false;
      }
    }
    return true;
  }

  /** When a dying owner is next settled again; MAX_VALUE when none is dying. */
  long retryAtNanos() {
    return retryAtNanos == 0 ? Long.MAX_VALUE : retryAtNanos;
  }

  boolean retryDue(long now) {
    return retryAtNanos != 0 && now - retryAtNanos >= 0;
  }

  /** Watches exactly {@code targets} (but not {@code myPid}: another limiter in this JVM). */
  void update(List<WatchTarget> targets, long myPid, long now) {
    Set<Long> wanted = new HashSet<>();
    List<Long> spent = new java.util.ArrayList<>();
    boolean dying = false;
    boolean armed = true;
    for (WatchTarget t : targets) {
      if (t.pid() == myPid) {
        continue; // it dies with us
      }
      wanted.add(t.processId());
      lastWantedNanos.put(t.processId(), now);
      OwnerWatch w = watches.computeIfAbsent(t.processId(), id -> watch.apply(t, this::deathSeen));
      if (w.fired()) {
        dying = true;
        spent.add(t.processId());
      }
      armed &= w.armed();
    }
    // A fired watch is spent: if its owner is still there at the next pass, a new watch tells
    // whether it is alive after all (it registered again) or dead (it fires at once).
    for (long id : spent) {
      watches.remove(id).close();
      lastWantedNanos.remove(id);
    }
    allWatched = armed;
    wantedIds = wanted;
    keepOnly(id -> wanted.contains(id) || now - lastWantedNanos.get(id) < KEEP_UNWANTED_NANOS);
    if (dying) {
      retryAtNanos = now + backoffMs * 1_000_000L;
      backoffMs = Math.min(backoffMs * 2, Dispatcher.FALLBACK_RECHECK_MS);
    } else {
      retryAtNanos = 0;
      backoffMs = 2;
    }
  }

  /** Nothing waits: every watch is closed. */
  void drop() {
    keepOnly(id -> false);
    retryAtNanos = 0;
    allWatched = false;
    wantedIds = Set.of();
  }

  private void keepOnly(java.util.function.LongPredicate keep) {
    watches
        .entrySet()
        .removeIf(
            e -> {
              if (keep.test(e.getKey())) {
                return false;
              }
              e.getValue().close();
              lastWantedNanos.remove(e.getKey());
              return true;
            });
  }
}
