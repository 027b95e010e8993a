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
  /**
   * Whether a process of this host proves, beyond its pid, that it is alive and registered now: in
   * this engine, that it holds the lock on its {@code procs/<id>.lock}.
   */
  @FunctionalInterface
  interface Proof {
    boolean provesAlive(long processId, long pid, String startToken);
  }

  private final String hostId;
  private final Liveness liveness;
  private final Proof proof;

  Settle(String hostId, Liveness liveness, Proof proof) {
    this.hostId = hostId;
    this.liveness = liveness;
    this.proof = proof;
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
          + " EXISTS (SELECT 1 FROM processes p WHERE p.expires_at_ms < ?2),"
          + " EXISTS (SELECT 1 FROM leases l WHERE l.provider = ?1 AND l.released_at_ms IS NOT NULL"
          + "   AND (l.released_at_ms > ?2 OR l.cool_until_ms - l.released_at_ms > 3600000"
          + "    OR l.cool_until_ms < l.released_at_ms))"
          + "  OR coalesce(a.last_429_at_ms > ?2 OR a.last_step_at_ms > ?2 OR a.upstream_at_ms > ?2"
          + "   OR a.paused_until_ms > ?2 + 86460000, 0),"
          + " EXISTS (SELECT 1 FROM processes p WHERE p.heartbeat_at_ms > ?2"
          + "   OR p.expires_at_ms > ?2 + 86400000)"
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

  static ProviderState state(Tx tx, String provider) throws SQLException {
    return look(tx, provider).state();
  }

  static Seen look(Tx tx, String provider) throws SQLException {
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
    Seen seen = look(tx, provider);
    if (seen.rowsAhead() || seen.processesAhead()) {
      pullBack(tx, provider, seen);
      seen = look(tx, provider);
    }
    if (seen.coolingEnded()) {
      tx.update(EXPIRE_COOLING, provider, tx.now);
    }
    Set<String> touched = new LinkedHashSet<>();
    if (seen.anyExpired()) {
      touched.addAll(reapExpired(tx, reclaimed));
    }
    ProviderState st =
        touched.contains(provider)
            ? promote(tx, provider, state(tx, provider), reclaimed)
            : promote(tx, provider, seen.state(), reclaimed);
    int before = reclaimed.size();
    if (reap && (st.queued() > 0 || st.free() == 0) && !st.paused()) {
      touched.addAll(reapDeadOwners(tx, provider, reclaimed));
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

  // ---------------------------------------------------------------- clocks

  /**
   * A slot cools for 0 to 1 h, the longest cooldown (rows from before version 3 could say more, or
   * end before they began).
   */
  private static final String CAP_COOLING =
      "UPDATE leases SET"
          + " cool_until_ms = released_at_ms + max(0, min(cool_until_ms - released_at_ms, 3600000))"
          + " WHERE provider = ? AND released_at_ms IS NOT NULL"
          + " AND (cool_until_ms - released_at_ms > 3600000 OR cool_until_ms < released_at_ms)";

  private static final String[] PULL_BACK_PROVIDER = {
    // Released "in the future": it cools for its own length, from now.
    "UPDATE leases SET cool_until_ms = ?2 + (cool_until_ms - released_at_ms), released_at_ms = ?2"
        + " WHERE provider = ?1 AND released_at_ms > ?2",
    "UPDATE admission SET"
        + " paused_until_ms = ?2 + max(0, min(paused_until_ms - last_429_at_ms, 86400000))"
        + " WHERE provider = ?1 AND last_429_at_ms > ?2 AND paused_until_ms IS NOT NULL",
    "UPDATE admission SET last_429_at_ms = ?2 WHERE provider = ?1 AND last_429_at_ms > ?2",
    "UPDATE admission SET paused_until_ms = ?2 + 86400000"
        + " WHERE provider = ?1 AND paused_until_ms > ?2 + 86460000",
    "UPDATE admission SET last_step_at_ms = ?2 WHERE provider = ?1 AND last_step_at_ms > ?2",
    "UPDATE admission SET upstream_valid_until_ms = CASE WHEN upstream_valid_until_ms IS NULL"
        + " THEN NULL ELSE ?2 + max(0, min(upstream_valid_until_ms - upstream_at_ms, 3600000)) END,"
        + " upstream_at_ms = ?2 WHERE provider = ?1 AND upstream_at_ms > ?2",
  };
  private static final String[] PULL_BACK_PROCESSES = {
    // Heart-beaten "in the future": its TTL counts from when this clock sees it.
    "UPDATE processes SET expires_at_ms = ?1 + min(max(expires_at_ms - heartbeat_at_ms, 0),"
        + " 86400000), heartbeat_at_ms = ?1 WHERE heartbeat_at_ms > ?1",
    "UPDATE processes SET expires_at_ms = ?1 + 86400000 WHERE expires_at_ms > ?1 + 86400000",
  };

  /**
   * Pulls the times of rows that lie ahead of this transaction's clock back into it, keeping their
   * lengths: a cooldown, a pause, a sample's validity or a TTL then lasts as long as it was meant
   * to, from now, however far ahead the writer's clock was. See migrations/README.md, "Clocks".
   */
  private static void pullBack(Tx tx, String provider, Seen seen) throws SQLException {
    if (seen.rowsAhead()) {
      tx.update(CAP_COOLING, provider);
      for (String sql : PULL_BACK_PROVIDER) {
        tx.update(sql, provider, tx.now);
      }
    }
    if (seen.processesAhead()) {
      pullBackProcesses(tx);
    }
  }

  private static final String CAP_COOLING_ALL = CAP_COOLING.replace("provider = ? AND ", "");
  private static final String[] PULL_BACK_ALL = allProviders(PULL_BACK_PROVIDER);

  /** The provider statements for every provider ({@code ?1} is then unused; {@code ?2} is now). */
  private static String[] allProviders(String[] perProvider) {
    String[] out = new String[perProvider.length];
    for (int i = 0; i < out.length; i++) {
      out[i] = perProvider[i].replace("provider = ?1 AND ", "?1 IS NULL AND ");
    }
    return out;
  }

  /**
   * {@link #pullBack} for every provider and process at once, for a status read: what it shows is
   * then what a grant would see.
   */
  static void pullBackAll(Tx tx) throws SQLException {
    tx.update(CAP_COOLING_ALL);
    for (String sql : PULL_BACK_ALL) {
      tx.update(sql, null, tx.now);
    }
    pullBackProcesses(tx);
  }

  private static void pullBackProcesses(Tx tx) throws SQLException {
    for (String sql : PULL_BACK_PROCESSES) {
      tx.update(sql, tx.now);
    }
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
        tx.update(
            INSERT_LEASE, h.token(), provider, h.owner(), h.pid(), h.label(), h.queuedAt(), tx.now);
        granted++;
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

  // ---------------------------------------------------------------- reclaiming

  private static final String EXPIRED_PROCESSES =
      "SELECT id, host, pid, name, host_id, start_token FROM processes WHERE expires_at_ms < ?";
  private static final String STILL_ALIVE =
      "UPDATE processes SET expires_at_ms = ?1 + ?2 WHERE id = ?3";

  /**
   * How long a proven-alive process's expiry is renewed for: a fixed window, since its own TTL is
   * not recorded and deriving it from its times would grow with every renewal of a process that has
   * stopped heart-beating.
   */
  static final long RENEWAL_MS = 60_000;

  /**
   * Reclaims processes whose heartbeat expired by this transaction's clock, unless they prove they
   * are alive: a process of this host that still runs and holds its liveness lock is never
   * reclaimed by time (its clock, or ours, may have jumped); its expiry is renewed instead, from
   * now, for {@link #RENEWAL_MS}. Only processes that cannot be checked (another host, no lock)
   * expire.
   */
  Set<String> reapExpired(Tx tx, List<Reclaimed> reclaimed) throws SQLException {
    record Expired(ProcessRow row, boolean here, String startToken) {}
    List<Expired> expired = new ArrayList<>();
    try (ResultSet rs = tx.query(EXPIRED_PROCESSES, tx.now)) {
      while (rs.next()) {
        expired.add(
            new Expired(
                new ProcessRow(rs.getLong(1), rs.getString(2), rs.getLong(3), rs.getString(4)),
                hostId.equals(rs.getString(5)),
                rs.getString(6)));
      }
    }
    Set<String> touched = new LinkedHashSet<>();
    for (Expired e : expired) {
      ProcessRow p = e.row();
      if (e.here()
          && liveness.isAlive(p.pid(), e.startToken())
          && proof.provesAlive(p.id(), p.pid(), e.startToken())) {
        tx.update(STILL_ALIVE, tx.now, RENEWAL_MS, p.id());
        continue;
      }
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
