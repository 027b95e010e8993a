package dev.inflight.store;

import dev.inflight.store.Rows.AcquireOutcome;
import dev.inflight.store.Rows.CancelOutcome;
import dev.inflight.store.Rows.Ending;
import dev.inflight.store.Rows.LeaseRow;
import dev.inflight.store.Rows.LimitRow;
import dev.inflight.store.Rows.ProcessRow;
import dev.inflight.store.Rows.ProviderState;
import dev.inflight.store.Rows.ReclaimReason;
import dev.inflight.store.Rows.Reclaimed;
import dev.inflight.store.Rows.ReleaseOutcome;
import dev.inflight.store.Rows.Snapshot;
import dev.inflight.store.Rows.TokenState;
import dev.inflight.store.Rows.UpstreamRecord;
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
            long id;
            try (PreparedStatement ps = c.prepareStatement(INSERT_LEASE + " RETURNING id")) {
              ps.setString(1, token);
              ps.setString(2, provider);
              ps.setLong(3, ownerId);
              ps.setLong(4, pid);
              ps.setString(5, label);
              ps.setLong(6, nowMs);
              ps.setLong(7, nowMs);
              try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                id = rs.getLong(1);
              }
            }
            return new AcquireOutcome(
                AcquireOutcome.Kind.GRANTED, id, nowMs, 0, st.plus(1, 0), reclaimed);
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
          return new AcquireOutcome(
              AcquireOutcome.Kind.QUEUED, 0, 0, st.queued() + 1, st.plus(0, 1), reclaimed);
        });
  }

  private static final String RELEASE_WITHOUT_COOLDOWN =
      "DELETE FROM leases WHERE token = ? AND owner_id IS NOT NULL AND NOT EXISTS"
          + " (SELECT 1 FROM limits m WHERE m.provider = leases.provider AND m.cooldown_ms > 0)"
          + " RETURNING id, provider, acquired_at_ms";
  private static final String FIND_LEASE_FOR_RELEASE =
      "SELECT l.id, l.provider, l.owner_id, coalesce(m.cooldown_ms, 0), l.acquired_at_ms"
          + " FROM leases l LEFT JOIN limits m ON m.provider = l.provider WHERE l.token = ?";
  private static final String DELETE_LEASE = "DELETE FROM leases WHERE id = ?";
  private static final String COOL_LEASE =
      "UPDATE leases SET owner_id = NULL, released_at_ms = ?, cool_until_ms = ? WHERE id = ?";

  /** Releases the lease holding {@code token} after a request that succeeded. */
  public ReleaseOutcome release(String token, long nowMs) {
    return release(token, nowMs, Ending.SUCCEEDED, 0);
  }

  /**
   * Releases the lease holding {@code token}; the token is the proof of ownership, so a stale
   * handle can never free another's lease. Freed slots go to the head of the queue in the same
   * transaction. A {@link Ending#RATE_LIMITED} ending also pauses the provider for every process
   * until {@code nowMs + retryAfterMs} and steps an adaptive limit down; a success counts towards
   * stepping it back up.
   */
  public ReleaseOutcome release(String token, long nowMs, Ending ending, long retryAfterMs) {
    return db.write(
        "release a lease in",
        c -> {
          long id = 0;
          String provider = null;
          long acquiredAt = 0;
          ReleaseOutcome.Kind kind = null;
          // The common case in one statement: a held lease of a provider with no cooldown.
          try (PreparedStatement ps = c.prepareStatement(RELEASE_WITHOUT_COOLDOWN)) {
            ps.setString(1, token);
            try (ResultSet rs = ps.executeQuery()) {
              if (rs.next()) {
                id = rs.getLong(1);
                provider = rs.getString(2);
                acquiredAt = rs.getLong(3);
                kind = ReleaseOutcome.Kind.RELEASED;
              }
            }
          }
          if (kind == null) {
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
                if (rs.wasNull()) {
                  return new ReleaseOutcome(ReleaseOutcome.Kind.NOT_HELD, id, provider, List.of());
                }
                cooldown = rs.getLong(4);
                acquiredAt = rs.getLong(5);
              }
            }
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
          }
          if (ending == Ending.RATE_LIMITED) {
            recordRateLimit(c, provider, nowMs, retryAfterMs, RATE_LIMITED_REASON, acquiredAt);
          }
          // Hand the freed slot to the queue's head. Reaping is left to acquirers and waiters.
          ProviderState st = promote(c, provider, nowMs);
          if (ending == Ending.SUCCEEDED
              && st.adaptive()
              && st.effectiveLimit().isPresent()
              && recordSuccess(c, provider, nowMs, acquiredAt, st.limit().getAsInt())) {
            promote(c, provider, nowMs);
          }
          return new ReleaseOutcome(kind, id, provider, List.of(), st.pausedUntilMs());
        });
  }

  // ================================================================ upstream admission

  /** The pause reason a rate-limited release records. */
  public static final String RATE_LIMITED_REASON = "429 from the provider";

  /**
   * How long an adaptive limit stays reduced at least: no step up until this long after the last
   * step or the last 429, whichever is later.
   */
  public static final long ADAPTIVE_QUIET_MS = 30_000;

  private static final String RECORD_429 =
      "INSERT INTO admission (provider, paused_until_ms, pause_reason, last_429_at_ms)"
          + " VALUES (?1, ?2, ?3, ?4) ON CONFLICT (provider) DO UPDATE SET"
          + " pause_reason = CASE WHEN coalesce(paused_until_ms, 0) > excluded.paused_until_ms"
          + "   THEN pause_reason ELSE excluded.pause_reason END,"
          + " paused_until_ms = max(coalesce(paused_until_ms, 0), excluded.paused_until_ms),"
          + " last_429_at_ms = excluded.last_429_at_ms";

  /**
   * A lowered limit steps down once per 429 of a request admitted since the last step: requests
   * that were all admitted at the old limit and fail together count as one signal.
   */
  private static final String STEP_DOWN =
      "UPDATE admission SET"
          + " effective_limit = max(1, min(coalesce(effective_limit, ?2), ?2) - 1),"
          + " last_step_at_ms = ?3, successes = 0"
          + " WHERE provider = ?1 AND last_step_at_ms <= ?4"
          + " AND EXISTS (SELECT 1 FROM limits m WHERE m.provider = ?1 AND m.adaptive = 1)";

  private void recordRateLimit(
      Connection c, String provider, long nowMs, long retryAfterMs, String reason, long admittedAt)
      throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(RECORD_429)) {
      ps.setString(1, provider);
      ps.setLong(2, nowMs + Math.max(0, retryAfterMs));
      ps.setString(3, reason);
      ps.setLong(4, nowMs);
      ps.executeUpdate();
    }
    Optional<LimitRow> limit = findLimit(c, provider);
    if (limit.isPresent() && limit.get().adaptive()) {
      try (PreparedStatement ps = c.prepareStatement(STEP_DOWN)) {
        ps.setString(1, provider);
        ps.setInt(2, limit.get().maxInFlight());
        ps.setLong(3, nowMs);
        ps.setLong(4, admittedAt);
        ps.executeUpdate();
      }
    }
  }

  /**
   * Counts a success admitted under the current adaptive limit; once as many have succeeded as the
   * limit allows at once and the quiet period has passed, raises the limit by one (back to the
   * configured limit at most, which clears it).
   */
  private static final String COUNT_SUCCESS =
      "UPDATE admission SET successes = successes + 1"
          + " WHERE provider = ?1 AND effective_limit IS NOT NULL AND last_step_at_ms <= ?2";

  private static final String STEP_UP =
      "UPDATE admission SET"
          + " effective_limit = CASE WHEN effective_limit + 1 >= ?2 THEN NULL ELSE effective_limit + 1 END,"
          + " last_step_at_ms = ?3, successes = 0"
          + " WHERE provider = ?1 AND effective_limit IS NOT NULL AND successes >= effective_limit"
          + " AND ?3 - max(last_step_at_ms, coalesce(last_429_at_ms, 0)) >= ?4";

  /** Returns whether the limit stepped up. */
  private static boolean recordSuccess(
      Connection c, String provider, long nowMs, long admittedAt, int max) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(COUNT_SUCCESS)) {
      ps.setString(1, provider);
      ps.setLong(2, admittedAt);
      if (ps.executeUpdate() == 0) {
        return false;
      }
    }
    try (PreparedStatement ps = c.prepareStatement(STEP_UP)) {
      ps.setString(1, provider);
      ps.setInt(2, max);
      ps.setLong(3, nowMs);
      ps.setLong(4, ADAPTIVE_QUIET_MS);
      return ps.executeUpdate() == 1;
    }
  }

  /**
   * Records a 429 that no lease of ours carried (a script, another tool): pauses the provider for
   * every process until {@code nowMs + retryAfterMs} and steps an adaptive limit down.
   *
   * @return the provider's state after the pause
   */
  public ProviderState report429(String provider, long nowMs, long retryAfterMs, String reason) {
    return db.write(
        "record a 429 in",
        c -> {
          recordRateLimit(c, provider, nowMs, retryAfterMs, reason, nowMs);
          return settle(c, provider, nowMs, false, new ArrayList<>());
        });
  }

  private static final String RECORD_UPSTREAM =
      "INSERT INTO admission (provider, upstream_in_flight, upstream_hidden, upstream_at_ms,"
          + " upstream_valid_until_ms) VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (provider) DO UPDATE SET"
          + " upstream_in_flight = excluded.upstream_in_flight,"
          + " upstream_hidden = excluded.upstream_hidden, upstream_at_ms = excluded.upstream_at_ms,"
          + " upstream_valid_until_ms = excluded.upstream_valid_until_ms";
  private static final String CLEAR_UPSTREAM =
      "UPDATE admission SET upstream_in_flight = NULL, upstream_hidden = 0, upstream_at_ms = ?2,"
          + " upstream_valid_until_ms = NULL WHERE provider = ?1 AND upstream_valid_until_ms IS NOT NULL";

  /**
   * Records what a usage probe read of the provider's own in-flight count, valid until {@code
   * validUntilMs}, then grants what it allows. Requests upstream counts beyond our active and
   * cooling leases are not ours ("hidden"); the headroom kept for them is the lower of this
   * sample's and {@code priorHiddenMin} (the least seen in recent samples), so one lagging sample
   * does not shrink the limit but a steady outside user does. An empty count clears the sample:
   * admission falls back to local accounting.
   */
  public UpstreamRecord recordUpstream(
      String provider, OptionalInt upstream, int priorHiddenMin, long nowMs, long validUntilMs) {
    return db.write(
        "record upstream usage in",
        c -> {
          int hiddenNow = 0;
          if (upstream.isPresent()) {
            ProviderState st = state(c, provider, nowMs);
            hiddenNow = Math.max(0, upstream.getAsInt() - st.active() - st.cooling());
            try (PreparedStatement ps = c.prepareStatement(RECORD_UPSTREAM)) {
              ps.setString(1, provider);
              ps.setInt(2, upstream.getAsInt());
              ps.setInt(3, Math.max(0, Math.min(hiddenNow, priorHiddenMin)));
              ps.setLong(4, nowMs);
              ps.setLong(5, validUntilMs);
              ps.executeUpdate();
            }
          } else {
            try (PreparedStatement ps = c.prepareStatement(CLEAR_UPSTREAM)) {
              ps.setString(1, provider);
              ps.setLong(2, nowMs);
              ps.executeUpdate();
            }
          }
          List<Reclaimed> reclaimed = new ArrayList<>();
          ProviderState after = settle(c, provider, nowMs, false, reclaimed);
          return new UpstreamRecord(hiddenNow, after, reclaimed);
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

  private static final String MY_LEASES =
      "SELECT token, id, provider, acquired_at_ms FROM leases WHERE owner_id = ?";
  private static final String MY_WAITERS =
      "SELECT w.token, w.provider,"
          + " (SELECT count(*) FROM waiters x WHERE x.provider = w.provider AND x.ticket <= w.ticket)"
          + " FROM waiters w WHERE w.owner_id = ?";
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
          // Two statements for all of my requests, however many wait: a pass stays cheap.
          Map<String, TokenState> found = new java.util.HashMap<>();
          try (PreparedStatement ps = c.prepareStatement(MY_LEASES)) {
            ps.setLong(1, ownerId);
            try (ResultSet rs = ps.executeQuery()) {
              while (rs.next()) {
                found.put(
                    rs.getString(1),
                    new TokenState(
                        TokenState.Kind.GRANTED, rs.getString(3), rs.getLong(2), rs.getLong(4), 0));
              }
            }
          }
          try (PreparedStatement ps = c.prepareStatement(MY_WAITERS)) {
            ps.setLong(1, ownerId);
            try (ResultSet rs = ps.executeQuery()) {
              while (rs.next()) {
                found.put(
                    rs.getString(1),
                    new TokenState(TokenState.Kind.QUEUED, rs.getString(2), 0, 0, rs.getInt(3)));
              }
            }
          }
          Map<String, TokenState> states = new LinkedHashMap<>();
          Set<String> providers = new LinkedHashSet<>();
          for (String token : tokens) {
            TokenState ts = found.get(token);
            if (ts == null) {
              ts = new TokenState(TokenState.Kind.MISSING, null, 0, 0, 0);
            } else if (ts.kind() == TokenState.Kind.QUEUED) {
              providers.add(ts.provider());
            }
            states.put(token, ts);
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
            // A 429 pause ending and an upstream sample going stale free slots with no commit.
            if (st.pausedUntilMs() > 0) {
              next = Math.min(next, st.pausedUntilMs());
            }
            if (st.upstreamValidUntilMs() > 0) {
              next = Math.min(next, st.upstreamValidUntilMs());
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
                    // A client that holds no lock file (another language's) wakes nobody when it
                    // dies: the periodic check finds it here.
                    if (!liveness.isAlive(rs.getLong(3), rs.getString(4))) {
                      settleNeeded = true;
                    }
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

  private static final String EXPIRE_COOLING =
      "DELETE FROM leases WHERE provider = ? AND released_at_ms IS NOT NULL AND cool_until_ms <= ?";

  /**
   * Everything admission needs about one provider, in one statement. Admission state counts only
   * while it is in force: a pause that has ended, an upstream sample past its validity, or an
   * adaptive limit of a provider no longer adaptive reads as absent.
   */
  private static final String STATE =
      "SELECT m.max_in_flight, coalesce(m.cooldown_ms, 0), coalesce(m.paused, 0), coalesce(m.adaptive, 0),"
          + " CASE WHEN m.adaptive = 1 AND a.effective_limit < m.max_in_flight THEN a.effective_limit END,"
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

  static ProviderState state(Connection c, String provider, long nowMs) throws SQLException {
    return look(c, provider, nowMs).state();
  }

  private static Seen look(Connection c, String provider, long nowMs) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(STATE)) {
      ps.setString(1, provider);
      ps.setLong(2, nowMs);
      try (ResultSet rs = ps.executeQuery()) {
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
                reason == null ? "" : reason,
                upstream,
                hidden,
                validUntil);
        return new Seen(st, rs.getInt(15) != 0, rs.getInt(16) != 0);
      }
    }
  }

  /**
   * Expires cooldowns, reclaims expired processes, grants free slots to the queue's head; when
   * {@code reap} and the provider is still blocked, also reclaims dead owners on this host.
   */
  private ProviderState settle(
      Connection c, String provider, long nowMs, boolean reap, List<Reclaimed> reclaimed)
      throws SQLException {
    // The uncontended case costs this one read: nothing to clean, reclaim or grant.
    Seen seen = look(c, provider, nowMs);
    if (seen.coolingEnded()) {
      try (PreparedStatement ps = c.prepareStatement(EXPIRE_COOLING)) {
        ps.setString(1, provider);
        ps.setLong(2, nowMs);
        ps.executeUpdate();
      }
    }
    Set<String> touched = new LinkedHashSet<>();
    if (seen.anyExpired()) {
      touched.addAll(reapExpired(c, nowMs, reclaimed));
    }
    ProviderState st =
        touched.contains(provider)
            ? promote(c, provider, nowMs)
            : promote(c, provider, nowMs, seen.state());
    int before = reclaimed.size();
    if (reap && (st.queued() > 0 || st.free() == 0) && !st.paused()) {
      touched.addAll(reapDeadOwners(c, provider, nowMs, reclaimed));
    }
    boolean reaped = reclaimed.size() != before;
    touched.remove(provider);
    for (String other : touched) {
      promote(c, other, nowMs);
    }
    // The common case reclaims nothing here: the first promote's state is still true.
    return reaped ? promote(c, provider, nowMs) : st;
  }

  private static final String HEAD_OF_QUEUE =
      "SELECT ticket, token, owner_id, pid, label, queued_at_ms FROM waiters WHERE provider = ? ORDER BY ticket LIMIT ?";
  private static final String DELETE_WAITER_BY_TICKET = "DELETE FROM waiters WHERE ticket = ?";

  /** Grants free slots to the head of the queue, in ticket order. */
  private static ProviderState promote(Connection c, String provider, long nowMs)
      throws SQLException {
    return promote(c, provider, nowMs, state(c, provider, nowMs));
  }

  /** {@link #promote(Connection, String, long)} from a state read in this transaction. */
  private static ProviderState promote(Connection c, String provider, long nowMs, ProviderState st)
      throws SQLException {
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
    return st.plus(heads.size(), -heads.size()); // no need to read back what was just written
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
      "SELECT provider, max_in_flight, cooldown_ms, paused, adaptive, updated_at_ms FROM limits"
          + " ORDER BY provider";
  private static final String GET_LIMIT =
      "SELECT provider, max_in_flight, cooldown_ms, paused, adaptive, updated_at_ms FROM limits"
          + " WHERE provider = ?";
  private static final String UPSERT_LIMIT =
      "INSERT INTO limits (provider, max_in_flight, cooldown_ms, paused, adaptive, updated_at_ms)"
          + " VALUES (?, ?, ?, 0, ?, ?)"
          + " ON CONFLICT (provider) DO UPDATE SET max_in_flight = excluded.max_in_flight,"
          + " cooldown_ms = excluded.cooldown_ms, adaptive = excluded.adaptive,"
          + " updated_at_ms = excluded.updated_at_ms";
  private static final String DELETE_LIMIT = "DELETE FROM limits WHERE provider = ?";
  private static final String FORGET_ADAPTIVE_STEPS =
      "UPDATE admission SET effective_limit = NULL, successes = 0 WHERE provider = ?";
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
        rs.getString(1),
        rs.getInt(2),
        rs.getLong(3),
        rs.getInt(4) != 0,
        rs.getInt(5) != 0,
        rs.getLong(6));
  }

  /** Creates or changes a limit that is not adaptive. */
  public LimitRow setLimit(String provider, int maxInFlight, long cooldownMs, long nowMs) {
    return setLimit(provider, maxInFlight, cooldownMs, false, nowMs);
  }

  /**
   * Creates or changes a limit (keeping its paused flag); a raise grants waiting requests at once.
   * {@code adaptive} lets 429s lower the limit in force, and successes raise it back.
   */
  public LimitRow setLimit(
      String provider, int maxInFlight, long cooldownMs, boolean adaptive, long nowMs) {
    return db.write(
        "set a limit in",
        c -> {
          boolean wasAdaptive = findLimit(c, provider).map(LimitRow::adaptive).orElse(false);
          try (PreparedStatement ps = c.prepareStatement(UPSERT_LIMIT)) {
            ps.setString(1, provider);
            ps.setInt(2, maxInFlight);
            ps.setLong(3, cooldownMs);
            ps.setInt(4, adaptive ? 1 : 0);
            ps.setLong(5, nowMs);
            ps.executeUpdate();
          }
          if (adaptive && !wasAdaptive) {
            // Turning adaptation on starts from the configured limit, not from an old step.
            try (PreparedStatement ps = c.prepareStatement(FORGET_ADAPTIVE_STEPS)) {
              ps.setString(1, provider);
              ps.executeUpdate();
            }
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

  private static final String LIFT_429_PAUSE =
      "UPDATE admission SET paused_until_ms = NULL, pause_reason = NULL"
          + " WHERE provider = ? AND paused_until_ms > ?";

  /**
   * Pauses or resumes admission; returns whether there was something to change: a limit row to
   * flag, or (when resuming) a 429 pause still in force, which resuming lifts early.
   */
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
          if (!paused) {
            try (PreparedStatement ps = c.prepareStatement(LIFT_429_PAUSE)) {
              ps.setString(1, provider);
              ps.setLong(2, nowMs);
              n += ps.executeUpdate();
            }
          }
          settle(c, provider, nowMs, false, new ArrayList<>());
          return n >= 1;
        });
  }

  // ================================================================ status

  private static final String ACTIVE_PROVIDERS =
      "SELECT provider FROM limits UNION SELECT provider FROM leases WHERE released_at_ms IS NULL OR cool_until_ms > ?1"
          + " UNION SELECT provider FROM waiters"
          + " UNION SELECT provider FROM admission WHERE paused_until_ms > ?1 OR upstream_valid_until_ms > ?1"
          + " ORDER BY 1";
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
   * Frees a lease by its id, whoever holds it (for stuck leases); with a cooldown the slot cools
   * first, as after any release. Its holder's later release then reports that it no longer held it.
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
          // Like any release: the provider's own counter still counts it for the cooldown.
          long cooldown = findLimit(c, row.provider()).map(LimitRow::cooldownMs).orElse(0L);
          if (cooldown > 0) {
            try (PreparedStatement ps = c.prepareStatement(COOL_LEASE)) {
              ps.setLong(1, nowMs);
              ps.setLong(2, nowMs + cooldown);
              ps.setLong(3, leaseId);
              ps.executeUpdate();
            }
          } else {
            try (PreparedStatement ps = c.prepareStatement(DELETE_LEASE)) {
              ps.setLong(1, leaseId);
              ps.executeUpdate();
            }
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
