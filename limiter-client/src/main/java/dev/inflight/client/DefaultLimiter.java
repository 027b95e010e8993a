package dev.inflight.client;

import dev.inflight.store.LeaseStore;
import dev.inflight.store.ProcessIdentity;
import dev.inflight.store.Rows;
import dev.inflight.store.Rows.AcquireOutcome;
import dev.inflight.store.Rows.CancelOutcome;
import dev.inflight.store.Rows.Ending;
import dev.inflight.store.Rows.ProviderState;
import dev.inflight.store.Rows.Reclaimed;
import dev.inflight.store.Rows.ReleaseOutcome;
import dev.inflight.store.Rows.WaitCheck;
import dev.inflight.store.StoreException;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The limiter. One process row (registered lazily on the first acquire) with one heartbeat; one
 * dispatcher thread that alone wakes waiting callers, and only to hand them a lease or an error.
 */
final class DefaultLimiter implements Limiter {
  static final System.Logger LOG = System.getLogger("dev.inflight.client");
  private static final SecureRandom RANDOM = new SecureRandom();

  /**
   * While anything waits, re-check at least this often when some process it waits on holds no lock
   * file (a foreign client) or commits cannot be watched: its death or commit wakes nobody.
   */
  static final long FALLBACK_RECHECK_MS = 1000;

  /**
   * The re-check period when every process waited on is watched through its lock file and commits
   * through inotify: a safety net only, since every change then wakes the dispatcher itself.
   */
  static final long WATCHED_RECHECK_MS = 10_000;

  final LeaseStore store;
  final Path home;
  final InstantSource clock;
  private final Duration heartbeatInterval;
  private final Duration ttl;
  private final FailurePolicy failurePolicy;
  private final LimiterListener listener;
  final ProcessIdentity me;

  private final Object registration = new Object();
  private volatile long processId;
  private FileChannel ownLockChannel;
  private FileLock ownLock;
  private ScheduledExecutorService heartbeat;
  private final AtomicInteger heartbeatFailures = new AtomicInteger();

  final ConcurrentHashMap<String, Pending> pending = new ConcurrentHashMap<>();
  private final Set<DefaultLease> held = ConcurrentHashMap.newKeySet();
  private final ConcurrentLinkedQueue<String> releaseRetries = new ConcurrentLinkedQueue<>();
  private final CopyOnWriteArrayList<Runnable> changeListeners = new CopyOnWriteArrayList<>();
  private volatile Dispatcher dispatcher;
  private volatile ChangeWatcher watcher;
  private final AtomicBoolean closed = new AtomicBoolean();
  private final LimitsImpl limits = new LimitsImpl();
  private final Upstream upstream;
  private final Map<String, UpstreamGate> gates = new HashMap<>();
  private volatile ExecutorService probeThreads;

  DefaultLimiter(
      LeaseStore store,
      Path home,
      InstantSource clock,
      Duration heartbeatInterval,
      Duration ttl,
      FailurePolicy failurePolicy,
      LimiterListener listener,
      ProcessIdentity me,
      Upstream upstream) {
    this.store = store;
    this.upstream = upstream;
    this.home = home;
    this.clock = clock;
    this.heartbeatInterval = heartbeatInterval;
    this.ttl = ttl;
    this.failurePolicy = failurePolicy;
    this.listener = listener;
    this.me = me;
  }

  /** A request waiting in the queue. {@code done} is claimed by whoever completes it. */
  static final class Pending {
    final String token;
    final String provider;
    final String label;
    final long queuedAtMs;
    final long deadlineMs;
    final Duration timeout;
    final CompletableFuture<Lease> future = new CompletableFuture<>();
    final AtomicBoolean done = new AtomicBoolean();
    volatile int position;

    Pending(
        String token,
        String provider,
        String label,
        long queuedAtMs,
        Duration timeout,
        int position) {
      this.token = token;
      this.provider = provider;
      this.label = label;
      this.queuedAtMs = queuedAtMs;
      this.timeout = timeout;
      this.deadlineMs =
          timeout == null ? Long.MAX_VALUE : saturatedAdd(queuedAtMs, timeout.toMillis());
      this.position = position;
    }
  }

  // ================================================================ acquiring

  @Override
  public Optional<Lease> tryAcquire(String provider, String label) {
    Validation.provider(provider);
    String l = Validation.label(label);
    ensureOpen();
    long now = clock.millis();
    String token = newToken();
    AcquireOutcome o;
    try {
      long owner = ensureRegistered();
      o = store.acquire(owner, me.pid(), provider, l, token, now, false);
    } catch (StoreException e) {
      return Optional.of(failOpenOrThrow(provider, l, e));
    }
    report(o.reclaimed());
    if (o.kind() != AcquireOutcome.Kind.GRANTED) {
      return Optional.empty();
    }
    return Optional.of(granted(o.leaseId(), token, provider, l, o.acquiredAtMs(), now));
  }

  @Override
  public Lease acquire(String provider, String label, Duration timeout) {
    if (timeout == null) {
      throw new IllegalArgumentException("timeout must be zero or positive (was null)");
    }
    CompletableFuture<Lease> f = acquireAsync(provider, label, timeout);
    try {
      return f.get();
    } catch (InterruptedException e) {
      f.cancel(false);
      Thread.currentThread().interrupt();
      throw new LeaseInterruptedException(
          "interrupted while waiting for a lease for '"
              + provider
              + "'; the request left the queue",
          e);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof LimiterException le) {
        throw le;
      }
      throw new LimiterException(
          "acquiring a lease for '" + provider + "' failed: " + cause, cause);
    }
  }

  @Override
  public CompletableFuture<Lease> acquireAsync(String provider, String label, Duration timeout) {
    Validation.provider(provider);
    String l = Validation.label(label);
    Validation.timeout(timeout);
    ensureOpen();
    long now = clock.millis();
    String token = newToken();
    AcquireOutcome o;
    try {
      long owner = ensureRegistered();
      o = store.acquire(owner, me.pid(), provider, l, token, now, true);
    } catch (StoreException e) {
      try {
        return CompletableFuture.completedFuture(failOpenOrThrow(provider, l, e));
      } catch (LimiterException le) {
        return CompletableFuture.failedFuture(le);
      }
    }
    report(o.reclaimed());
    if (o.kind() == AcquireOutcome.Kind.GRANTED) {
      return CompletableFuture.completedFuture(
          granted(o.leaseId(), token, provider, l, o.acquiredAtMs(), now));
    }
    Pending p = new Pending(token, provider, l, now, timeout, o.position());
    pending.put(token, p);
    p.future.whenComplete(
        (lease, error) -> {
          if (error != null && p.done.compareAndSet(false, true)) {
            pending.remove(token); // cancelled or completed by the caller
            leaveQueue(p);
          }
        });
    ProviderState st = o.state();
    LOG.log(
        Level.INFO,
        () ->
            "'"
                + provider
                + "' is full ("
                + describe(st)
                + "): request"
                + (l.isEmpty() ? "" : " '" + l + "'")
                + " queued at position "
                + o.position());
    safely(() -> listener.queued(provider, l, o.position(), o.position() - 1));
    dispatcher().signal();
    return p.future;
  }

  private Lease failOpenOrThrow(String provider, String label, StoreException e) {
    if (failurePolicy == FailurePolicy.FAIL_OPEN) {
      LOG.log(
          Level.WARNING,
          "granting '"
              + provider
              + "' without a limit (failure policy FAIL_OPEN): "
              + e.getMessage());
      Instant now = clock.instant();
      return new DefaultLease(this, 0, null, provider, label, now, Duration.ZERO);
    }
    throw new LimiterException(e.getMessage(), e);
  }

  private DefaultLease granted(
      long id, String token, String provider, String label, long acquiredAtMs, long queuedAtMs) {
    Duration waited = Duration.ofMillis(Math.max(0, acquiredAtMs - queuedAtMs));
    DefaultLease lease =
        new DefaultLease(
            this, id, token, provider, label, Instant.ofEpochMilli(acquiredAtMs), waited);
    held.add(lease);
    if (!waited.isZero()) {
      LOG.log(
          Level.INFO,
          () ->
              "lease "
                  + id
                  + " for '"
                  + provider
                  + "' granted after "
                  + Durations.format(waited)
                  + " in the queue");
    }
    safely(() -> listener.acquired(lease, waited));
    return lease;
  }

  /**
   * The caller gave up on a queued request: take it out of the queue (or give back a late grant).
   */
  private void leaveQueue(Pending p) {
    try {
      CancelOutcome c = store.cancel(p.token);
      if (c.kind() == CancelOutcome.Kind.ALREADY_GRANTED) {
        DefaultLease lease =
            new DefaultLease(
                this,
                c.leaseId(),
                p.token,
                p.provider,
                p.label,
                Instant.ofEpochMilli(c.acquiredAtMs()),
                Duration.ZERO);
        held.add(lease);
        lease.close();
      }
    } catch (StoreException e) {
      LOG.log(
          Level.WARNING,
          "could not take a cancelled request for '"
              + p.provider
              + "' out of the queue; it leaves when this process exits: "
              + e.getMessage());
    }
  }

  // ================================================================ releasing

  ReleaseResult release(DefaultLease lease, Outcome outcome, Duration retryAfter) {
    if (!lease.recorded()) {
      return ReleaseResult.NOT_RECORDED;
    }
    long now = clock.millis();
    long retryMs = (retryAfter == null ? upstream.defaultRetryAfter() : retryAfter).toMillis();
    ReleaseOutcome o;
    try {
      o = store.release(lease.token(), now, Ending.valueOf(outcome.name()), retryMs);
    } catch (StoreException e) {
      releaseRetries.add(lease.token());
      held.remove(lease);
      throw new LimiterException(e.getMessage() + " (the release will be retried)", e);
    }
    held.remove(lease);
    ReleaseResult result =
        switch (o.kind()) {
          case RELEASED -> ReleaseResult.RELEASED;
          case COOLING -> ReleaseResult.COOLING;
          case NOT_HELD -> ReleaseResult.LOST;
        };
    Duration heldFor = Duration.ofMillis(Math.max(0, now - lease.acquiredAt().toEpochMilli()));
    if (result == ReleaseResult.LOST) {
      LOG.log(
          Level.WARNING,
          "lease "
              + lease.id()
              + " for '"
              + lease.provider()
              + "' was no longer held when released (force-released or reclaimed)");
    }
    safely(() -> listener.released(lease, heldFor, result));
    if (outcome == Outcome.RATE_LIMITED) {
      long until = o.pausedUntilMs();
      if (result == ReleaseResult.LOST) {
        // The slot was already taken back, but the provider did say 429: everyone must hear it.
        try {
          until =
              store
                  .report429(lease.provider(), now, retryMs, LeaseStore.RATE_LIMITED_REASON)
                  .pausedUntilMs();
        } catch (StoreException e) {
          LOG.log(Level.WARNING, "could not record a 429 for '" + lease.provider() + "': " + e);
        }
      }
      rateLimited(lease.provider(), Math.max(until, now + retryMs));
    }
    signalIfWaiting();
    return result;
  }

  private void rateLimited(String provider, long untilMs) {
    Instant until = Instant.ofEpochMilli(untilMs);
    LOG.log(
        Level.WARNING,
        () -> "'" + provider + "' answered 429: admission paused for every process until " + until);
    safely(() -> listener.rateLimited(provider, until));
  }

  @Override
  public Instant report429(String provider, Duration retryAfter) {
    Validation.provider(provider);
    Duration r = Validation.retryAfter(retryAfter);
    ensureOpen();
    long now = clock.millis();
    long retryMs = (r == null ? upstream.defaultRetryAfter() : r).toMillis();
    ProviderState st;
    try {
      st = store.report429(provider, now, retryMs, REPORTED_429_REASON);
    } catch (StoreException e) {
      throw new LimiterException(e.getMessage(), e);
    }
    long until = Math.max(st.pausedUntilMs(), now + retryMs);
    rateLimited(provider, until);
    signalIfWaiting();
    return Instant.ofEpochMilli(until);
  }

  /** The pause reason of a 429 reported without a lease. */
  static final String REPORTED_429_REASON = "429 reported";

  LimiterListener listener() {
    return listener;
  }

  /**
   * Drives the usage probes (called by the dispatcher before each pass).
   *
   * @return when a probe next needs attention, by the limiter's clock
   */
  long pollGates(long now) {
    if (upstream.probes().isEmpty()) {
      return Long.MAX_VALUE;
    }
    Set<String> waiting = new java.util.HashSet<>();
    for (Pending p : pending.values()) {
      waiting.add(p.provider);
    }
    long next = Long.MAX_VALUE;
    for (Map.Entry<String, UsageProbe> e : upstream.probes().entrySet()) {
      UpstreamGate g =
          gates.computeIfAbsent(
              e.getKey(),
              p ->
                  new UpstreamGate(
                      this, p, e.getValue(), upstream, probeThreads(), dispatcher()::signal));
      next = Math.min(next, g.poll(now, waiting.contains(e.getKey())));
    }
    return next;
  }

  private ExecutorService probeThreads() {
    ExecutorService x = probeThreads;
    if (x == null) {
      synchronized (this) {
        x = probeThreads;
        if (x == null) {
          x = Executors.newCachedThreadPool(daemon("inflight-usage-probe"));
          probeThreads = x;
        }
      }
    }
    return x;
  }

  void logReleaseFailure(DefaultLease lease, LimiterException e) {
    LOG.log(Level.WARNING, "could not release " + lease + ": " + e.getMessage());
  }

  // ================================================================ registration and heartbeat

  long ensureRegistered() {
    long id = processId;
    if (id != 0) {
      return id;
    }
    synchronized (registration) {
      if (processId != 0) {
        return processId;
      }
      ensureOpen();
      id = store.register(me, clock.millis(), ttl.toMillis(), null);
      lockOwnFile(id);
      processId = id;
      heartbeat = Executors.newSingleThreadScheduledExecutor(daemon("inflight-heartbeat"));
      long period = heartbeatInterval.toMillis();
      heartbeat.scheduleWithFixedDelay(this::beat, period, period, TimeUnit.MILLISECONDS);
      return id;
    }
  }

  /**
   * Holds an exclusive lock on {@code procs/<id>.lock} for the life of this process: the kernel
   * drops it when the process dies, which wakes waiters in other processes at once.
   */
  private void lockOwnFile(long id) {
    try {
      Path dir = home.resolve("procs");
      if (!Files.isDirectory(dir)) {
        try {
          Files.createDirectories(
              dir,
              PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        } catch (UnsupportedOperationException e) {
          Files.createDirectories(dir);
        }
      }
      Path f = dir.resolve(id + ".lock");
      try {
        ownLockChannel =
            FileChannel.open(
                f,
                Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      } catch (UnsupportedOperationException e) {
        ownLockChannel = FileChannel.open(f, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      }
      ownLock = ownLockChannel.lock();
    } catch (IOException e) {
      LOG.log(
          Level.WARNING,
          "cannot hold the liveness lock in "
              + home.resolve("procs")
              + " ("
              + e
              + "); other processes will notice this process's death within "
              + FALLBACK_RECHECK_MS
              + "ms instead of at once");
    }
  }

  private void releaseOwnLock() {
    try {
      if (ownLock != null) {
        ownLock.release();
      }
      if (ownLockChannel != null) {
        ownLockChannel.close();
      }
    } catch (IOException e) {
      // the kernel drops the lock when the process exits anyway
    }
    ownLock = null;
    ownLockChannel = null;
  }

  private void beat() {
    long id = processId;
    if (id == 0 || closed.get()) {
      return;
    }
    long now = clock.millis();
    try {
      boolean alive = store.heartbeat(id, now, ttl.toMillis());
      int failures = heartbeatFailures.getAndSet(0);
      if (failures >= 3) {
        LOG.log(
            Level.INFO,
            "heartbeat to " + store.path() + " works again after " + failures + " failures");
      }
      if (!alive) {
        onReclaimedByOthers(id, now);
      }
      retryReleases(now);
    } catch (StoreException e) {
      int n = heartbeatFailures.incrementAndGet();
      if (n == 3 || n % 60 == 0) {
        LOG.log(
            Level.WARNING,
            "heartbeat failed "
                + n
                + " times in a row; after "
                + Durations.format(ttl)
                + " without one, other processes reclaim this process's leases: "
                + e.getMessage());
      }
    } catch (RuntimeException e) {
      LOG.log(Level.ERROR, "heartbeat failed unexpectedly", e);
    }
  }

  /**
   * Others reclaimed this process (it was stopped, or its clock jumped): re-register, drop leases.
   */
  private void onReclaimedByOthers(long id, long now) {
    List<LeaseInfo> lost = new ArrayList<>();
    for (DefaultLease l : held) {
      if (l.markReleased()) {
        lost.add(
            new LeaseInfo(
                l.id(),
                l.provider(),
                me.pid(),
                me.host(),
                me.name(),
                l.label(),
                l.acquiredAt(),
                Duration.ZERO));
      }
    }
    held.clear();
    LOG.log(
        Level.WARNING,
        "this process's registration is gone: another process reclaimed it after its heartbeat"
            + " expired (was this process stopped?) or someone deleted it; its "
            + lost.size()
            + " lease(s) are lost and its waiting requests queue again");
    store.register(me, now, ttl.toMillis(), id);
    // The reaper deleted our lock file: a lock on the unlinked file would tell nobody we live.
    synchronized (registration) {
      releaseOwnLock();
      lockOwnFile(id);
    }
    ReclaimInfo info = new ReclaimInfo(me.pid(), me.host(), me.name(), lost, 0);
    safely(() -> listener.reclaimed(info, ReclaimInfo.Reason.THIS_PROCESS));
    signalIfWaiting();
  }

  private void retryReleases(long now) {
    String token;
    while ((token = releaseRetries.peek()) != null) {
      store.release(token, now);
      releaseRetries.poll();
    }
  }

  // ================================================================ waiting: the dispatcher

  Dispatcher dispatcher() {
    Dispatcher d = dispatcher;
    if (d == null) {
      synchronized (this) {
        d = dispatcher;
        if (d == null) {
          d = new Dispatcher(this);
          dispatcher = d;
          d.start();
          changeWatcher();
        }
      }
    }
    return d;
  }

  private void signalIfWaiting() {
    Dispatcher d = dispatcher;
    if (d != null && !pending.isEmpty()) {
      d.signal();
    }
  }

  /** Called by the dispatcher: hand a granted lease to its waiting caller. */
  void deliver(Pending p, long leaseId, long acquiredAtMs) {
    if (!p.done.compareAndSet(false, true)) {
      return;
    }
    pending.remove(p.token);
    DefaultLease lease = granted(leaseId, p.token, p.provider, p.label, acquiredAtMs, p.queuedAtMs);
    if (!p.future.complete(lease)) {
      lease.close(); // the caller cancelled at the same instant
    }
  }

  /** Called by the dispatcher when a request's deadline passed. */
  void expire(Pending p, ProviderState st, long now) {
    if (!p.done.compareAndSet(false, true)) {
      return;
    }
    pending.remove(p.token);
    CancelOutcome c;
    try {
      c = store.cancel(p.token);
    } catch (StoreException e) {
      p.future.completeExceptionally(new LimiterException(e.getMessage(), e));
      return;
    }
    if (c.kind() == CancelOutcome.Kind.ALREADY_GRANTED) {
      DefaultLease lease =
          granted(c.leaseId(), p.token, p.provider, p.label, c.acquiredAtMs(), p.queuedAtMs);
      if (!p.future.complete(lease)) {
        lease.close();
      }
      return;
    }
    Duration waited = p.timeout != null ? p.timeout : Duration.ofMillis(now - p.queuedAtMs);
    LeaseTimeoutException e =
        st == null
            ? new LeaseTimeoutException(
                p.provider, waited, OptionalInt.empty(), 0, 0, 0, p.position, false)
            : new LeaseTimeoutException(
                p.provider,
                waited,
                st.limit(),
                st.active(),
                st.cooling(),
                Math.max(0, st.queued() - 1) + 1,
                p.position,
                st.paused(),
                admissionState(st));
    LOG.log(Level.INFO, () -> e.getMessage());
    p.future.completeExceptionally(e);
  }

  /** Called by the dispatcher when a request's queue row vanished (reclaimed): queue it again. */
  void requeue(Pending p, long now) {
    AcquireOutcome o =
        store.acquire(ensureRegistered(), me.pid(), p.provider, p.label, p.token, now, true);
    report(o.reclaimed());
    if (o.kind() == AcquireOutcome.Kind.GRANTED) {
      deliver(p, o.leaseId(), o.acquiredAtMs());
    } else {
      p.position = o.position();
      LOG.log(
          Level.WARNING,
          "a request for '"
              + p.provider
              + "' lost its place in the queue (removed by another process); queued again at position "
              + o.position());
    }
  }

  void report(List<Reclaimed> reclaimed) {
    for (Reclaimed r : reclaimed) {
      List<LeaseInfo> leases = new ArrayList<>();
      for (Rows.LeaseRow l : r.leases()) {
        leases.add(
            new LeaseInfo(
                l.id(),
                l.provider(),
                r.whose().pid(),
                r.whose().host(),
                r.whose().name(),
                l.label(),
                Instant.ofEpochMilli(l.acquiredAtMs()),
                Duration.ofMillis(Math.max(0, clock.millis() - l.acquiredAtMs()))));
      }
      ReclaimInfo info =
          new ReclaimInfo(r.whose().pid(), r.whose().host(), r.whose().name(), leases, r.waiters());
      ReclaimInfo.Reason why = ReclaimInfo.Reason.valueOf(r.why().name());
      LOG.log(
          Level.WARNING,
          () ->
              "reclaimed "
                  + leases.size()
                  + " lease(s) and "
                  + r.waiters()
                  + " waiter(s) of pid "
                  + r.whose().pid()
                  + (r.whose().host().isEmpty() ? "" : " on " + r.whose().host())
                  + " ("
                  + why.name().toLowerCase(java.util.Locale.ROOT).replace('_', ' ')
                  + ")");
      safely(() -> listener.reclaimed(info, why));
      deleteLockFile(r.whose().id());
    }
  }

  private void deleteLockFile(long id) {
    if (id <= 0) {
      return;
    }
    try {
      Files.deleteIfExists(home.resolve("procs").resolve(id + ".lock"));
    } catch (IOException e) {
      // a stale lock file costs nothing but a directory entry
    }
  }

  WaitCheck check(long now) {
    return store.check(processId, new ArrayList<>(pending.keySet()), now);
  }

  // ================================================================ change notification

  boolean watchingCommits() {
    ChangeWatcher w = watcher;
    return w != null && w.watching();
  }

  ChangeWatcher changeWatcher() {
    ChangeWatcher w = watcher;
    if (w == null) {
      synchronized (this) {
        w = watcher;
        if (w == null) {
          w = new ChangeWatcher(store.path(), this::onDatabaseChanged);
          watcher = w;
          w.start();
        }
      }
    }
    return w;
  }

  private void onDatabaseChanged() {
    Dispatcher d = dispatcher;
    if (d != null && !pending.isEmpty()) {
      d.signal();
    }
    for (Runnable r : changeListeners) {
      safely(r);
    }
  }

  @Override
  public AutoCloseable onChange(Runnable onChange) {
    ensureOpen();
    changeListeners.add(onChange);
    changeWatcher();
    return () -> changeListeners.remove(onChange);
  }

  // ================================================================ status and limits

  @Override
  public Limits limits() {
    return limits;
  }

  @Override
  public StatusSnapshot status() {
    ensureOpen();
    long now = clock.millis();
    Rows.Snapshot s;
    try {
      report(store.reapAll(now));
      s = store.snapshot(now);
    } catch (StoreException e) {
      throw new LimiterException(e.getMessage(), e);
    }
    List<ProviderStatus> providers = new ArrayList<>();
    for (ProviderState st : s.providers()) {
      Duration longest =
          st.queued() == 0
              ? Duration.ZERO
              : Duration.ofMillis(Math.max(0, now - st.oldestQueuedAtMs()));
      providers.add(
          new ProviderStatus(
              st.provider(),
              st.limit(),
              Duration.ofMillis(st.cooldownMs()),
              st.paused(),
              st.active(),
              st.cooling(),
              st.queued(),
              longest,
              st.adaptive(),
              st.effectiveLimit(),
              st.pausedUntilMs() == 0
                  ? Optional.empty()
                  : Optional.of(Instant.ofEpochMilli(st.pausedUntilMs())),
              st.pauseReason(),
              st.upstreamInFlight()));
    }
    List<LeaseInfo> leases = new ArrayList<>();
    for (Rows.LeaseRow l : s.leases()) {
      leases.add(leaseInfo(l, now));
    }
    List<WaiterInfo> waiters = new ArrayList<>();
    for (Rows.WaiterRow w : s.waiters()) {
      waiters.add(
          new WaiterInfo(
              w.provider(),
              w.position(),
              w.owner().pid(),
              w.owner().host(),
              w.owner().name(),
              w.label(),
              Instant.ofEpochMilli(w.queuedAtMs()),
              Duration.ofMillis(Math.max(0, now - w.queuedAtMs()))));
    }
    return new StatusSnapshot(Instant.ofEpochMilli(now), providers, leases, waiters);
  }

  private static LeaseInfo leaseInfo(Rows.LeaseRow l, long now) {
    return new LeaseInfo(
        l.id(),
        l.provider(),
        l.owner().pid(),
        l.owner().host(),
        l.owner().name(),
        l.label(),
        Instant.ofEpochMilli(l.acquiredAtMs()),
        Duration.ofMillis(Math.max(0, now - l.acquiredAtMs())));
  }

  @Override
  public Optional<LeaseInfo> forceRelease(long leaseId) {
    if (leaseId <= 0) {
      throw new IllegalArgumentException(
          "lease id must be a positive integer (was " + leaseId + ")");
    }
    ensureOpen();
    long now = clock.millis();
    try {
      Optional<LeaseInfo> r = store.forceRelease(leaseId, now).map(l -> leaseInfo(l, now));
      r.ifPresent(
          l ->
              LOG.log(
                  Level.INFO,
                  () ->
                      "force-released lease "
                          + l.id()
                          + " of pid "
                          + l.pid()
                          + " for '"
                          + l.provider()
                          + "'"));
      signalIfWaiting();
      return r;
    } catch (StoreException e) {
      throw new LimiterException(e.getMessage(), e);
    }
  }

  @Override
  public Path databaseFile() {
    return store.path();
  }

  private final class LimitsImpl implements Limits {
    @Override
    public List<LimitSpec> list() {
      ensureOpen();
      try {
        return store.limits().stream().map(DefaultLimiter::spec).toList();
      } catch (StoreException e) {
        throw new LimiterException(e.getMessage(), e);
      }
    }

    @Override
    public Optional<LimitSpec> get(String provider) {
      Validation.provider(provider);
      ensureOpen();
      try {
        return store.limit(provider).map(DefaultLimiter::spec);
      } catch (StoreException e) {
        throw new LimiterException(e.getMessage(), e);
      }
    }

    @Override
    public LimitSpec set(LimitSpec limit) {
      if (limit == null) {
        throw new IllegalArgumentException("limit must not be null");
      }
      ensureOpen();
      try {
        LimitSpec s =
            spec(
                store.setLimit(
                    limit.provider(),
                    limit.maxInFlight(),
                    limit.cooldown().toMillis(),
                    limit.adaptive(),
                    clock.millis()));
        signalIfWaiting();
        return s;
      } catch (StoreException e) {
        throw new LimiterException(e.getMessage(), e);
      }
    }

    @Override
    public boolean unset(String provider) {
      Validation.provider(provider);
      ensureOpen();
      try {
        boolean had = store.unsetLimit(provider, clock.millis());
        signalIfWaiting();
        return had;
      } catch (StoreException e) {
        throw new LimiterException(e.getMessage(), e);
      }
    }

    @Override
    public void pause(String provider) {
      setPaused(provider, true);
    }

    @Override
    public void resume(String provider) {
      setPaused(provider, false);
    }

    private void setPaused(String provider, boolean paused) {
      Validation.provider(provider);
      ensureOpen();
      boolean found;
      try {
        found = store.setPaused(provider, paused, clock.millis());
      } catch (StoreException e) {
        throw new LimiterException(e.getMessage(), e);
      }
      if (!found) {
        throw new IllegalArgumentException(
            "provider must have a limit to "
                + (paused ? "pause" : "resume")
                + " (was "
                + Validation.quote(provider)
                + ", which is unlimited); set one first");
      }
      signalIfWaiting();
    }
  }

  private static LimitSpec spec(Rows.LimitRow r) {
    return new LimitSpec(
        r.provider(), r.maxInFlight(), Duration.ofMillis(r.cooldownMs()), r.paused(), r.adaptive());
  }

  // ================================================================ lifecycle

  private void ensureOpen() {
    if (closed.get()) {
      throw new IllegalStateException("this limiter is closed (database " + store.path() + ")");
    }
  }

  boolean isClosed() {
    return closed.get();
  }

  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    Dispatcher d = dispatcher;
    if (d != null) {
      d.shutdown();
    }
    ChangeWatcher w = watcher;
    if (w != null) {
      w.close();
    }
    if (heartbeat != null) {
      heartbeat.shutdownNow();
    }
    ExecutorService probes = probeThreads;
    if (probes != null) {
      probes.shutdownNow();
    }
    for (Pending p : pending.values()) {
      if (p.done.compareAndSet(false, true)) {
        p.future.completeExceptionally(new CancellationException("the limiter was closed"));
      }
    }
    pending.clear();
    for (DefaultLease l : held) {
      l.markReleased();
    }
    held.clear();
    long id = processId;
    if (id != 0) {
      try {
        long now = clock.millis();
        retryReleases(now);
        store.deregister(id, now);
      } catch (StoreException e) {
        LOG.log(
            Level.WARNING,
            "could not deregister on close; others reclaim this process's leases when it exits: "
                + e.getMessage());
      }
      releaseOwnLock();
      deleteLockFile(id);
    }
    store.close();
  }

  // ================================================================ helpers

  /** What besides the local count holds grants back, for messages; "" when nothing. */
  static String admissionState(ProviderState st) {
    List<String> parts = new ArrayList<>();
    if (st.effectiveLimit().isPresent()) {
      parts.add("adaptive limit=" + st.effectiveLimit().getAsInt());
    }
    if (st.upstreamInFlight().isPresent()) {
      parts.add("upstream in flight=" + st.upstreamInFlight().getAsInt());
    }
    if (st.pausedUntilMs() > 0) {
      parts.add(
          "paused until "
              + Instant.ofEpochMilli(st.pausedUntilMs())
              + " after a "
              + (st.pauseReason().isEmpty() ? "429" : st.pauseReason()));
    }
    return String.join(", ", parts);
  }

  static String describe(ProviderState st) {
    StringBuilder sb = new StringBuilder();
    sb.append("limit=")
        .append(st.limit().isPresent() ? Integer.toString(st.limit().getAsInt()) : "none");
    sb.append(", active=").append(st.active());
    if (st.cooling() > 0) {
      sb.append(", cooling=").append(st.cooling());
    }
    sb.append(", queued=").append(st.queued());
    if (st.paused()) {
      sb.append(", paused");
    }
    String more = admissionState(st);
    if (!more.isEmpty()) {
      sb.append(", ").append(more);
    }
    return sb.toString();
  }

  static String newToken() {
    byte[] b = new byte[16];
    RANDOM.nextBytes(b);
    return HexFormat.of().formatHex(b);
  }

  static void safely(Runnable r) {
    try {
      r.run();
    } catch (RuntimeException e) {
      LOG.log(Level.WARNING, "a limiter listener threw", e);
    }
  }

  /** Threads that never keep the JVM alive, named for thread dumps. */
  static java.util.concurrent.ThreadFactory daemon(String name) {
    return r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    };
  }

  static long saturatedAdd(long a, long b) {
    long r = a + b;
    return ((a ^ r) & (b ^ r)) < 0 ? Long.MAX_VALUE : r;
  }
}
