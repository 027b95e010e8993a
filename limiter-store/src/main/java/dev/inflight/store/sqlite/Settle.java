package dev.inflight.store.sqlite;

import dev.inflight.store.PauseReason;
import dev.inflight.store.ReclaimReason;
import dev.inflight.store.Rows.Grant;
import dev.inflight.store.Rows.ProcessRow;
import dev.inflight.store.Rows.ProviderState;
import dev.inflight.store.Rows.Reclaimed;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.OptionalInt;
import java.util.Set;

/**
 * The settle step, which every write that can free a slot ends with: read a provider's state, end
 * cooldowns, reclaim the rows of dead and expired processes, and grant free slots to the head of
 * the queue. Whoever frees a slot grants it, in the same transaction. See migrations/README.md
 * ("Building blocks").
 */
final class Settle {
  private final Reclaim reclaim;

  Settle(Reclaim reclaim) {
    this.reclaim = reclaim;
  }

  Reclaim reclaim() {
    return reclaim;
  }

  // ---------------------------------------------------------------- state

  /**
   * Everything admission needs about one provider, in one statement. Admission state counts only
   * while it is in force: a pause that has ended, an upstream sample past its validity, or an
   * adaptive limit of a provider no longer adaptive reads as absent.
   */
  private static final String STATE =
      "SELECT m.max_in_flight, coalesce(m.cooldown_ms, 0), coalesce(m.paused, 0),"
          + " coalesce(m.adaptive, 0),"
          + " CASE WHEN m.adaptive = 1 AND a.effective_limit < m.max_in_flight"
          + "   THEN a.effective_limit END,"
          + " CASE WHEN a.paused_until_ms > ?2 THEN a.paused_until_ms ELSE 0 END,"
          + " CASE WHEN a.paused_until_ms > ?2 THEN a.pause_reason ELSE '' END,"
          + " CASE WHEN a.upstream_valid_until_ms > ?2 THEN a.upstream_in_flight END,"
          + " CASE WHEN a.upstream_valid_until_ms > ?2 THEN a.upstream_hidden ELSE 0 END,"
          + " CASE WHEN a.upstream_valid_until_ms > ?2 THEN a.upstream_valid_until_ms ELSE 0 END,"
          + " (SELECT count(*) FROM leases l WHERE l.provider = ?1 AND l.released_at_ms IS NULL),"
          + " (SELECT count(*) FROM leases l WHERE l.provider = ?1 AND l.released_at_ms IS NOT NULL"
          + "   AND l.cool_until_ms > ?2),"
          + " (SELECT count(*) FROM waiters w WHERE w.provider = ?1),"
          + " (SELECT coalesce(min(w.queued_at_ms), 0) FROM waiters w WHERE w.provider = ?1),"
          + " EXISTS (SELECT 1 FROM leases l WHERE l.provider = ?1 AND l.released_at_ms IS NOT NULL"
          + "   AND l.cool_until_ms <= ?2),"
          + " CASE WHEN ?3 THEN EXISTS (SELECT 1 FROM processes p WHERE p.expires_at_ms < ?2) END,"
          + " EXISTS (SELECT 1 FROM leases l WHERE l.provider = ?1 AND l.released_at_ms IS NOT NULL"
          + "   AND (l.released_at_ms > ?2 OR l.cool_until_ms - l.released_at_ms > 3600000"
          + "    OR l.cool_until_ms < l.released_at_ms))"
          + "  OR coalesce(a.last_429_at_ms > ?2 OR a.last_step_at_ms > ?2 OR a.upstream_at_ms > ?2"
          + "   OR a.paused_until_ms > ?2 + 86460000, 0),"
          + " CASE WHEN ?3 THEN EXISTS (SELECT 1 FROM processes p WHERE p.heartbeat_at_ms > ?2"
          + "   OR p.expires_at_ms > ?2 + 86400000) END"
          + " FROM (SELECT ?1 AS provider) q LEFT JOIN limits m ON m.provider = q.provider"
          + " LEFT JOIN admission a ON a.provider = q.provider";

  /**
   * A provider's state, and whether the settle step has housekeeping to do: cooled rows to delete
   * (they no longer count either way), expired processes anywhere to reclaim, and rows whose times
   * lie ahead of this transaction's clock (a writer whose clock was ahead, a hand edit) to pull
   * back into it.
   */
  record Seen(
      ProviderState state,
      boolean coolingEnded,
      boolean anyExpired,
      boolean rowsAhead,
      boolean processesAhead) {
    /** Whether a settle has something to do that a read cannot see in the counts. */
    boolean housekeepingDue() {
      return anyExpired || rowsAhead || processesAhead;
    }
  }

  /** A provider's state alone (no housekeeping flags about the processes). */
  static ProviderState state(Tx tx, String provider) throws SQLException {
    return look(tx, provider, false).state();
  }

  /**
   * A provider's state and its housekeeping flags. The flags about processes ({@code ?3}: expired
   * or ahead of the clock) are the same for every provider, so a caller looking at many providers
   * in one transaction asks for them once.
   */
  static Seen look(Tx tx, String provider, boolean processFlags) throws SQLException {
    try (ResultSet rs = tx.query(STATE, provider, tx.now, processFlags)) {
      rs.next();
      int max = rs.getInt(1);
      OptionalInt limit = rs.wasNull() ? OptionalInt.empty() : OptionalInt.of(max);
      long cooldown = rs.getLong(2);
      boolean paused = rs.getInt(3) != 0;
      boolean adaptive = rs.getInt(4) != 0;
      int eff = rs.getInt(5);
      OptionalInt effective = rs.wasNull() ? OptionalInt.empty() : OptionalInt.of(eff);
      long pausedUntil = rs.getLong(6);
      String reason = rs.getString(7);
      int up = rs.getInt(8);
      OptionalInt upstream = rs.wasNull() ? OptionalInt.empty() : OptionalInt.of(up);
      int hidden = rs.getInt(9);
      long validUntil = rs.getLong(10);
      String text = reason == null ? "" : reason;
      ProviderState st =
          new ProviderState(
              provider,
              limit,
              cooldown,
              paused,
              rs.getInt(11),
              rs.getInt(12),
              rs.getInt(13),
              rs.getLong(14),
              adaptive,
              effective,
              pausedUntil,
              pausedUntil == 0 ? PauseReason.NONE : PauseReason.fromText(text),
              pausedUntil == 0 ? "" : text,
              upstream,
              hidden,
              validUntil);
      return new Seen(
          st, rs.getInt(15) != 0, rs.getInt(16) != 0, rs.getInt(17) != 0, rs.getInt(18) != 0);
    }
  }

  // ---------------------------------------------------------------- settle

  private static final String EXPIRE_COOLING =
      "DELETE FROM leases WHERE provider = ? AND released_at_ms IS NOT NULL AND cool_until_ms <= ?";

  /**
   * Expires cooldowns, reclaims expired processes, grants free slots to the queue's head; when
   * {@code reap} and the provider is still blocked, also reclaims dead owners on this host.
   */
  ProviderState settle(Tx tx, String provider, boolean reap, List<Reclaimed> reclaimed)
      throws SQLException {
    // The uncontended case costs this one read: nothing to clean, reclaim or grant.
    Seen seen = look(tx, provider, true);
    if (seen.rowsAhead() || seen.processesAhead()) {
      PullBack.pullBack(tx, provider, seen.rowsAhead(), seen.processesAhead());
      seen = look(tx, provider, true);
    }
    if (seen.coolingEnded()) {
      tx.update(EXPIRE_COOLING, provider, tx.now);
    }
    Set<String> touched = new LinkedHashSet<>();
    if (seen.anyExpired()) {
      touched.addAll(reclaim.reapExpired(tx, reclaimed));
    }
    ProviderState st =
        touched.contains(provider)
            ? promote(tx, provider, state(tx, provider), reclaimed)
            : promote(tx, provider, seen.state(), reclaimed);
    int before = reclaimed.size();
    if (reap && (st.queued() > 0 || st.free() == 0) && !st.paused()) {
      touched.addAll(reclaim.reapDeadOwners(tx, provider, reclaimed));
    }
    boolean reaped = reclaimed.size() != before;
    touched.remove(provider);
    for (String other : touched) {
      promote(tx, other, state(tx, other), reclaimed);
    }
    // The common case reclaims nothing here: the first promote's state is still true.
    return reaped ? promote(tx, provider, state(tx, provider), reclaimed) : st;
  }

  /** {@link #settle} without reaping dead owners, discarding what was reclaimed. */
  ProviderState settleQuietly(Tx tx, String provider) throws SQLException {
    return settle(tx, provider, false, new ArrayList<>());
  }

  // ---------------------------------------------------------------- promote

  private static final String HEAD_OF_QUEUE =
      "SELECT ticket, token, owner_id, pid, label, queued_at_ms FROM waiters WHERE provider = ?"
          + " ORDER BY ticket LIMIT ?";
  static final String INSERT_LEASE =
      "INSERT INTO leases (token, provider, owner_id, pid, label, queued_at_ms, acquired_at_ms)"
          + " VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id";
  private static final String DELETE_WAITER_BY_TICKET = "DELETE FROM waiters WHERE ticket = ?";

  /** Grants free slots to the head of the queue, in ticket order. */
  static ProviderState promote(Tx tx, String provider) throws SQLException {
    return promote(tx, provider, state(tx, provider), new ArrayList<>());
  }

  /** {@link #promote(Tx, String)} from a state read in this transaction. */
  static ProviderState promote(Tx tx, String provider, ProviderState st) throws SQLException {
    return promote(tx, provider, st, new ArrayList<>());
  }

  /**
   * Grants free slots to the head of the queue, in ticket order. Each waiter leaves the queue
   * before its lease is written under the same token (tokens are unique across both tables). A
   * waiter the database refuses to turn into a lease (its token is a held lease's, a foreign
   * client's bad row) is dropped and reported, and the next one is served: one bad row never wedges
   * a provider.
   */
  static ProviderState promote(Tx tx, String provider, ProviderState st, List<Reclaimed> reclaimed)
      throws SQLException {
    int n = Math.min(st.free(), st.queued());
    if (n <= 0) {
      return st;
    }
    record Head(long ticket, String token, long owner, long pid, String label, long queuedAt) {}
    List<Head> heads = new ArrayList<>(n);
    try (ResultSet rs = tx.query(HEAD_OF_QUEUE, provider, n)) {
      while (rs.next()) {
        heads.add(
            new Head(
                rs.getLong(1),
                rs.getString(2),
                rs.getLong(3),
                rs.getLong(4),
                rs.getString(5),
                rs.getLong(6)));
      }
    }
    int granted = 0;
    int refused = 0;
    for (Head h : heads) {
      tx.update(DELETE_WAITER_BY_TICKET, h.ticket());
      try {
        long id;
        try (ResultSet rs =
            tx.query(
                INSERT_LEASE,
                h.token(),
                provider,
                h.owner(),
                h.pid(),
                h.label(),
                h.queuedAt(),
                tx.now)) {
          rs.next();
          id = rs.getLong(1);
        }
        granted++;
        tx.grantedTo(h.owner(), new Grant(h.token(), id, tx.now));
      } catch (SQLException e) {
        if (!Database.refused(e)) {
          throw e;
        }
        refused++;
        // Id 0: its owner is alive and registered; nothing of the owner is taken back.
        reclaimed.add(
            new Reclaimed(ProcessRow.unknown(0, h.pid()), ReclaimReason.INVALID, List.of(), 1));
        SqliteEngine.LOG.log(
            System.Logger.Level.WARNING,
            "dropped a waiter of '"
                + provider
                + "' (pid "
                + h.pid()
                + ") that the database refused to grant: "
                + e.getMessage());
      }
    }
    ProviderState after = st.plus(granted, -heads.size()); // no need to read back what was written
    return refused == 0 ? after : promote(tx, provider, state(tx, provider), reclaimed);
  }
}
