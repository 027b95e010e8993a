package dev.inflight.store;

import dev.inflight.store.Rows.AcquireOutcome;
import dev.inflight.store.Rows.CancelOutcome;
import dev.inflight.store.Rows.LeaseRow;
import dev.inflight.store.Rows.LimitRow;
import dev.inflight.store.Rows.ProcessRow;
import dev.inflight.store.Rows.ProviderState;
import dev.inflight.store.Rows.ReclaimReason;
import dev.inflight.store.Rows.Reclaimed;
import dev.inflight.store.Rows.ReleaseOutcome;
import dev.inflight.store.Rows.Snapshot;
import dev.inflight.store.Rows.TokenState;
import dev.inflight.store.Rows.WaitCheck;
import dev.inflight.store.Rows.WaiterRow;
import dev.inflight.store.Rows.WatchTarget;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;

/**
 * The shared lease database: the only class that speaks SQL. Every method is one transaction; all
 * times are milliseconds since the epoch and come from the caller, so the caller's clock decides.
 *
 * <p>Thread-safe. Opening migrates the file once (many processes may open a fresh file at the same
 * moment). Close it to release its connections. Every failure is a {@link StoreException} naming
 * the file.
 */
public final class LeaseStore implements AutoCloseable {

  /** Default time a transaction waits for another process's write lock. */
  public static final Duration DEFAULT_BUSY_TIMEOUT = Duration.ofSeconds(5);

  private final Database db;
  private final String hostId;
  private final Liveness liveness;

  private LeaseStore(Database db, String hostId, Liveness liveness) {
    this.db = db;
    this.hostId = hostId;
    this.liveness = liveness;
  }

  /**
   * Opens (creating and migrating when needed) the database at {@code file}.
   *
   * @param hostId this host's id: only processes with the same id are checked with {@code liveness}
   * @throws StoreException if the file cannot be created, opened, migrated, or is newer than this
   *     code
   */
  public static LeaseStore open(Path file, Duration busyTimeout, String hostId, Liveness liveness) {
    return new LeaseStore(Database.open(file, busyTimeout), hostId, liveness);
  }

  /** Opens {@code file} with the default busy timeout and this machine's real liveness checks. */
  public static LeaseStore open(Path file) {
    return open(file, DEFAULT_BUSY_TIMEOUT, ProcessIdentity.currentHostId(), Liveness.system());
  }

  /** The database file. */
  public Path path() {
    return db.file();
  }

  /** The schema version this code writes and reads. */
  public static int schemaVersion() {
    return Database.SCHEMA_VERSION;
  }

  @Override
  public void close() {
    db.close();
  }

  // ================================================================ processes

  private static final String INSERT_PROCESS =
      "INSERT INTO processes (id, host, host_id, pid, start_token, name, started_at_ms, heartbeat_at_ms,"
          + " expires_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)";

  /**
   * Registers a client process and returns its id. Pass {@code reuseId} to re-register under the id
   * a process had before its row was reclaimed (ids are never reused by the database).
   */
  public long register(ProcessIdentity who, long nowMs, long ttlMs, Long reuseId) {
    return db.write(
        "register a process in",
        c -> {
          try (PreparedStatement ps = c.prepareStatement(INSERT_PROCESS)) {
            if (reuseId == null) {
              ps.setNull(1, java.sql.Types.INTEGER);
            } else {
              ps.setLong(1, reuseId);
            }
            ps.setString(2, who.host());
            ps.setString(3, who.hostId());
            ps.setLong(4, who.pid());
            ps.setString(5, who.startToken());
            ps.setString(6, who.name());
            ps.setLong(7, nowMs);
            ps.setLong(8, nowMs);
            ps.setLong(9, nowMs + ttlMs);
            ps.executeUpdate();
          }
          return lastRowId(c);
        });
  }

  private static final String HEARTBEAT =
      "UPDATE processes SET heartbeat_at_ms = ?, expires_at_ms = ? WHERE id = ?";

  /**
   * Records that process {@code id} is alive until {@code nowMs + ttlMs}.
   *
   * @return false when the process's row is gone (it was reclaimed): its leases are lost
   */
  public boolean heartbeat(long id, long nowMs, long ttlMs) {
    return db.write(
        "heartbeat in",
        c -> {
          try (PreparedStatement ps = c.prepareStatement(HEARTBEAT)) {
            ps.setLong(1, nowMs);
            ps.setLong(2, nowMs + ttlMs);
            ps.setLong(3, id);
            return ps.executeUpdate() == 1;
          }
        });
  }

  /**
   * Removes process {@code id}: its waiters leave their queues, its leases are released (cooling
   * where the provider has a cooldown), and freed slots go to the next waiters.
   */
  public void deregister(long id, long nowMs) {
    db.write(
        "deregister a process from",
        c -> {
          Set<String> providers = freeProcess(c, id, nowMs);
          for (String p : providers) {
            settle(c, p, nowMs, false, new ArrayList<>());
          }
          return null;
        });
  }

  // ================================================================ acquire / release

  private static final String INSERT_LEASE =
      "INSERT INTO leases (token, provider, owner_id, pid, label, queued_at_ms, acquired_at_ms)"
          + " VALUES (?, ?, ?, ?, ?, ?, ?)";
  private static final String INSERT_WAITER =
      "INSERT INTO waiters (token, provider, owner_id, pid, label, queued_at_ms) VALUES (?, ?, ?, ?, ?, ?)";

  /**
   * One acquisition attempt: reap what blocks it, then grant a lease when a slot is free and nobody
   * waits ahead, else queue (when {@code enqueue}) or report busy.
   */
  public AcquireOutcome acquire(
      long ownerId,
      long pid,
      String provider,
      String label,
      String token,
      long nowMs,
      boolean enqueue) {
    return db.write(
        "acquire a lease in",
        c -> {
          List<Reclaimed> reclaimed = new ArrayList<>();
          ProviderState st = settle(c, provider, nowMs, true, reclaimed);
          if (st.queued() == 0 && st.free() > 0) {
            try (PreparedStatement ps = c.prepareStatement(INSERT_LEASE)) {
              ps.setString(1, token);
              ps.setString(2, provider);
              ps.setLong(3, ownerId);
              ps.setLong(4, pid);
              ps.setString(5, label);
              ps.setLong(6, nowMs);
              ps.setLong(7, nowMs);
              ps.executeUpdate();
            }
            long id = lastRowId(c);
            ProviderState after = state(c, provider, nowMs);
            return new AcquireOutcome(AcquireOutcome.Kind.GRANTED, id, nowMs, 0, after, reclaimed);
          }
          if (!enqueue) {
            return new AcquireOutcome(AcquireOutcome.Kind.BUSY, 0, 0, 0, st, reclaimed);
          }
          try (PreparedStatement ps = c.prepareStatement(INSERT_WAITER)) {
            ps.setString(1, token);
            ps.setString(2, provider);
            ps.setLong(3, ownerId);
            ps.setLong(4, pid);
            ps.setString(5, label);
            ps.setLong(6, nowMs);
            ps.executeUpdate();
          }
          ProviderState after = state(c, provider, nowMs);
          return new AcquireOutcome(
              AcquireOutcome.Kind.QUEUED, 0, 0, st.queued() + 1, after, reclaimed);
        });
  }

  private static final String FIND_LEASE_FOR_RELEASE =
      "SELECT l.id, l.provider, l.owner_id, coalesce(m.cooldown_ms, 0) FROM leases l"
          + " LEFT JOIN limits m ON m.provider = l.provider WHERE l.token = ?";
  private static final String DELETE_LEASE = "DELETE FROM leases WHERE id = ?";
  private static final String COOL_LEASE =
      "UPDATE leases SET owner_id = NULL, released_at_ms = ?, cool_until_ms = ? WHERE id = ?";

  /**
   * Releases the lease holding {@code token}; the token is the proof of ownership, so a stale
   * handle can never free another's lease. Freed slots go to the head of the queue in the same
   * transaction.
   */
  public ReleaseOutcome release(String token, long nowMs) {
    return db.write(
        "release a lease in",
        c -> {
          long id;
          String provider;
          boolean held;
          long cooldown;
          try (PreparedStatement ps = c.prepareStatement(FIND_LEASE_FOR_RELEASE)) {
            ps.setString(1, token);
            try (ResultSet rs = ps.executeQuery()) {
              if (!rs.next()) {
                return new ReleaseOutcome(ReleaseOutcome.Kind.NOT_HELD, 0, null, List.of());
              }
              id = rs.getLong(1);
              provider = rs.getString(2);
              rs.getLong(3);
              held = !rs.wasNull();
              cooldown = rs.getLong(4);
            }
          }
          if (!held) {
            return new ReleaseOutcome(ReleaseOutcome.Kind.NOT_HELD, id, provider, List.of());
          }
          ReleaseOutcome.Kind kind;
          if (cooldown > 0) {
            try (PreparedStatement ps = c.prepareStatement(COOL_LEASE)) {
              ps.setLong(1, nowMs);
              ps.setLong(2, nowMs + cooldown);
              ps.setLong(3, id);
              ps.executeUpdate();
            }
            kind = ReleaseOutcome.Kind.COOLING;
          } else {
            try (PreparedStatement ps = c.prepareStatement(DELETE_LEASE)) {
              ps.setLong(1, id);
              ps.executeUpdate();
            }
            kind = ReleaseOutcome.Kind.RELEASED;
          }
          List<Reclaimed> reclaimed = new ArrayList<>();
          settle(c, provider, nowMs, false, reclaimed);
          return new ReleaseOutcome(kind, id, provider, reclaimed);
        });
  }

  private static final String DELETE_WAITER = "DELETE FROM waiters WHERE token = ?";
  private static final String FIND_OWN_LEASE =
      "SELECT id, acquired_at_ms FROM leases WHERE token = ? AND owner_id IS NOT NULL";

  /**
   * Takes a queued request out of its queue. If it was granted meanwhile, says so: the caller then
   * owns lease {@code leaseId} and must release it.
   */
  public CancelOutcome cancel(String token) {
    return db.write(
        "leave the queue in",
        c -> {
          try (PreparedStatement ps = c.prepareStatement(DELETE_WAITER)) {
            ps.setString(1, token);
            if (ps.executeUpdate() == 1) {
              return new CancelOutcome(CancelOutcome.Kind.CANCELLED, 0, 0);
            }
          }
          try (PreparedStatement ps = c.prepareStatement(FIND_OWN_LEASE)) {
            ps.setString(1, token);
            try (ResultSet rs = ps.executeQuery()) {
              if (rs.next()) {
                return new CancelOutcome(
                    CancelOutcome.Kind.ALREADY_GRANTED, rs.getLong(1), rs.getLong(2));
              }
            }
          }
          return new CancelOutcome(CancelOutcome.Kind.NOT_FOUND, 0, 0);
        });
  }

  // ================================================================ waiting

  private static final String TOKEN_AS_LEASE =
      "SELECT id, provider, acquired_at_ms FROM leases WHERE token = ? AND owner_id = ?";
  private static final String TOKEN_AS_WAITER =
      "SELECT w.provider, (SELECT count(*) FROM waiters x WHERE x.provider = w.provider AND x.ticket <= w.ticket)"
          + " FROM waiters w WHERE w.token = ?";
  private static final String ANY_EXPIRED_PROCESS =
      "SELECT 1 FROM processes WHERE expires_at_ms < ? LIMIT 1";
  private static final String NEXT_COOL_END =
      "SELECT min(cool_until_ms) FROM leases WHERE provider = ? AND released_at_ms IS NOT NULL AND cool_until_ms > ?";
  private static final String OWNERS_OF_PROVIDER =
      "SELECT p.id, p.host_id, p.pid, p.start_token, p.expires_at_ms FROM processes p WHERE p.id IN"
          + " (SELECT owner_id FROM leases WHERE provider = ? AND owner_id IS NOT NULL"
          + "  UNION SELECT owner_id FROM waiters WHERE provider = ?)";

  /**
   * Read-only: where each of the caller's requests stands, and whether a {@link #settle} could
   * grant something now. Cheap enough to run on every wake-up.
   */
  public WaitCheck check(long ownerId, Collection<String> tokens, long nowMs) {
    return db.read(
        "read the queue in",
        c -> {
          Map<String, TokenState> states = new LinkedHashMap<>();
          Set<String> providers = new LinkedHashSet<>();
          for (String token : tokens) {
            TokenState ts = null;
            try (PreparedStatement ps = c.prepareStatement(TOKEN_AS_LEASE)) {
              ps.setString(1, token);
              ps.setLong(2, ownerId);
              try (ResultSet rs = ps.executeQuery()) {
                if (rs.next()) {
                  ts =
                      new TokenState(
                          TokenState.Kind.GRANTED,
                          rs.getString(2),
                          rs.getLong(1),
                          rs.getLong(3),
                          0);
                }
              }
            }
            if (ts == null) {
              try (PreparedStatement ps = c.prepareStatement(TOKEN_AS_WAITER)) {
                ps.setString(1, token);
                try (ResultSet rs = ps.executeQuery()) {
                  if (rs.next()) {
                    ts =
                        new TokenState(TokenState.Kind.QUEUED, rs.getString(1), 0, 0, rs.getInt(2));
                    providers.add(ts.provider());
                  }
                }
              }
            }
            states.put(
                token, ts == null ? new TokenState(TokenState.Kind.MISSING, null, 0, 0, 0) : ts);
          }
          Map<String, ProviderState> pstates = new LinkedHashMap<>();
          boolean settleNeeded = false;
          long next = Long.MAX_VALUE;
          List<WatchTarget> watch = new ArrayList<>();
          Set<Long> seen = new java.util.HashSet<>();
          for (String p : providers) {
            ProviderState st = state(c, p, nowMs);
            pstates.put(p, st);
            if (st.queued() > 0 && st.free() > 0) {
              settleNeeded = true;
            }
            try (PreparedStatement ps = c.prepareStatement(NEXT_COOL_END)) {
              ps.setString(1, p);
              ps.setLong(2, nowMs);
              try (ResultSet rs = ps.executeQuery()) {
                if (rs.next()) {
                  long t = rs.getLong(1);
                  if (!rs.wasNull()) {
                    next = Math.min(next, t);
                  }
                }
              }
            }
            try (PreparedStatement ps = c.prepareStatement(OWNERS_OF_PROVIDER)) {
              ps.setString(1, p);
              ps.setString(2, p);
              try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                  long id = rs.getLong(1);
                  long expires = rs.getLong(5);
                  next = Math.min(next, expires + 1);
                  if (id != ownerId && hostId.equals(rs.getString(2)) && seen.add(id)) {
                    watch.add(new WatchTarget(id, rs.getLong(3), rs.getString(4)));
                  }
                }
              }
            }
          }
          if (!providers.isEmpty()) {
            try (PreparedStatement ps = c.prepareStatement(ANY_EXPIRED_PROCESS)) {
              ps.setLong(1, nowMs);
              try (ResultSet rs = ps.executeQuery()) {
                settleNeeded |= rs.next();
              }
            }
          }
          return new WaitCheck(states, pstates, settleNeeded, next, watch);
        });
  }

  /**
   * One write that brings the given providers up to date: drops ended cooldowns, reclaims rows of
   * dead or expired processes that block them, and grants free slots to the heads of their queues.
   */
  public List<Reclaimed> settle(Collection<String> providers, long nowMs) {
    return db.write(
        "update the queue in",
        c -> {
          List<Reclaimed> reclaimed = new ArrayList<>();
          for (String p : providers) {
            settle(c, p, nowMs, true, reclaimed);
          }
          return reclaimed;
        });
  }

  /** Reclaims every dead process on this host and every expired one anywhere. */
  public List<Reclaimed> reapAll(long nowMs) {
    return db.write(
        "reclaim stale leases in",
        c -> {
          List<Reclaimed> reclaimed = new ArrayList<>();
          Set<String> touched = new LinkedHashSet<>();
          touched.addAll(reapExpired(c, nowMs, reclaimed));
          List<ProcessRow> dead = new ArrayList<>();
          try (PreparedStatement ps =
              c.prepareStatement(
                  "SELECT id, host, pid, name, start_token FROM processes WHERE host_id = ?")) {
            ps.setString(1, hostId);
            try (ResultSet rs = ps.executeQuery()) {
              while (rs.next()) {
                if (!liveness.isAlive(rs.getLong(3), rs.getString(5))) {
                  dead.add(
                      new ProcessRow(
                          rs.getLong(1), rs.getString(2), rs.getLong(3), rs.getString(4)));
                }
              }
            }
          }
          for (ProcessRow p : dead) {
            touched.addAll(reap(c, p, ReclaimReason.PROCESS_DEAD, nowMs, reclaimed));
          }
          for (String p : touched) {
            settle(c, p, nowMs, false, reclaimed);
          }
          return reclaimed;
        });
  }

  // ================================================================ the settle step

  private static final String SELECT_LIMIT =
      "SELECT max_in_flight, cooldown_ms, paused FROM limits WHERE provider = ?";
  private static final String COUNT_LEASES =
      "SELECT coalesce(sum(released_at_ms IS NULL), 0),"
          + " coalesce(sum(released_at_ms IS NOT NULL AND cool_until_ms > ?), 0)"
          + " FROM leases WHERE provider = ?";
  private static final String COUNT_WAITERS =
      "SELECT count(*), min(queued_at_ms) FROM waiters WHERE provider = ?";
  private static final String EXPIRE_COOLING =
      "DELETE FROM leases WHERE provider = ? AND released_at_ms IS NOT NULL AND cool_until_ms <= ?";

  static ProviderState state(Connection c, String provider, long nowMs) throws SQLException {
    OptionalInt limit = OptionalInt.empty();
    long cooldown = 0;
    boolean paused = false;
    try (PreparedStatement ps = c.prepareStatement(SELECT_LIMIT)) {
      ps.setString(1, provider);
      try (ResultSet rs = ps.executeQuery()) {
        if (rs.next()) {
          limit = OptionalInt.of(rs.getInt(1));
          cooldown = rs.getLong(2);
          paused = rs.getInt(3) != 0;
        }
      }
    }
    int active;
    int cooling;
    try (PreparedStatement ps = c.prepareStatement(COUNT_LEASES)) {
      ps.setLong(1, nowMs);
      ps.setString(2, provider);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        active = rs.getInt(1);
        cooling = rs.getInt(2);
      }
    }
    int queued;
    long oldest;
    try (PreparedStatement ps = c.prepareStatement(COUNT_WAITERS)) {
      ps.setString(1, provider);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        queued = rs.getInt(1);
        oldest = rs.getLong(2);
      }
    }
    return new ProviderState(provider, limit, cooldown, paused, active, cooling, queued, oldest);
  }

  /**
   * Expires cooldowns, reclaims expired processes, grants free slots to the queue's head; when
   * {@code reap} and the provider is still blocked, also reclaims dead owners on this host.
   */
  private ProviderState settle(
      Connection c, String provider, long nowMs, boolean reap, List<Reclaimed> reclaimed)
      throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(EXPIRE_COOLING)) {
      ps.setString(1, provider);
      ps.setLong(2, nowMs);
      ps.executeUpdate();
    }
    Set<String> touched = new LinkedHashSet<>(reapExpired(c, nowMs, reclaimed));
    ProviderState st = promote(c, provider, nowMs);
    if (reap && (st.queued() > 0 || st.free() == 0) && !st.paused()) {
      touched.addAll(reapDeadOwners(c, provider, nowMs, reclaimed));
    }
    touched.remove(provider);
    for (String other : touched) {
      promote(c, other, nowMs);
    }
    return promote(c, provider, nowMs);
  }

  private static final String HEAD_OF_QUEUE =
      "SELECT ticket, token, owner_id, pid, label, queued_at_ms FROM waiters WHERE provider = ? ORDER BY ticket LIMIT ?";
  private static final String DELETE_WAITER_BY_TICKET = "DELETE FROM waiters WHERE ticket = ?";

  /** Grants free slots to the head of the queue, in ticket order. */
  private static ProviderState promote(Connection c, String provider, long nowMs)
      throws SQLException {
    ProviderState st = state(c, provider, nowMs);
    int n = Math.min(st.free(), st.queued());
    if (n <= 0) {
      return st;
    }
    record Head(long ticket, String token, long owner, long pid, String label, long queuedAt) {}
    List<Head> heads = new ArrayList<>(n);
    try (PreparedStatement ps = c.prepareStatement(HEAD_OF_QUEUE)) {
      ps.setString(1, provider);
      ps.setInt(2, n);
      try (ResultSet rs = ps.executeQuery()) {
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
    }
    try (PreparedStatement ins = c.prepareStatement(INSERT_LEASE);
        PreparedStatement del = c.prepareStatement(DELETE_WAITER_BY_TICKET)) {
      for (Head h : heads) {
        ins.setString(1, h.token());
        ins.setString(2, provider);
        ins.setLong(3, h.owner());
        ins.setLong(4, h.pid());
        ins.setString(5, h.label());
        ins.setLong(6, h.queuedAt());
        ins.setLong(7, nowMs);
        ins.executeUpdate();
        del.setLong(1, h.ticket());
        del.executeUpdate();
      }
    }
    return state(c, provider, nowMs);
  }

  private static final String EXPIRED_PROCESSES =
      "SELECT id, host, pid, name FROM processes WHERE expires_at_ms < ?";

  private Set<String> reapExpired(Connection c, long nowMs, List<Reclaimed> reclaimed)
      throws SQLException {
    List<ProcessRow> expired = new ArrayList<>();
    try (PreparedStatement ps = c.prepareStatement(EXPIRED_PROCESSES)) {
      ps.setLong(1, nowMs);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          expired.add(
              new ProcessRow(rs.getLong(1), rs.getString(2), rs.getLong(3), rs.getString(4)));
        }
      }
    }
    Set<String> touched = new LinkedHashSet<>();
    for (ProcessRow p : expired) {
      touched.addAll(reap(c, p, ReclaimReason.HEARTBEAT_EXPIRED, nowMs, reclaimed));
    }
    return touched;
  }

  private static final String OWNERS_ON_THIS_HOST =
      "SELECT p.id, p.host, p.pid, p.name, p.start_token FROM processes p WHERE p.host_id = ? AND p.id IN"
          + " (SELECT owner_id FROM leases WHERE provider = ? AND owner_id IS NOT NULL"
          + "  UNION SELECT owner_id FROM waiters WHERE provider = ?)";
  private static final String ORPHAN_LEASES =
      "SELECT l.id, l.owner_id, l.pid, l.label, l.queued_at_ms, l.acquired_at_ms FROM leases l"
          + " WHERE l.provider = ? AND l.owner_id IS NOT NULL"
          + " AND NOT EXISTS (SELECT 1 FROM processes p WHERE p.id = l.owner_id)";
  private static final String DELETE_ORPHAN_WAITERS =
      "DELETE FROM waiters WHERE provider = ? AND NOT EXISTS (SELECT 1 FROM processes p WHERE p.id = waiters.owner_id)";

  private Set<String> reapDeadOwners(
      Connection c, String provider, long nowMs, List<Reclaimed> reclaimed) throws SQLException {
    List<ProcessRow> dead = new ArrayList<>();
    try (PreparedStatement ps = c.prepareStatement(OWNERS_ON_THIS_HOST)) {
      ps.setString(1, hostId);
      ps.setString(2, provider);
      ps.setString(3, provider);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          if (!liveness.isAlive(rs.getLong(3), rs.getString(5))) {
            dead.add(
                new ProcessRow(rs.getLong(1), rs.getString(2), rs.getLong(3), rs.getString(4)));
          }
        }
      }
    }
    Set<String> touched = new LinkedHashSet<>();
    for (ProcessRow p : dead) {
      touched.addAll(reap(c, p, ReclaimReason.PROCESS_DEAD, nowMs, reclaimed));
    }
    // Rows whose owner is not registered at all (a foreign client's bug, a hand edit).
    List<LeaseRow> orphans = new ArrayList<>();
    try (PreparedStatement ps = c.prepareStatement(ORPHAN_LEASES)) {
      ps.setString(1, provider);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          orphans.add(
              new LeaseRow(
                  rs.getLong(1),
                  provider,
                  new ProcessRow(rs.getLong(2), "", rs.getLong(3), ""),
                  rs.getString(4),
                  rs.getLong(5),
                  rs.getLong(6)));
        }
      }
    }
    for (LeaseRow o : orphans) {
      try (PreparedStatement ps = c.prepareStatement(DELETE_LEASE)) {
        ps.setLong(1, o.id());
        ps.executeUpdate();
      }
      reclaimed.add(new Reclaimed(o.owner(), ReclaimReason.ORPHANED, List.of(o), 0));
    }
    int orphanWaiters;
    try (PreparedStatement ps = c.prepareStatement(DELETE_ORPHAN_WAITERS)) {
      ps.setString(1, provider);
      orphanWaiters = ps.executeUpdate();
    }
    if (orphanWaiters > 0) {
      reclaimed.add(
          new Reclaimed(
              new ProcessRow(0, "", 0, ""), ReclaimReason.ORPHANED, List.of(), orphanWaiters));
    }
    return touched;
  }

  private static final String LEASES_OF_PROCESS =
      "SELECT id, provider, label, queued_at_ms, acquired_at_ms FROM leases WHERE owner_id = ?";
  private static final String COUNT_WAITERS_OF_PROCESS =
      "SELECT count(*) FROM waiters WHERE owner_id = ?";

  private static Set<String> reap(
      Connection c, ProcessRow p, ReclaimReason why, long nowMs, List<Reclaimed> out)
      throws SQLException {
    List<LeaseRow> leases = new ArrayList<>();
    try (PreparedStatement ps = c.prepareStatement(LEASES_OF_PROCESS)) {
      ps.setLong(1, p.id());
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          leases.add(
              new LeaseRow(
                  rs.getLong(1),
                  rs.getString(2),
                  p,
                  rs.getString(3),
                  rs.getLong(4),
                  rs.getLong(5)));
        }
      }
    }
    int waiters;
    try (PreparedStatement ps = c.prepareStatement(COUNT_WAITERS_OF_PROCESS)) {
      ps.setLong(1, p.id());
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        waiters = rs.getInt(1);
      }
    }
    Set<String> touched = freeProcess(c, p.id(), nowMs);
    out.add(new Reclaimed(p, why, leases, waiters));
    return touched;
  }

  private static final String COOL_LEASES_OF_PROCESS =
      "UPDATE leases SET owner_id = NULL, released_at_ms = ?1,"
          + " cool_until_ms = ?1 + (SELECT m.cooldown_ms FROM limits m WHERE m.provider = leases.provider)"
          + " WHERE owner_id = ?2"
          + " AND coalesce((SELECT m.cooldown_ms FROM limits m WHERE m.provider = leases.provider), 0) > 0";
  private static final String PROVIDERS_OF_PROCESS =
      "SELECT provider FROM leases WHERE owner_id = ? UNION SELECT provider FROM waiters WHERE owner_id = ?";
  private static final String DELETE_PROCESS = "DELETE FROM processes WHERE id = ?";

  /** Deletes a process row; its leases cool (where a cooldown applies) or go, its waiters go. */
  private static Set<String> freeProcess(Connection c, long id, long nowMs) throws SQLException {
    Set<String> providers = new LinkedHashSet<>();
    try (PreparedStatement ps = c.prepareStatement(PROVIDERS_OF_PROCESS)) {
      ps.setLong(1, id);
      ps.setLong(2, id);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          providers.add(rs.getString(1));
        }
      }
    }
    try (PreparedStatement ps = c.prepareStatement(COOL_LEASES_OF_PROCESS)) {
      ps.setLong(1, nowMs);
      ps.setLong(2, id);
      ps.executeUpdate();
    }
    try (PreparedStatement ps = c.prepareStatement(DELETE_PROCESS)) {
      ps.setLong(1, id);
      ps.executeUpdate();
    }
    // The trigger processes_free_on_delete removes the remaining leases and the waiters; a client
    // whose connection lacks recursive triggers still gets this from the trigger itself.
    try (PreparedStatement ps = c.prepareStatement("DELETE FROM leases WHERE owner_id = ?")) {
      ps.setLong(1, id);
      ps.executeUpdate();
    }
    try (PreparedStatement ps = c.prepareStatement("DELETE FROM waiters WHERE owner_id = ?")) {
      ps.setLong(1, id);
      ps.executeUpdate();
    }
    return providers;
  }

  // ================================================================ limits

  private static final String LIST_LIMITS =
      "SELECT provider, max_in_flight, cooldown_ms, paused, updated_at_ms FROM limits ORDER BY provider";
  private static final String GET_LIMIT =
      "SELECT provider, max_in_flight, cooldown_ms, paused, updated_at_ms FROM limits WHERE provider = ?";
  private static final String UPSERT_LIMIT =
      "INSERT INTO limits (provider, max_in_flight, cooldown_ms, paused, updated_at_ms) VALUES (?, ?, ?, 0, ?)"
          + " ON CONFLICT (provider) DO UPDATE SET max_in_flight = excluded.max_in_flight,"
          + " cooldown_ms = excluded.cooldown_ms, updated_at_ms = excluded.updated_at_ms";
  private static final String DELETE_LIMIT = "DELETE FROM limits WHERE provider = ?";
  private static final String SET_PAUSED =
      "UPDATE limits SET paused = ?, updated_at_ms = ? WHERE provider = ?";

  /** Every row of {@code limits}, by provider. */
  public List<LimitRow> limits() {
    return db.read(
        "read the limits in",
        c -> {
          List<LimitRow> out = new ArrayList<>();
          try (PreparedStatement ps = c.prepareStatement(LIST_LIMITS);
              ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
              out.add(limitRow(rs));
            }
          }
          return out;
        });
  }

  /** The limit row of {@code provider}, if any. */
  public Optional<LimitRow> limit(String provider) {
    return db.read("read a limit in", c -> findLimit(c, provider));
  }

  private static Optional<LimitRow> findLimit(Connection c, String provider) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(GET_LIMIT)) {
      ps.setString(1, provider);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.of(limitRow(rs)) : Optional.empty();
      }
    }
  }

  private static LimitRow limitRow(ResultSet rs) throws SQLException {
    return new LimitRow(
        rs.getString(1), rs.getInt(2), rs.getLong(3), rs.getInt(4) != 0, rs.getLong(5));
  }

  /**
   * Creates or changes a limit (keeping its paused flag); a raise grants waiting requests at once.
   */
  public LimitRow setLimit(String provider, int maxInFlight, long cooldownMs, long nowMs) {
    return db.write(
        "set a limit in",
        c -> {
          try (PreparedStatement ps = c.prepareStatement(UPSERT_LIMIT)) {
            ps.setString(1, provider);
            ps.setInt(2, maxInFlight);
            ps.setLong(3, cooldownMs);
            ps.setLong(4, nowMs);
            ps.executeUpdate();
          }
          settle(c, provider, nowMs, false, new ArrayList<>());
          return findLimit(c, provider).orElseThrow();
        });
  }

  /** Removes a limit (the provider becomes unlimited); returns whether there was one. */
  public boolean unsetLimit(String provider, long nowMs) {
    return db.write(
        "remove a limit in",
        c -> {
          int n;
          try (PreparedStatement ps = c.prepareStatement(DELETE_LIMIT)) {
            ps.setString(1, provider);
            n = ps.executeUpdate();
          }
          settle(c, provider, nowMs, false, new ArrayList<>());
          return n == 1;
        });
  }

  /** Pauses or resumes admission; returns whether the provider has a limit row to flag. */
  public boolean setPaused(String provider, boolean paused, long nowMs) {
    return db.write(
        paused ? "pause a provider in" : "resume a provider in",
        c -> {
          int n;
          try (PreparedStatement ps = c.prepareStatement(SET_PAUSED)) {
            ps.setInt(1, paused ? 1 : 0);
            ps.setLong(2, nowMs);
            ps.setString(3, provider);
            n = ps.executeUpdate();
          }
          settle(c, provider, nowMs, false, new ArrayList<>());
          return n == 1;
        });
  }

  // ================================================================ status

  private static final String ACTIVE_PROVIDERS =
      "SELECT provider FROM limits UNION SELECT provider FROM leases WHERE released_at_ms IS NULL OR cool_until_ms > ?"
          + " UNION SELECT provider FROM waiters ORDER BY 1";
  private static final String ACTIVE_LEASES =
      "SELECT l.id, l.provider, coalesce(l.owner_id, 0), coalesce(p.host, ''), l.pid, coalesce(p.name, ''), l.label,"
          + " l.queued_at_ms, l.acquired_at_ms FROM leases l LEFT JOIN processes p ON p.id = l.owner_id"
          + " WHERE l.released_at_ms IS NULL ORDER BY l.provider, l.acquired_at_ms, l.id";
  private static final String ALL_WAITERS =
      "SELECT w.ticket, w.provider, w.owner_id, coalesce(p.host, ''), w.pid, coalesce(p.name, ''), w.label,"
          + " w.queued_at_ms, row_number() OVER (PARTITION BY w.provider ORDER BY w.ticket)"
          + " FROM waiters w LEFT JOIN processes p ON p.id = w.owner_id ORDER BY w.provider, w.ticket";

  /** Everything, as of {@code nowMs}: a point-in-time snapshot, stale as soon as it returns. */
  public Snapshot snapshot(long nowMs) {
    return db.read(
        "read the status of",
        c -> {
          List<ProviderState> providers = new ArrayList<>();
          List<String> names = new ArrayList<>();
          try (PreparedStatement ps = c.prepareStatement(ACTIVE_PROVIDERS)) {
            ps.setLong(1, nowMs);
            try (ResultSet rs = ps.executeQuery()) {
              while (rs.next()) {
                names.add(rs.getString(1));
              }
            }
          }
          for (String n : names) {
            providers.add(state(c, n, nowMs));
          }
          List<LeaseRow> leases = new ArrayList<>();
          try (PreparedStatement ps = c.prepareStatement(ACTIVE_LEASES);
              ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
              leases.add(
                  new LeaseRow(
                      rs.getLong(1),
                      rs.getString(2),
                      new ProcessRow(
                          rs.getLong(3), rs.getString(4), rs.getLong(5), rs.getString(6)),
                      rs.getString(7),
                      rs.getLong(8),
                      rs.getLong(9)));
            }
          }
          List<WaiterRow> waiters = new ArrayList<>();
          try (PreparedStatement ps = c.prepareStatement(ALL_WAITERS);
              ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
              waiters.add(
                  new WaiterRow(
                      rs.getLong(1),
                      rs.getString(2),
                      new ProcessRow(
                          rs.getLong(3), rs.getString(4), rs.getLong(5), rs.getString(6)),
                      rs.getString(7),
                      rs.getLong(8),
                      rs.getInt(9)));
            }
          }
          return new Snapshot(nowMs, providers, leases, waiters);
        });
  }

  private static final String FIND_ACTIVE_LEASE =
      "SELECT l.id, l.provider, coalesce(l.owner_id, 0), coalesce(p.host, ''), l.pid, coalesce(p.name, ''), l.label,"
          + " l.queued_at_ms, l.acquired_at_ms FROM leases l LEFT JOIN processes p ON p.id = l.owner_id"
          + " WHERE l.id = ? AND l.released_at_ms IS NULL";

  /**
   * Frees a lease by its id, whoever holds it (for stuck leases). Its holder's later release then
   * reports that it no longer held it.
   */
  public Optional<LeaseRow> forceRelease(long leaseId, long nowMs) {
    return db.write(
        "force-release a lease in",
        c -> {
          LeaseRow row = null;
          try (PreparedStatement ps = c.prepareStatement(FIND_ACTIVE_LEASE)) {
            ps.setLong(1, leaseId);
            try (ResultSet rs = ps.executeQuery()) {
              if (rs.next()) {
                row =
                    new LeaseRow(
                        rs.getLong(1),
                        rs.getString(2),
                        new ProcessRow(
                            rs.getLong(3), rs.getString(4), rs.getLong(5), rs.getString(6)),
                        rs.getString(7),
                        rs.getLong(8),
                        rs.getLong(9));
              }
            }
          }
          if (row == null) {
            return Optional.<LeaseRow>empty();
          }
          try (PreparedStatement ps = c.prepareStatement(DELETE_LEASE)) {
            ps.setLong(1, leaseId);
            ps.executeUpdate();
          }
          settle(c, row.provider(), nowMs, false, new ArrayList<>());
          return Optional.of(row);
        });
  }

  private static long lastRowId(Connection c) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT last_insert_rowid()");
        ResultSet rs = ps.executeQuery()) {
      rs.next();
      return rs.getLong(1);
    }
  }
}
