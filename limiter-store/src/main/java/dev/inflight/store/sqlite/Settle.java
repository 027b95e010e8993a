package dev.inflight.store.sqlite;

import dev.inflight.store.Liveness;
import dev.inflight.store.PauseReason;
import dev.inflight.store.ReclaimReason;
import dev.inflight.store.Rows.LeaseRow;
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
  private final String hostId;
  private final Liveness liveness;

  Settle(String hostId, Liveness liveness) {
    this.hostId = hostId;
    this.liveness = liveness;
  }

  String hostId() {
    return hostId;
  }

  Liveness liveness() {
    return liveness;
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
          + " EXISTS (SELECT 1 FROM processes p WHERE p.expires_at_ms < ?2)"
          + " FROM (SELECT ?1 AS provider) q LEFT JOIN limits m ON m.provider = q.provider"
          + " LEFT JOIN admission a ON a.provider = q.provider";

  /**
   * A provider's state, and whether the settle step has housekeeping to do: cooled rows to delete
   * (they no longer count either way) and expired processes anywhere to reclaim.
   */
  private record Seen(ProviderState state, boolean coolingEnded, boolean anyExpired) {}

  static ProviderState state(Tx tx, String provider) throws SQLException {
    return look(tx, provider).state();
  }

  private static Seen look(Tx tx, String provider) throws SQLException {
    try (ResultSet rs = tx.query(STATE, provider, tx.now)) {
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
      return new Seen(st, rs.getInt(15) != 0, rs.getInt(16) != 0);
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
    Seen seen = look(tx, provider);
    if (seen.coolingEnded()) {
      tx.update(EXPIRE_COOLING, provider, tx.now);
    }
    Set<String> touched = new LinkedHashSet<>();
    if (seen.anyExpired()) {
      touched.addAll(reapExpired(tx, reclaimed));
    }
    ProviderState st =
        touched.contains(provider) ? promote(tx, provider) : promote(tx, provider, seen.state());
    int before = reclaimed.size();
    if (reap && (st.queued() > 0 || st.free() == 0) && !st.paused()) {
      touched.addAll(reapDeadOwners(tx, provider, reclaimed));
    }
    boolean reaped = reclaimed.size() != before;
    touched.remove(provider);
    for (String other : touched) {
      promote(tx, other);
    }
    // The common case reclaims nothing here: the first promote's state is still true.
    return reaped ? promote(tx, provider) : st;
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
          + " VALUES (?, ?, ?, ?, ?, ?, ?)";
  private static final String DELETE_WAITER_BY_TICKET = "DELETE FROM waiters WHERE ticket = ?";

  /** Grants free slots to the head of the queue, in ticket order. */
  static ProviderState promote(Tx tx, String provider) throws SQLException {
    return promote(tx, provider, state(tx, provider));
  }

  /** {@link #promote(Tx, String)} from a state read in this transaction. */
  static ProviderState promote(Tx tx, String provider, ProviderState st) throws SQLException {
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
    for (Head h : heads) {
      tx.update(
          INSERT_LEASE, h.token(), provider, h.owner(), h.pid(), h.label(), h.queuedAt(), tx.now);
      tx.update(DELETE_WAITER_BY_TICKET, h.ticket());
    }
    return st.plus(heads.size(), -heads.size()); // no need to read back what was just written
  }

  // ---------------------------------------------------------------- reclaiming

  private static final String EXPIRED_PROCESSES =
      "SELECT id, host, pid, name FROM processes WHERE expires_at_ms < ?";

  Set<String> reapExpired(Tx tx, List<Reclaimed> reclaimed) throws SQLException {
    List<ProcessRow> expired = new ArrayList<>();
    try (ResultSet rs = tx.query(EXPIRED_PROCESSES, tx.now)) {
      while (rs.next()) {
        expired.add(new ProcessRow(rs.getLong(1), rs.getString(2), rs.getLong(3), rs.getString(4)));
      }
    }
    Set<String> touched = new LinkedHashSet<>();
    for (ProcessRow p : expired) {
      touched.addAll(reap(tx, p, ReclaimReason.HEARTBEAT_EXPIRED, reclaimed));
    }
    return touched;
  }

  private static final String OWNERS_ON_THIS_HOST =
      "SELECT p.id, p.host, p.pid, p.name, p.start_token FROM processes p"
          + " WHERE p.host_id = ? AND p.id IN"
          + " (SELECT owner_id FROM leases WHERE provider = ? AND owner_id IS NOT NULL"
          + "  UNION SELECT owner_id FROM waiters WHERE provider = ?)";
  private static final String ORPHAN_LEASES =
      "SELECT l.id, l.owner_id, l.pid, l.label, l.queued_at_ms, l.acquired_at_ms FROM leases l"
          + " WHERE l.provider = ? AND l.owner_id IS NOT NULL"
          + " AND NOT EXISTS (SELECT 1 FROM processes p WHERE p.id = l.owner_id)";
  private static final String DELETE_LEASE = "DELETE FROM leases WHERE id = ?";
  private static final String DELETE_ORPHAN_WAITERS =
      "DELETE FROM waiters WHERE provider = ?"
          + " AND NOT EXISTS (SELECT 1 FROM processes p WHERE p.id = waiters.owner_id)";

  private Set<String> reapDeadOwners(Tx tx, String provider, List<Reclaimed> reclaimed)
      throws SQLException {
    List<ProcessRow> dead = new ArrayList<>();
    try (ResultSet rs = tx.query(OWNERS_ON_THIS_HOST, hostId, provider, provider)) {
      while (rs.next()) {
        if (!liveness.isAlive(rs.getLong(3), rs.getString(5))) {
          dead.add(new ProcessRow(rs.getLong(1), rs.getString(2), rs.getLong(3), rs.getString(4)));
        }
      }
    }
    Set<String> touched = new LinkedHashSet<>();
    for (ProcessRow p : dead) {
      touched.addAll(reap(tx, p, ReclaimReason.PROCESS_DEAD, reclaimed));
    }
    // Rows whose owner is not registered at all (a foreign client's bug, a hand edit).
    List<LeaseRow> orphans = new ArrayList<>();
    try (ResultSet rs = tx.query(ORPHAN_LEASES, provider)) {
      while (rs.next()) {
        orphans.add(
            new LeaseRow(
                rs.getLong(1),
                provider,
                ProcessRow.unknown(rs.getLong(2), rs.getLong(3)),
                rs.getString(4),
                rs.getLong(5),
                rs.getLong(6)));
      }
    }
    for (LeaseRow o : orphans) {
      tx.update(DELETE_LEASE, o.id());
      reclaimed.add(new Reclaimed(o.owner(), ReclaimReason.ORPHANED, List.of(o), 0));
    }
    int orphanWaiters = tx.update(DELETE_ORPHAN_WAITERS, provider);
    if (orphanWaiters > 0) {
      reclaimed.add(
          new Reclaimed(
              ProcessRow.unknown(0, 0), ReclaimReason.ORPHANED, List.of(), orphanWaiters));
    }
    return touched;
  }

  private static final String LEASES_OF_PROCESS =
      "SELECT id, provider, label, queued_at_ms, acquired_at_ms FROM leases WHERE owner_id = ?";
  private static final String COUNT_WAITERS_OF_PROCESS =
      "SELECT count(*) FROM waiters WHERE owner_id = ?";

  /** Frees everything process {@code p} holds and records it as reclaimed. */
  static Set<String> reap(Tx tx, ProcessRow p, ReclaimReason why, List<Reclaimed> out)
      throws SQLException {
    List<LeaseRow> leases = new ArrayList<>();
    try (ResultSet rs = tx.query(LEASES_OF_PROCESS, p.id())) {
      while (rs.next()) {
        leases.add(
            new LeaseRow(
                rs.getLong(1), rs.getString(2), p, rs.getString(3), rs.getLong(4), rs.getLong(5)));
      }
    }
    int waiters = (int) tx.queryLong(COUNT_WAITERS_OF_PROCESS, 0, p.id());
    Set<String> touched = freeProcess(tx, p.id());
    out.add(new Reclaimed(p, why, leases, waiters));
    return touched;
  }

  private static final String PROVIDERS_OF_PROCESS =
      "SELECT provider FROM leases WHERE owner_id = ?1 UNION SELECT provider FROM waiters"
          + " WHERE owner_id = ?1";
  private static final String COOL_LEASES_OF_PROCESS =
      "UPDATE leases SET owner_id = NULL, released_at_ms = ?1,"
          + " cool_until_ms = ?1 + (SELECT m.cooldown_ms FROM limits m"
          + "   WHERE m.provider = leases.provider)"
          + " WHERE owner_id = ?2"
          + " AND coalesce((SELECT m.cooldown_ms FROM limits m"
          + "   WHERE m.provider = leases.provider), 0) > 0";
  private static final String DELETE_PROCESS = "DELETE FROM processes WHERE id = ?";
  private static final String DELETE_LEASES_OF_PROCESS = "DELETE FROM leases WHERE owner_id = ?";
  private static final String DELETE_WAITERS_OF_PROCESS = "DELETE FROM waiters WHERE owner_id = ?";

  /**
   * Deletes a process row; its leases cool (where a cooldown applies) or go, its waiters go.
   *
   * @return the providers it held or waited for, which the caller must promote
   */
  static Set<String> freeProcess(Tx tx, long id) throws SQLException {
    Set<String> providers = new LinkedHashSet<>();
    try (ResultSet rs = tx.query(PROVIDERS_OF_PROCESS, id)) {
      while (rs.next()) {
        providers.add(rs.getString(1));
      }
    }
    tx.update(COOL_LEASES_OF_PROCESS, tx.now, id);
    tx.update(DELETE_PROCESS, id);
    // The trigger processes_free_on_delete removes the remaining leases and the waiters; these
    // two cost nothing after it and keep a file whose trigger was dropped by hand consistent.
    tx.update(DELETE_LEASES_OF_PROCESS, id);
    tx.update(DELETE_WAITERS_OF_PROCESS, id);
    return providers;
  }
}
