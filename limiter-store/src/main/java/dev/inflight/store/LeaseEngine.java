package dev.inflight.store;

import dev.inflight.store.Rows.AcquireOutcome;
import dev.inflight.store.Rows.CancelOutcome;
import dev.inflight.store.Rows.Glance;
import dev.inflight.store.Rows.Heartbeat;
import dev.inflight.store.Rows.HeldLease;
import dev.inflight.store.Rows.LeaseRow;
import dev.inflight.store.Rows.LimitRow;
import dev.inflight.store.Rows.ModelLimitRow;
import dev.inflight.store.Rows.ProviderState;
import dev.inflight.store.Rows.Reclaimed;
import dev.inflight.store.Rows.ReleaseOutcome;
import dev.inflight.store.Rows.Snapshot;
import dev.inflight.store.Rows.TokenState;
import dev.inflight.store.Rows.UpstreamRecord;
import dev.inflight.store.Rows.WaitCheck;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The lease protocol as one engine implements it: a shared database, the way waiters learn of
 * changes, and the way a process proves that it is alive. The client talks only to this interface;
 * each engine owns its SQL, its wake-up mechanism and its liveness rule, and every engine passes
 * the same conformance suite ({@code EngineConformance} in this module's tests).
 *
 * <p>Every method that touches the database is one transaction. Time is the engine's: it reads
 * {@link EngineConfig#clock()} once per transaction, after taking the write lock, so that the order
 * of rows (queue tickets) and the times written into them agree. Requests go in as records; endings
 * and reasons as shared enums.
 *
 * <p>Thread-safe. Every failure is a {@link StoreException} that names the database and says what
 * to do; {@link StoreException#retryable()} tells a caller that the same call may succeed later
 * (another process held the write lock past the busy timeout).
 *
 * <p>What a second engine must implement is listed in {@code migrations/README.md} ("Engines").
 */
public interface LeaseEngine extends AutoCloseable {

  /** Where the shared state lives, for messages: a file path, or a URL without its password. */
  String location();

  /** The database file, for engines that keep their state in one. */
  Optional<Path> file();

  // ---------------------------------------------------------------- processes

  /**
   * Registers a client process (or registers it again under its old id after others reclaimed it)
   * and starts proving that it is alive: from now on, while this process runs, no other process
   * reclaims its rows by time alone.
   *
   * @return the process id, which owns its leases and waiters
   */
  long register(Registration registration);

  /**
   * Records that the process is alive for another {@code ttl}, and checks that the database is
   * still the one this engine opened (see {@link StoreException.Kind#REPLACED}).
   */
  Heartbeat heartbeat(long processId, java.time.Duration ttl);

  /**
   * Removes the process: its waiters leave their queues, its leases are released (cooling where the
   * provider has a cooldown), freed slots go to the next waiters, and it stops proving liveness.
   */
  void deregister(long processId);

  // ---------------------------------------------------------------- leases

  /**
   * One acquisition attempt: reclaims what blocks it, then grants a lease when a slot is free and
   * nobody waits ahead, else queues ({@link AcquireMode#QUEUE}) or reports busy ({@link
   * AcquireMode#TRY}).
   */
  AcquireOutcome acquire(AcquireRequest request);

  /**
   * Releases the lease that holds the request's token (the token is the proof of ownership, so a
   * stale handle never frees another's lease) and records how the request ended. Idempotent: a
   * second release of the same token finds nothing and changes nothing.
   */
  ReleaseOutcome release(ReleaseRequest request);

  /**
   * Takes a queued request out of its queue. If it was granted meanwhile, says so: the caller then
   * holds that lease and must release it.
   */
  CancelOutcome cancel(String token);

  /** Frees a lease by id, whoever holds it; with a cooldown the slot cools first. */
  Optional<LeaseRow> forceRelease(long leaseId);

  /**
   * Read-only: the lease held under {@code token} and the process that holds it; empty when no
   * lease is held under it (released, cooling, reclaimed, never granted). What a descendant process
   * that inherited the token reads before it joins that lease.
   */
  Optional<HeldLease> heldLease(String token);

  // ---------------------------------------------------------------- waiting

  /**
   * Read-only: where each of the caller's requests stands, whether {@link #settle} could grant
   * something now, when time alone next changes the answer, and which owners to watch.
   */
  WaitCheck check(long ownerId, Collection<String> tokens);

  /**
   * Read-only, one statement: which of the owner's requests hold a lease now (the others are left
   * out, whatever their state). What a waiter reads when it was woken for a grant.
   */
  Map<String, TokenState> granted(long ownerId, Collection<String> tokens);

  /**
   * Read-only and cheaper than {@link #check}, in one read transaction: what {@link #granted} says
   * of the owner's requests, and one statement per provider. Lets a waiter tell a commit that
   * concerns its providers from one that does not, and take a grant it was not woken for.
   */
  Glance glance(long ownerId, Collection<String> tokens, Collection<String> providers);

  /**
   * One write that brings the providers up to date: ends cooldowns, reclaims dead or expired owners
   * that block them, and grants free slots to the heads of their queues.
   */
  List<Reclaimed> settle(Collection<String> providers);

  /** How waiters learn of changes without polling. */
  Signals signals();

  // ---------------------------------------------------------------- upstream admission

  /** Records a 429 that no lease carried: pauses the provider for every process. */
  ProviderState report429(RateLimitReport report);

  /**
   * Records what the provider said remains of a level's budget (from its rate-limit headers): until
   * each reset, grants at the level take from what remains, and stop when nothing does.
   */
  ProviderState recordWord(UpstreamWord word);

  /** Records what a usage probe read of the provider's own in-flight count (or clears it). */
  UpstreamRecord recordUpstream(UpstreamSample sample);

  // ---------------------------------------------------------------- limits

  List<LimitRow> limits();

  Optional<LimitRow> limit(String provider);

  /** Creates or changes a limit, keeping its paused flag; a raise grants waiting requests. */
  LimitRow setLimit(LimitChange change);

  /** Removes a limit; returns whether there was one. */
  boolean unsetLimit(String provider);

  /** Every model's own limit row, by provider and model. */
  List<ModelLimitRow> modelLimits();

  /** Creates or changes a model's limit; a raise grants waiting requests. */
  ModelLimitRow setModelLimit(ModelLimitChange change);

  /** Removes a model's limit (its requests then count against the provider's alone). */
  boolean unsetModelLimit(String provider, String model);

  /** Stops granting; returns false when the provider has no limit to pause. */
  boolean pause(String provider);

  /**
   * Grants again, and lifts a 429 pause early; returns false when there was neither a limit nor a
   * 429 pause.
   */
  boolean resume(String provider);

  // ---------------------------------------------------------------- status

  /** Reclaims every dead process of this host and every expired one anywhere. */
  List<Reclaimed> reapAll();

  /** Everything, as of one instant: a point-in-time snapshot, stale as soon as it returns. */
  Snapshot snapshot();

  /** Releases connections, watches and this process's liveness locks. */
  @Override
  void close();
}
