package dev.inflight.store.sql;

import dev.inflight.store.Liveness;
import dev.inflight.store.ReclaimReason;
import dev.inflight.store.Rows.LeaseRow;
import dev.inflight.store.Rows.ProcessRow;
import dev.inflight.store.Rows.Reclaimed;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Taking back what processes that are gone still hold: the expired (unless they prove they are
 * alive), the dead of this host, the rows of owners that are not registered. It decides who is
 * gone; the caller promotes the providers it reports as touched.
 */
public final class Reclaim {
  /**
   * Whether a process whose heartbeat expired proves that it is alive and registered now, so that
   * it keeps its rows. SQLite: it runs on this host and holds the lock on its {@code
   * procs/<id>.lock}. PostgreSQL: its session holds its advisory lock, on whatever host.
   */
  @FunctionalInterface
  public interface Proof {
    boolean provesAlive(Tx tx, long processId, String hostId, long pid, String startToken)
        throws SQLException;
  }

  private final String hostId;
  private final Liveness liveness;
  private final Proof proof;

  /**
   * @param hostId this host: its owners are checked with {@code liveness} as soon as they block a
   *     provider; null for an engine that tells the dead by {@code proof} alone
   */
  public Reclaim(String hostId, Liveness liveness, Proof proof) {
    this.hostId = hostId;
    this.liveness = liveness;
    this.proof = proof;
  }

  /** This host's id as the queries compare it: no host at all for an engine without one. */
  String hostId() {
    return hostId == null ? "" : hostId;
  }

  /**
   * Whether a waiter watches an owner of {@code ownerHost}: on SQLite, owners of this host (their
   * lock files); on PostgreSQL (no host of its own), every owner (its advisory lock).
   */
  boolean watchable(String ownerHost) {
    return hostId == null || hostId.equals(ownerHost);
  }

  Liveness liveness() {
    return liveness;
  }

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
    record Expired(ProcessRow row, String hostId, String startToken) {}
    List<Expired> expired = new ArrayList<>();
    try (ResultSet rs = tx.query(EXPIRED_PROCESSES, tx.now)) {
      while (rs.next()) {
        expired.add(
            new Expired(
                new ProcessRow(rs.getLong(1), rs.getString(2), rs.getLong(3), rs.getString(4)),
                rs.getString(5),
                rs.getString(6)));
      }
    }
    Set<String> touched = new LinkedHashSet<>();
    for (Expired e : expired) {
      ProcessRow p = e.row();
      if (proof.provesAlive(tx, p.id(), e.hostId(), p.pid(), e.startToken())) {
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
          + "  UNION SELECT owner_id FROM queue WHERE provider = ?)";
  private static final String ORPHAN_LEASES =
      "SELECT l.id, l.owner_id, l.pid, l.label, l.queued_at_ms, l.acquired_at_ms FROM leases l"
          + " WHERE l.provider = ? AND l.owner_id IS NOT NULL"
          + " AND NOT EXISTS (SELECT 1 FROM processes p WHERE p.id = l.owner_id)";
  private static final String DELETE_LEASE = "DELETE FROM leases WHERE id = ?";
  private static final String DELETE_ORPHAN_WAITERS =
      "DELETE FROM queue WHERE provider = ?"
          + " AND NOT EXISTS (SELECT 1 FROM processes p WHERE p.id = queue.owner_id)";

  /**
   * How long an owner found alive is trusted to still be. Only a "dead" answer leads to a reclaim,
   * and it is always read afresh, so the cache can delay finding a dead owner (by this much at
   * most, and not at all when a waiter watches its lock file) but never reclaims a live one.
   * Without it, every request that queued read {@code /proc} for every owner of its provider while
   * holding the write lock: with 16 processes that made the lock the bottleneck.
   */
  private static final long ALIVE_FOR_NANOS = 500_000_000L;

  private final java.util.Map<String, Long> aliveAt =
      new java.util.concurrent.ConcurrentHashMap<>();

  /** {@link Liveness#isAlive} afresh; the answer is remembered for {@link #seenAlive}. */
  private boolean askAlive(long pid, String startToken) {
    String key = pid + "/" + startToken;
    if (liveness.isAlive(pid, startToken)) {
      aliveAt.put(key, System.nanoTime());
      return true;
    }
    aliveAt.remove(key);
    return false;
  }

  /** {@link Liveness#isAlive}, trusting an "alive" answer for {@link #ALIVE_FOR_NANOS}. */
  boolean seenAlive(long pid, String startToken) {
    String key = pid + "/" + startToken;
    long now = System.nanoTime();
    Long at = aliveAt.get(key);
    if (at != null && now - at < ALIVE_FOR_NANOS) {
      return true;
    }
    if (!liveness.isAlive(pid, startToken)) {
      aliveAt.remove(key);
      return false;
    }
    if (aliveAt.size() > 1000) {
      aliveAt.clear(); // bounded: processes come and go
    }
    aliveAt.put(key, now);
    return true;
  }

  Set<String> reapDeadOwners(Tx tx, String provider, List<Reclaimed> reclaimed)
      throws SQLException {
    List<ProcessRow> dead = new ArrayList<>();
    try (ResultSet rs = tx.query(OWNERS_ON_THIS_HOST, hostId(), provider, provider)) {
      while (rs.next()) {
        boolean alive =
            tx.freshLiveness
                ? askAlive(rs.getLong(3), rs.getString(5))
                : seenAlive(rs.getLong(3), rs.getString(5));
        if (!alive) {
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
      "SELECT count(*) FROM queue WHERE owner_id = ?";

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
      "SELECT provider FROM leases WHERE owner_id = ?1 UNION SELECT provider FROM queue"
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
  private static final String DELETE_WAITERS_OF_PROCESS = "DELETE FROM queue WHERE owner_id = ?";

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
