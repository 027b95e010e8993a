package dev.inflight.store.sql;

import dev.inflight.store.AcquireMode;
import dev.inflight.store.AcquireRequest;
import dev.inflight.store.Ending;
import dev.inflight.store.PauseReason;
import dev.inflight.store.Plan;
import dev.inflight.store.Plan.Want;
import dev.inflight.store.ReleaseRequest;
import dev.inflight.store.Rows.AcquireOutcome;
import dev.inflight.store.Rows.CancelOutcome;
import dev.inflight.store.Rows.LeaseRow;
import dev.inflight.store.Rows.ProviderState;
import dev.inflight.store.Rows.Reclaimed;
import dev.inflight.store.Rows.ReleaseOutcome;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Acquire, release, cancel and force-release: the transactions of one lease's life. */
final class LeaseSql {
  private final Settle settle;
  private final AdmissionSql admission;

  LeaseSql(Settle settle, AdmissionSql admission) {
    this.settle = settle;
    this.admission = admission;
  }

  private static final String QUEUE =
      "INSERT INTO queue (token, provider, owner_id, pid, label, queued_at_ms, model, weight,"
          + " tokens, priority) SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10"
          + " WHERE EXISTS (SELECT 1 FROM processes WHERE id = ?3)";

  AcquireOutcome acquire(Tx tx, AcquireRequest r) throws SQLException {
    List<Reclaimed> reclaimed = new ArrayList<>();
    ProviderState st = settle.settle(tx, r.provider(), true, reclaimed, r.model());
    Want want = Plan.want(st, r);
    if (Queue.fitsNow(tx, st, want, r.priority())) {
      long id = Queue.write(tx, st, r.token(), r.ownerId(), r.pid(), r.label(), tx.now, want);
      if (id == 0) {
        return unregistered(tx, st, reclaimed);
      }
      ProviderState after = st.afterGrant(want.model(), want.weight(), want.tokens());
      return new AcquireOutcome(AcquireOutcome.Kind.GRANTED, id, tx.now, 0, after, reclaimed);
    }
    if (r.mode() == AcquireMode.TRY) {
      return new AcquireOutcome(AcquireOutcome.Kind.BUSY, 0, tx.now, 0, st, reclaimed);
    }
    if (tx.update(
            QUEUE,
            r.token(),
            r.provider(),
            r.ownerId(),
            r.pid(),
            r.label(),
            tx.now,
            want.model(),
            want.weight(),
            want.tokens(),
            r.priority().sqlName())
        == 0) {
      return unregistered(tx, st, reclaimed);
    }
    return new AcquireOutcome(
        AcquireOutcome.Kind.QUEUED, 0, tx.now, st.queued() + 1, st.plus(0, 1), reclaimed);
  }

  private static AcquireOutcome unregistered(Tx tx, ProviderState st, List<Reclaimed> reclaimed) {
    return new AcquireOutcome(AcquireOutcome.Kind.UNREGISTERED, 0, tx.now, 0, st, reclaimed);
  }

  private static final String RELEASE_WITHOUT_COOLDOWN =
      "DELETE FROM leases WHERE token = ? AND owner_id IS NOT NULL AND NOT EXISTS"
          + " (SELECT 1 FROM limits m WHERE m.provider = leases.provider AND m.cooldown_ms > 0)"
          + " RETURNING id, provider, acquired_at_ms, tokens";
  private static final String FIND_LEASE_FOR_RELEASE =
      "SELECT l.id, l.provider, l.owner_id, coalesce(m.cooldown_ms, 0), l.acquired_at_ms,"
          + " l.tokens FROM leases l LEFT JOIN limits m ON m.provider = l.provider WHERE l.token = ?";
  static final String DELETE_LEASE = "DELETE FROM leases WHERE id = ?";
  static final String COOL_LEASE =
      "UPDATE leases SET owner_id = NULL, released_at_ms = ?, cool_until_ms = ? WHERE id = ?";

  ReleaseOutcome release(Tx tx, ReleaseRequest r) throws SQLException {
    long id = 0;
    String provider = null;
    long acquiredAt = 0;
    long reserved = -1;
    ReleaseOutcome.Kind kind = null;
    // The common case in one statement: a held lease of a provider with no cooldown.
    try (ResultSet rs = tx.query(RELEASE_WITHOUT_COOLDOWN, r.token())) {
      if (rs.next()) {
        id = rs.getLong(1);
        provider = rs.getString(2);
        acquiredAt = rs.getLong(3);
        reserved = rs.getLong(4);
        kind = ReleaseOutcome.Kind.RELEASED;
      }
    }
    if (kind == null) {
      long cooldown;
      try (ResultSet rs = tx.query(FIND_LEASE_FOR_RELEASE, r.token())) {
        if (!rs.next()) {
          return new ReleaseOutcome(ReleaseOutcome.Kind.NOT_HELD, 0, null, tx.now, 0);
        }
        id = rs.getLong(1);
        provider = rs.getString(2);
        rs.getLong(3);
        if (rs.wasNull()) {
          return new ReleaseOutcome(ReleaseOutcome.Kind.NOT_HELD, id, provider, tx.now, 0);
        }
        cooldown = rs.getLong(4);
        acquiredAt = rs.getLong(5);
        reserved = rs.getLong(6);
      }
      if (cooldown > 0) {
        tx.update(COOL_LEASE, tx.now, tx.now + cooldown, id);
        kind = ReleaseOutcome.Kind.COOLING;
      } else {
        tx.update(DELETE_LEASE, id);
        kind = ReleaseOutcome.Kind.RELEASED;
      }
    }
    if (r.usedTokens() >= 0 && r.usedTokens() != reserved) {
      tx.update(
          LedgerSql.of(tx).correct(), r.usedTokens(), provider, acquiredAt, id); // else: already so
    }
    if (r.ending() == Ending.RATE_LIMITED) {
      admission.record429(tx, provider, r.retryAfterMs(), PauseReason.PROVIDER_429, acquiredAt);
    } else if (nothingToHandOver(tx, provider, r.ending())) {
      // The uncontended case stops here: nobody waits, and no adaptive limit steps up.
      return new ReleaseOutcome(kind, id, provider, tx.now, 0);
    }
    // Hand the freed slot to the queue's head. Reaping is left to acquirers and waiters.
    ProviderState st = Settle.promote(tx, provider);
    if (r.ending() == Ending.SUCCEEDED
        && st.adaptive()
        && st.effectiveLimit().isPresent()
        && admission.recordSuccess(tx, provider, acquiredAt, st.limit().getAsInt())) {
      Settle.promote(tx, provider);
    }
    return new ReleaseOutcome(kind, id, provider, tx.now, st.pausedUntilMs());
  }

  private static final String AFTER_RELEASE =
      "SELECT EXISTS (SELECT 1 FROM queue WHERE provider = ?1),"
          + " coalesce((SELECT adaptive FROM limits WHERE provider = ?1), 0)";

  /** Whether nobody waits for the provider and no adaptive limit may step up on this ending. */
  private static boolean nothingToHandOver(Tx tx, String provider, Ending ending)
      throws SQLException {
    try (ResultSet rs = tx.query(AFTER_RELEASE, provider)) {
      rs.next();
      boolean waiters = rs.getBoolean(1);
      boolean adaptive = rs.getBoolean(2);
      return !waiters && !(adaptive && ending == Ending.SUCCEEDED);
    }
  }

  private static final String DELETE_WAITER = "DELETE FROM queue WHERE token = ?";
  private static final String FIND_OWN_LEASE =
      "SELECT id, acquired_at_ms FROM leases WHERE token = ? AND owner_id IS NOT NULL";

  CancelOutcome cancel(Tx tx, String token) throws SQLException {
    if (tx.update(DELETE_WAITER, token) == 1) {
      return new CancelOutcome(CancelOutcome.Kind.CANCELLED, 0, 0);
    }
    try (ResultSet rs = tx.query(FIND_OWN_LEASE, token)) {
      if (rs.next()) {
        return new CancelOutcome(CancelOutcome.Kind.ALREADY_GRANTED, rs.getLong(1), rs.getLong(2));
      }
    }
    return new CancelOutcome(CancelOutcome.Kind.NOT_FOUND, 0, 0);
  }

  private static final String FIND_ACTIVE_LEASE =
      "SELECT l.id, l.provider, coalesce(l.owner_id, 0), coalesce(p.host, ''), l.pid,"
          + " coalesce(p.name, ''), l.label, l.queued_at_ms, l.acquired_at_ms,"
          + " l.model, l.weight, l.tokens, coalesce(m.cooldown_ms, 0)"
          + " FROM leases l LEFT JOIN processes p ON p.id = l.owner_id"
          + " LEFT JOIN limits m ON m.provider = l.provider"
          + " WHERE l.id = ? AND l.released_at_ms IS NULL";

  Optional<LeaseRow> forceRelease(Tx tx, long leaseId) throws SQLException {
    LeaseRow row;
    long cooldown;
    try (ResultSet rs = tx.query(FIND_ACTIVE_LEASE, leaseId)) {
      if (!rs.next()) {
        return Optional.empty();
      }
      row = StatusSql.leaseRow(rs);
      cooldown = rs.getLong(13);
    }
    // Like any release: the provider's own counter still counts it for the cooldown.
    if (cooldown > 0) {
      tx.update(COOL_LEASE, tx.now, tx.now + cooldown, leaseId);
    } else {
      tx.update(DELETE_LEASE, leaseId);
    }
    settle.settleQuietly(tx, row.provider());
    return Optional.of(row);
  }
}
