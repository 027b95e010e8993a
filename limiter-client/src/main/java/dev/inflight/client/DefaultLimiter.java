package dev.inflight.client;

import dev.inflight.store.AcquireMode;
import dev.inflight.store.LeaseEngine;
import dev.inflight.store.PauseReason;
import dev.inflight.store.RateLimitReport;
import dev.inflight.store.Rows.AcquireOutcome;
import dev.inflight.store.Rows.ProviderState;
import dev.inflight.store.Rows.Snapshot;
import dev.inflight.store.StoreException;
import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The limiter's front door: checks arguments, then hands each call to the part that owns it. The
 * parts: {@link Registration} (this process's row and heartbeat), {@link WaitQueue} (requests
 * waiting here), {@link LeaseBook} (leases held here and releases to retry), {@link Gates} (usage
 * probes), {@link Dispatcher} (the thread that serves the queue), {@link SharedLimits}, {@link
 * Views} (rows to public records) and {@link Events} (listener and log).
 *
 * <p>Thread-safe. It holds no lock of its own: each part documents what guards its state.
 */
final class DefaultLimiter implements Limiter {
  private final LeaseEngine engine;
  private final Settings settings;
  private final Clocks clocks;
  private final Retrying retrying;
  private final ProviderWord word;
  private final Views views;
  private final Events events;
  private final Registration registration;
  private final LeaseBook book;
  private final WaitQueue queue;
  private final Gates gates;
  private final Dispatcher dispatcher;
  private final SharedLimits limits;
  private final Joining joining;
  private final AtomicBoolean closed = new AtomicBoolean();

  DefaultLimiter(Settings settings, LeaseEngine engine) {
    this.engine = engine;
    this.settings = settings;
    this.clocks = settings.clocks();
    this.retrying = new Retrying(clocks, settings.busyTimeout());
    this.views = new Views(clocks);
    this.events = new Events(settings.listener(), views);
    this.registration =
        new Registration(
            engine,
            settings.identity(),
            settings.staleAfter(),
            settings.heartbeatInterval(),
            retrying,
            new RegistrationHooks());
    this.book =
        new LeaseBook(
            engine,
            clocks,
            events,
            retrying,
            settings.upstream().defaultRetryAfter(),
            this::afterRelease);
    this.queue = new WaitQueue(engine, book, registration, retrying, clocks);
    this.gates = new Gates(engine, events, settings.upstream());
    this.dispatcher = new Dispatcher(queue, engine, gates, registration, events, clocks);
    this.limits = new SharedLimits(engine, retrying, this::ensureOpen, this::signalIfWaiting);
    this.word = new ProviderWord(engine, retrying, clocks, this::signalIfWaiting, this::report429);
    this.joining =
        Joining.of(
            settings.inheritedLeaseToken() == null
                ? Map.of()
                : Map.of(Joining.TOKEN, settings.inheritedLeaseToken()),
            engine,
            settings.identity().hostId(),
            Joining.Ancestry.ofThisProcess(),
            clocks,
            this::report429);
  }

  // ================================================================ acquiring

  @Override
  public Optional<Lease> tryAcquire(LeaseRequest request) {
    LeaseRequest q = Objects.requireNonNull(request, "request");
    ensureOpen();
    Optional<Lease> joined = joining.join(q);
    if (joined.isPresent()) {
      return joined;
    }
    long asked = clocks.nanos();
    String token = newToken();
    Registration.Attempt a;
    try {
      a = registration.acquire(q, token, AcquireMode.TRY, retryDeadline(asked, null));
    } catch (StoreException e) {
      return Optional.of(failOpenOrThrow(q, e));
    }
    AcquireOutcome o = a.outcome();
    events.reclaimed(o.reclaimed());
    if (o.kind() != AcquireOutcome.Kind.GRANTED) {
      return Optional.empty();
    }
    return Optional.of(book.granted(o.leaseId(), token, q, o.atMs(), asked, a.generation(), false));
  }

  @Override
  public Lease acquire(LeaseRequest request, Duration timeout) {
    if (timeout == null) {
      throw new IllegalArgumentException(
          "timeout must be from 0 to 30d (was null; acquireAsync without a timeout waits for ever)");
    }
    CompletableFuture<Lease> f = acquireAsync(request, timeout);
    String provider = request.key();
    try {
      return f.get();
    } catch (InterruptedException e) {
      f.cancel(false);
      Thread.currentThread().interrupt();
      throw new LeaseInterruptedException(
          "interrupted while waiting for a lease for '"
              + Text.printable(provider)
              + "'; the request left the queue",
          e);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof LimiterException le) {
        throw le;
      }
      if (cause instanceof IllegalArgumentException iae) {
        throw new IllegalArgumentException(iae.getMessage(), iae);
      }
      throw new LimiterException(
          "acquiring a lease for '" + Text.printable(provider) + "' failed: " + cause, cause);
    }
  }

  @Override
  public CompletableFuture<Lease> acquireAsync(LeaseRequest request, Duration timeout) {
    LeaseRequest q = Objects.requireNonNull(request, "request");
    Validation.timeout(timeout);
    ensureOpen();
    Optional<Lease> joined = joining.join(q);
    if (joined.isPresent()) {
      return CompletableFuture.completedFuture(joined.get());
    }
    long asked = clocks.nanos();
    long deadline = timeout == null ? Long.MAX_VALUE : Clocks.plusNanos(asked, timeout.toNanos());
    String token = newToken();
    long wakeUpsBefore = dispatcher.wakeUps();
    Registration.Attempt a;
    try {
      a = registration.acquire(q, token, AcquireMode.QUEUE, retryDeadline(asked, timeout));
    } catch (StoreException e) {
      try {
        return CompletableFuture.completedFuture(failOpenOrThrow(q, e));
      } catch (LimiterException le) {
        return CompletableFuture.failedFuture(le);
      }
    }
    AcquireOutcome o = a.outcome();
    events.reclaimed(o.reclaimed());
    if (o.kind() == AcquireOutcome.Kind.GRANTED) {
      return CompletableFuture.completedFuture(
          book.granted(o.leaseId(), token, q, o.atMs(), asked, a.generation(), false));
    }
    Pending p =
        queue.add(new Pending(token, q, asked, deadline, timeout, o.position(), a.generation()));
    events.queued(q.provider(), q.label(), o.position(), Views.describe(o.state()));
    dispatcher.start(wakeUpsBefore);
    return p.future;
  }

  /**
   * How long a busy database is retried: within the caller's timeout, and at least one busy timeout
   * (a try that never waits, a timeout of zero).
   */
  private long retryDeadline(long askedNanos, Duration timeout) {
    long brief = Clocks.plusNanos(askedNanos, settings.busyTimeout().toNanos());
    if (timeout == null) {
      return brief;
    }
    return Math.max(brief, Clocks.plusNanos(askedNanos, timeout.toNanos()));
  }

  private Lease failOpenOrThrow(LeaseRequest q, StoreException e) {
    String provider = q.provider();
    if (settings.failurePolicy() == FailurePolicy.FAIL_OPEN) {
      Events.LOG.log(
          Level.WARNING,
          "granting '"
              + Text.printable(provider)
              + "' without a limit (failure policy FAIL_OPEN): "
              + e.getMessage());
      return book.unrecorded(q);
    }
    throw Errors.limiter(e);
  }

  // ================================================================ 429s

  @Override
  public Instant report429(String provider, Duration retryAfter) {
    Validation.provider(provider);
    Duration r = Validation.retryAfter(retryAfter);
    ensureOpen();
    long retryMs = (r == null ? settings.upstream().defaultRetryAfter() : r).toMillis();
    RateLimitReport report = new RateLimitReport(provider, retryMs, PauseReason.REPORTED_429);
    ProviderState st;
    try {
      st = retrying.briefly("record a 429", () -> engine.report429(report));
    } catch (StoreException e) {
      throw Errors.limiter(e);
    }
    Instant until = Instant.ofEpochMilli(Math.max(st.pausedUntilMs(), clocks.wall().millis()));
    events.rateLimited(provider, until, clocks.wall().instant(), PauseReason.REPORTED_429);
    signalIfWaiting();
    return until;
  }

  @Override
  public Observation observe(String provider, String model, java.util.Map<String, ?> headers) {
    Validation.provider(provider);
    String m = Validation.model(model);
    ensureOpen();
    return word.observe(provider, m, headers);
  }

  // ================================================================ status and limits

  @Override
  public Limits limits() {
    return limits;
  }

  @Override
  public StatusSnapshot status() {
    ensureOpen();
    Snapshot s;
    try {
      events.reclaimed(retrying.briefly("reclaim stale leases", engine::reapAll));
      s = retrying.briefly("read the status", engine::snapshot);
    } catch (StoreException e) {
      throw Errors.limiter(e);
    }
    return views.status(s);
  }

  @Override
  public Optional<LeaseInfo> forceRelease(long leaseId) {
    if (leaseId <= 0) {
      throw new IllegalArgumentException(
          "lease id must be a positive integer (was " + leaseId + ")");
    }
    ensureOpen();
    Optional<LeaseInfo> r;
    try {
      long now = clocks.wall().millis();
      r =
          retrying
              .briefly("force-release a lease", () -> engine.forceRelease(leaseId))
              .map(l -> Views.lease(l, now));
    } catch (StoreException e) {
      throw Errors.limiter(e);
    }
    r.ifPresent(
        l ->
            Events.LOG.log(
                Level.INFO,
                () ->
                    "force-released lease "
                        + l.id()
                        + " of pid "
                        + l.pid()
                        + " for '"
                        + Text.printable(l.provider())
                        + "'"));
    signalIfWaiting();
    return r;
  }

  @Override
  public AutoCloseable onChange(Runnable onChange) {
    ensureOpen();
    return engine.signals().onCommit(() -> Events.safely(onChange));
  }

  @Override
  public WaitStats waitStats() {
    return new WaitStats(dispatcher.passes(), queue.granted(), dispatcher.signalsReceived());
  }

  @Override
  public Path databaseFile() {
    return engine
        .file()
        .orElseThrow(
            () ->
                new IllegalStateException(
                    "this limiter uses the PostgreSQL database "
                        + engine.location()
                        + ", not a file"));
  }

  @Override
  public String database() {
    return engine.location();
  }

  // ================================================================ lifecycle

  private void ensureOpen() {
    if (closed.get()) {
      throw new IllegalStateException(
          "this limiter is closed (database " + engine.location() + ")");
    }
  }

  private void signalIfWaiting() {
    dispatcher.signalIfWaiting();
  }

  /** A release (or a retried one) freed a slot: hand over what it granted here, or signal. */
  private void afterRelease() {
    dispatcher.afterRelease();
  }

  /** The thread that serves this limiter's queue (a pass can be asked for with a signal). */
  Dispatcher dispatcher() {
    return dispatcher;
  }

  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    dispatcher.shutdown();
    gates.close();
    queue.closeAll();
    book.forgetAll(); // deregistering releases them in the database
    registration.stopHeartbeat(); // so that the retries below run on this thread alone
    try {
      book.retryPending();
    } catch (StoreException e) {
      Events.LOG.log(Level.WARNING, "could not write a release that had failed: " + e.getMessage());
    }
    registration.close();
    engine.close();
  }

  static String newToken() {
    return Tokens.next();
  }

  /** What the heartbeat thread does for this limiter. */
  private final class RegistrationHooks implements Registration.Hooks {
    @Override
    public void afterBeat() {
      book.retryPending();
    }

    @Override
    public void lostRegistration(int generation) {
      List<LeaseInfo> lost = new ArrayList<>();
      var me = settings.identity();
      for (DefaultLease l : book.loseUpTo(generation)) {
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
      events.reclaimedThisProcess(new ReclaimInfo(me.pid(), me.host(), me.name(), lost, 0));
      signalIfWaiting();
    }
  }
}
