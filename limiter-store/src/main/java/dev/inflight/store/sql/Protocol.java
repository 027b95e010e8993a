package dev.inflight.store.sql;

import dev.inflight.store.AcquireRequest;
import dev.inflight.store.LazyLogger;
import dev.inflight.store.LimitChange;
import dev.inflight.store.Liveness;
import dev.inflight.store.ModelLimitChange;
import dev.inflight.store.RateLimitReport;
import dev.inflight.store.Registration;
import dev.inflight.store.ReleaseRequest;
import dev.inflight.store.Rows.AcquireOutcome;
import dev.inflight.store.Rows.CancelOutcome;
import dev.inflight.store.Rows.Glance;
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
import dev.inflight.store.UpstreamSample;
import dev.inflight.store.UpstreamWord;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The lease protocol's SQL, one front door for every engine: each method is the body of one
 * transaction that the engine has begun (and commits) on its own connection. The SQL is the subset
 * SQLite and PostgreSQL both run; what differs is the {@link Dialect}.
 */
public final class Protocol {
  static final System.Logger LOG =
      new LazyLogger("dev.inflight.store", () -> System.getLogger("dev.inflight.store"));

  private final Settle settle;
  private final LeaseSql leases;
  private final AdmissionSql admission;
  private final ProcessSql processes;
  private final LimitSql limits;
  private final StatusSql status;

  /**
   * @param hostId this host, whose owners are checked with {@code liveness}; null when the engine
   *     tells the dead by {@code proof} alone
   * @param location the database, for messages
   */
  public Protocol(
      String hostId, Liveness liveness, Reclaim.Proof proof, String location, Dialect dialect) {
    this.settle = new Settle(new Reclaim(hostId, liveness, proof));
    this.admission = new AdmissionSql(settle);
    this.leases = new LeaseSql(settle, admission);
    this.processes = new ProcessSql(settle);
    BadNames badNames = new BadNames(location, dialect.handEditCommand());
    this.limits = new LimitSql(settle, badNames);
    this.status = new StatusSql(settle, badNames);
  }

  /** Reads what the hot path reads, so that its statements are prepared before any write. */
  public void warm(Tx tx) throws SQLException {
    Settle.state(tx, "");
    status.check(tx, 0, List.of());
  }

  // ---------------------------------------------------------------- processes

  public long register(Tx tx, Registration r) throws SQLException {
    return processes.register(tx, r);
  }

  public boolean heartbeat(Tx tx, long id, long ttlMs) throws SQLException {
    return processes.heartbeat(tx, id, ttlMs);
  }

  public void deregister(Tx tx, long id) throws SQLException {
    processes.deregister(tx, id);
  }

  public List<Reclaimed> reapAll(Tx tx) throws SQLException {
    return processes.reapAll(tx);
  }

  // ---------------------------------------------------------------- leases

  public AcquireOutcome acquire(Tx tx, AcquireRequest r) throws SQLException {
    return leases.acquire(tx, r);
  }

  public ReleaseOutcome release(Tx tx, ReleaseRequest r) throws SQLException {
    return leases.release(tx, r);
  }

  public CancelOutcome cancel(Tx tx, String token) throws SQLException {
    return leases.cancel(tx, token);
  }

  public Optional<LeaseRow> forceRelease(Tx tx, long leaseId) throws SQLException {
    return leases.forceRelease(tx, leaseId);
  }

  public Optional<HeldLease> heldLease(Tx tx, String token) throws SQLException {
    return status.heldLease(tx, token);
  }

  // ---------------------------------------------------------------- waiting

  public WaitCheck check(Tx tx, long ownerId, Collection<String> tokens) throws SQLException {
    return status.check(tx, ownerId, tokens);
  }

  public Map<String, TokenState> granted(Tx tx, long ownerId, Collection<String> tokens)
      throws SQLException {
    return status.granted(tx, ownerId, tokens);
  }

  public Glance glance(Tx tx, long ownerId, Collection<String> tokens, Collection<String> providers)
      throws SQLException {
    return status.glance(tx, ownerId, tokens, providers);
  }

  /** Brings each provider up to date, reaping dead owners that block it; a waiter asked. */
  public List<Reclaimed> settle(Tx tx, Collection<String> providers) throws SQLException {
    tx.freshLiveness = true; // a waiter asked: maybe an owner it watches just died
    List<Reclaimed> out = new ArrayList<>();
    for (String p : providers) {
      settle.settle(tx, p, true, out);
    }
    return out;
  }

  // ---------------------------------------------------------------- upstream admission

  public ProviderState recordWord(Tx tx, UpstreamWord w) throws SQLException {
    return admission.recordWord(tx, w);
  }

  public ProviderState report429(Tx tx, RateLimitReport r) throws SQLException {
    return admission.report429(tx, r);
  }

  public UpstreamRecord recordUpstream(Tx tx, UpstreamSample s) throws SQLException {
    return admission.recordUpstream(tx, s);
  }

  // ---------------------------------------------------------------- limits

  public List<LimitRow> limits(Tx tx) throws SQLException {
    return limits.limits(tx);
  }

  public Optional<LimitRow> limit(Tx tx, String provider) throws SQLException {
    return LimitSql.limit(tx, provider);
  }

  public LimitRow setLimit(Tx tx, LimitChange c) throws SQLException {
    return limits.set(tx, c);
  }

  public boolean unsetLimit(Tx tx, String provider) throws SQLException {
    return limits.unset(tx, provider);
  }

  public List<ModelLimitRow> modelLimits(Tx tx) throws SQLException {
    return limits.modelLimits(tx);
  }

  public ModelLimitRow setModelLimit(Tx tx, ModelLimitChange c) throws SQLException {
    return limits.setModel(tx, c);
  }

  public boolean unsetModelLimit(Tx tx, String provider, String model) throws SQLException {
    return limits.unsetModel(tx, provider, model);
  }

  public boolean pause(Tx tx, String provider) throws SQLException {
    return limits.pause(tx, provider);
  }

  public boolean resume(Tx tx, String provider) throws SQLException {
    return limits.resume(tx, provider);
  }

  // ---------------------------------------------------------------- status

  public Snapshot snapshot(Tx tx) throws SQLException {
    return status.snapshot(tx);
  }
}
