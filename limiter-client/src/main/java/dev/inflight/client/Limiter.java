package dev.inflight.client;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * A cooperative limit on requests in flight per provider, shared by every process on this machine
 * that opens the same config root. Take a {@link Lease} before each request and close it when the
 * request (the whole stream) ends.
 *
 * <pre>{@code
 * try (Limiter limiter = Limiter.builder().build();
 *     Lease lease = limiter.acquire("openai", "planner", Duration.ofSeconds(30))) {
 *   callOpenAi();
 * }
 * }</pre>
 *
 * <p>Thread-safe; one instance per process is the intended use (it registers one heartbeat). Close
 * it when the process is done: its leases are released and its waiters leave their queues. A
 * process that dies without closing is reclaimed by the next process that needs its slots.
 *
 * <p>Every method that touches the database throws {@link LimiterException} (naming the database
 * file) when it cannot; bad arguments throw {@link IllegalArgumentException} naming the parameter,
 * the rule and the value, before anything is changed.
 */
public interface Limiter extends AutoCloseable {

  /** A builder with every default: config root from the environment, system clock, fail closed. */
  static LimiterBuilder builder() {
    return new LimiterBuilder();
  }

  /**
   * Takes a lease if one is free now and nobody is queued ahead; never waits.
   *
   * @param label shown to other processes and users (agent name, model, session); may be empty
   * @return the lease, or empty when the provider is full, paused or has waiters
   */
  default Optional<Lease> tryAcquire(String provider, String label) {
    return tryAcquire(new LeaseRequest(provider, "", label, 1, -1, Priority.NORMAL));
  }

  /**
   * Takes a lease for {@code request} if every level it counts against (its provider, and its model
   * when the model has a limit of its own) has room for its weight and its tokens now, and nobody
   * served before it waits for that room; never waits.
   */
  Optional<Lease> tryAcquire(LeaseRequest request);

  /** {@link #tryAcquire(String, String)} with no label. */
  default Optional<Lease> tryAcquire(String provider) {
    return tryAcquire(provider, "");
  }

  /**
   * Waits in the provider's first-come-first-served queue (shared by all processes) for a lease.
   *
   * @throws LeaseTimeoutException when no lease came within {@code timeout} (the request leaves the
   *     queue); its message says how full the provider was and where this request stood
   * @throws LeaseInterruptedException when the thread was interrupted while waiting (the request
   *     leaves the queue and the interrupt flag is set again)
   */
  default Lease acquire(String provider, String label, Duration timeout) {
    return acquire(new LeaseRequest(provider, "", label, 1, -1, Priority.NORMAL), timeout);
  }

  /**
   * Waits for a lease for {@code request}: in its provider's queue, served by priority class (a
   * waiting request rises a class per aging interval), then arrival order; a later request goes
   * ahead only where no earlier one waits for the room it takes.
   *
   * @throws IllegalArgumentException when its weight is above a level's in-flight limit, or its
   *     tokens above a level's token budget (it could never be granted)
   * @throws LeaseTimeoutException when no lease came within {@code timeout}
   */
  Lease acquire(LeaseRequest request, Duration timeout);

  /** {@link #acquire(String, String, Duration)} with no label. */
  default Lease acquire(String provider, Duration timeout) {
    return acquire(provider, "", timeout);
  }

  /**
   * Queues for a lease without blocking. Cancelling the future (or completing it yourself) takes
   * the request out of the queue; if a lease was granted at that moment it is released for you. The
   * future fails with {@link LeaseTimeoutException} after {@code timeout}.
   */
  default CompletableFuture<Lease> acquireAsync(String provider, String label, Duration timeout) {
    return acquireAsync(new LeaseRequest(provider, "", label, 1, -1, Priority.NORMAL), timeout);
  }

  /** {@link #acquire(LeaseRequest, Duration)} without blocking; null waits as long as it takes. */
  CompletableFuture<Lease> acquireAsync(LeaseRequest request, Duration timeout);

  /** {@link #acquireAsync(String, String, Duration)} that waits as long as it takes. */
  default CompletableFuture<Lease> acquireAsync(String provider, String label) {
    return acquireAsync(provider, label, null);
  }

  /**
   * Shares what a provider's response said of its rate limits with every process: OpenAI's {@code
   * x-ratelimit-remaining-*} and {@code x-ratelimit-reset-*}, Anthropic's {@code
   * anthropic-ratelimit-*}, and {@code retry-after}. Until each reset, grants at the level ({@code
   * model}, or the provider as a whole when it is "") take from what remains and stop when nothing
   * does; a {@code retry-after} pauses the provider as {@link #report429} does. Headers it does not
   * know, or cannot read, are ignored (one debug line each); it never throws for them.
   *
   * @param headers the response's headers: values are strings or collections of strings (as {@code
   *     java.net.http.HttpHeaders#map()} gives them); names in any case
   * @throws LimiterException when the database cannot be written
   */
  Observation observe(String provider, String model, java.util.Map<String, ?> headers);

  /**
   * Records a 429 that no lease carried (a script, another tool): admission for {@code provider}
   * pauses in every process until {@code retryAfter} from now, and an adaptive limit steps down.
   * {@link Limits#resume} lifts the pause early.
   *
   * @param retryAfter from 0 to 24 hours; null for the default (30s, see {@link
   *     LimiterBuilder#defaultRetryAfter})
   * @return when the pause ends (a longer pause already in force is kept)
   */
  Instant report429(String provider, Duration retryAfter);

  /** Reads and edits the shared limits. */
  Limits limits();

  /** Everything held and queued right now, by every process: a point-in-time snapshot. */
  StatusSnapshot status();

  /**
   * Frees a stuck lease by id, whoever holds it. The holder's own close later reports {@link
   * ReleaseResult#LOST}.
   *
   * @return the lease that was freed, or empty when no active lease has that id
   */
  Optional<LeaseInfo> forceRelease(long leaseId);

  /**
   * Calls {@code onChange} (on an internal thread; keep it short) after any change to the database
   * by any process, the CLI or a hand edit. Close the returned handle to stop.
   */
  AutoCloseable onChange(Runnable onChange);

  /** Counters of this limiter's waiting: wake-ups, grants after waiting, signals received. */
  WaitStats waitStats();

  /**
   * The SQLite database file this limiter uses.
   *
   * @throws IllegalStateException when it uses a PostgreSQL database (see {@link #database})
   */
  Path databaseFile();

  /**
   * Where this limiter's shared state lives, for messages: the SQLite file's path, or the
   * PostgreSQL database's URL with its password masked.
   */
  String database();

  /** Releases this process's leases, leaves its queues and stops its threads. Idempotent. */
  @Override
  void close();
}
