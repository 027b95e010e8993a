package dev.inflight.store.sql;

import dev.inflight.store.LeaseEngine;
import dev.inflight.store.LimitChange;
import dev.inflight.store.ModelLimitChange;
import dev.inflight.store.RateLimitReport;
import dev.inflight.store.ReleaseRequest;
import dev.inflight.store.Rows.CancelOutcome;
import dev.inflight.store.Rows.Glance;
import dev.inflight.store.Rows.HeldLease;
import dev.inflight.store.Rows.LeaseRow;
import dev.inflight.store.Rows.LimitRow;
import dev.inflight.store.Rows.ModelLimitRow;
import dev.inflight.store.Rows.ProviderState;
import dev.inflight.store.Rows.ReleaseOutcome;
import dev.inflight.store.Rows.TokenState;
import dev.inflight.store.Rows.WaitCheck;
import dev.inflight.store.UpstreamWord;
import java.sql.SQLException;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What every engine that runs the protocol's SQL does the same way: each of these calls is one
 * transaction around one {@link Protocol} method. An engine supplies the transactions ({@link
 * #write}, {@link #read}) and implements what differs (registering, acquiring with its wake-ups,
 * its signals, its checks of the files or the server).
 */
public abstract class SqlEngine implements LeaseEngine {
  /** One transaction's work on the protocol. */
  @FunctionalInterface
  public interface Work<T> {
    T run(Tx tx) throws SQLException;
  }

  protected final Protocol sql;

  protected SqlEngine(Protocol sql) {
    this.sql = sql;
  }

  /** Runs {@code work} in one write transaction; {@code what} completes "cannot … the database". */
  protected abstract <T> T write(String what, Work<T> work);

  /** Runs {@code work} in one read transaction (one snapshot). */
  protected abstract <T> T read(String what, Work<T> work);

  @Override
  public ReleaseOutcome release(ReleaseRequest r) {
    return write("release a lease in", tx -> sql.release(tx, r));
  }

  @Override
  public CancelOutcome cancel(String token) {
    return write("leave the queue in", tx -> sql.cancel(tx, token));
  }

  @Override
  public Optional<LeaseRow> forceRelease(long leaseId) {
    return write("force-release a lease in", tx -> sql.forceRelease(tx, leaseId));
  }

  @Override
  public Optional<HeldLease> heldLease(String token) {
    return read("read a lease in", tx -> sql.heldLease(tx, token));
  }

  @Override
  public WaitCheck check(long ownerId, Collection<String> tokens) {
    return read("read the queue in", tx -> sql.check(tx, ownerId, tokens));
  }

  @Override
  public Map<String, TokenState> granted(long ownerId, Collection<String> tokens) {
    return read("read the queue in", tx -> sql.granted(tx, ownerId, tokens));
  }

  @Override
  public Glance glance(long ownerId, Collection<String> tokens, Collection<String> providers) {
    return read("read the queue in", tx -> sql.glance(tx, ownerId, tokens, providers));
  }

  @Override
  public ProviderState recordWord(UpstreamWord w) {
    return write("record the provider's word in", tx -> sql.recordWord(tx, w));
  }

  @Override
  public ProviderState report429(RateLimitReport r) {
    return write("record a 429 in", tx -> sql.report429(tx, r));
  }

  @Override
  public List<LimitRow> limits() {
    return read("read the limits in", sql::limits);
  }

  @Override
  public Optional<LimitRow> limit(String provider) {
    return read("read a limit in", tx -> sql.limit(tx, provider));
  }

  @Override
  public LimitRow setLimit(LimitChange c) {
    return write("set a limit in", tx -> sql.setLimit(tx, c));
  }

  @Override
  public boolean unsetLimit(String provider) {
    return write("remove a limit in", tx -> sql.unsetLimit(tx, provider));
  }

  @Override
  public List<ModelLimitRow> modelLimits() {
    return read("read the model limits in", sql::modelLimits);
  }

  @Override
  public ModelLimitRow setModelLimit(ModelLimitChange c) {
    return write("set a model limit in", tx -> sql.setModelLimit(tx, c));
  }

  @Override
  public boolean unsetModelLimit(String provider, String model) {
    return write("remove a model limit in", tx -> sql.unsetModelLimit(tx, provider, model));
  }

  @Override
  public boolean pause(String provider) {
    return write("pause a provider in", tx -> sql.pause(tx, provider));
  }

  @Override
  public boolean resume(String provider) {
    return write("resume a provider in", tx -> sql.resume(tx, provider));
  }
}
