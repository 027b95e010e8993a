package dev.inflight.store.sql;

import dev.inflight.store.Priority;
import dev.inflight.store.Rows.Glance;
import dev.inflight.store.Rows.HeldLease;
import dev.inflight.store.Rows.LeaseRow;
import dev.inflight.store.Rows.LimitRow;
import dev.inflight.store.Rows.ProcessRow;
import dev.inflight.store.Rows.ProviderState;
import dev.inflight.store.Rows.Snapshot;
import dev.inflight.store.Rows.TokenState;
import dev.inflight.store.Rows.WaitCheck;
import dev.inflight.store.Rows.WaiterRow;
import dev.inflight.store.Rows.WatchTarget;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** The read-only transactions: the status snapshot, and a waiter's check of its own requests. */
final class StatusSql {
  private final Settle settle;
  private final BadNames badNames;

  StatusSql(Settle settle, BadNames badNames) {
    this.settle = settle;
    this.badNames = badNames;
  }

  private static final String ACTIVE_PROVIDERS =
      "SELECT provider, hex(provider) FROM (SELECT provider FROM limits"
          + " UNION SELECT provider FROM leases WHERE released_at_ms IS NULL OR cool_until_ms > ?1"
          + " UNION SELECT provider FROM queue"
          + " UNION SELECT provider FROM model_limits"
          + " UNION SELECT provider FROM ledger WHERE started_at_ms > ?1 - 60000"
          + " UNION SELECT provider FROM upstream_budget"
          + "   WHERE requests_reset_at_ms > ?1 OR tokens_reset_at_ms > ?1"
          + " UNION SELECT provider FROM admission"
          + "   WHERE paused_until_ms > ?1 OR upstream_valid_until_ms > ?1) a"
          + " ORDER BY 1";
  private static final String ACTIVE_LEASES =
      "SELECT l.id, l.provider, coalesce(l.owner_id, 0), coalesce(p.host, ''), l.pid,"
          + " coalesce(p.name, ''), l.label, l.queued_at_ms, l.acquired_at_ms,"
          + " l.model, l.weight, l.tokens"
          + " FROM leases l LEFT JOIN processes p ON p.id = l.owner_id"
          + " WHERE l.released_at_ms IS NULL ORDER BY l.provider, l.acquired_at_ms, l.id";
  private static final String ALL_WAITERS =
      "SELECT w.ticket, w.provider, w.owner_id, coalesce(p.host, ''), w.pid, coalesce(p.name, ''),"
          + " w.label, w.queued_at_ms, row_number() OVER (PARTITION BY w.provider ORDER BY "
          + Queue.rank("w.", "?1", "coalesce(g.aging_ms, " + LimitRow.DEFAULT_AGING_MS + ")")
          + ", w.ticket), w.model, w.weight, w.tokens, w.priority"
          + " FROM queue w LEFT JOIN processes p ON p.id = w.owner_id"
          + " LEFT JOIN limits g ON g.provider = w.provider"
          + " ORDER BY w.provider, 9";

  Snapshot snapshot(Tx tx) throws SQLException {
    List<String> names = new ArrayList<>();
    try (ResultSet rs = tx.query(ACTIVE_PROVIDERS, tx.now)) {
      while (rs.next()) {
        if (!badNames.skip(rs.getString(1), rs.getString(2), null)) {
          names.add(rs.getString(1));
        }
      }
    }
    List<ProviderState> providers = new ArrayList<>();
    for (String n : names) {
      providers.add(Settle.state(tx, n));
    }
    List<LeaseRow> leases = new ArrayList<>();
    try (ResultSet rs = tx.query(ACTIVE_LEASES)) {
      while (rs.next()) {
        leases.add(leaseRow(rs));
      }
    }
    List<WaiterRow> waiters = new ArrayList<>();
    try (ResultSet rs = tx.query(ALL_WAITERS, tx.now)) {
      while (rs.next()) {
        waiters.add(
            new WaiterRow(
                rs.getLong(1),
                rs.getString(2),
                new ProcessRow(rs.getLong(3), rs.getString(4), rs.getLong(5), rs.getString(6)),
                rs.getString(7),
                rs.getLong(8),
                rs.getInt(9),
                rs.getString(10),
                rs.getInt(11),
                rs.getLong(12),
                Priority.fromSql(rs.getString(13))));
      }
    }
    return new Snapshot(tx.now, providers, leases, waiters);
  }

  /**
   * A lease as others see it, from the columns {@code id, provider, owner_id, host, pid, name,
   * label, queued_at_ms, acquired_at_ms, model, weight, tokens} (in that order, from column 1).
   */
  static LeaseRow leaseRow(ResultSet rs) throws SQLException {
    return new LeaseRow(
        rs.getLong(1),
        rs.getString(2),
        new ProcessRow(rs.getLong(3), rs.getString(4), rs.getLong(5), rs.getString(6)),
        rs.getString(7),
        rs.getLong(8),
        rs.getLong(9),
        rs.getString(10),
        rs.getInt(11),
        rs.getLong(12));
  }

  private static final String MY_LEASES =
      "SELECT token, id, provider, acquired_at_ms FROM leases WHERE owner_id = ?";

  /** My queued requests and their positions, in serving order (rank, then ticket). */
  private static final String MY_WAITERS;

  static {
    String aging = "coalesce(g.aging_ms, " + LimitRow.DEFAULT_AGING_MS + ")";
    // One sort of each of my providers' queues, not a count per request: 100 requests of mine
    // cost 100 rows, not 10,000 comparisons.
    MY_WAITERS =
        "SELECT token, provider, position FROM (SELECT w.token, w.provider, w.owner_id,"
            + " row_number() OVER (PARTITION BY w.provider ORDER BY "
            + Queue.rank("w.", "?2", aging)
            + ", w.ticket) AS position"
            + " FROM queue w LEFT JOIN limits g ON g.provider = w.provider"
            + " WHERE w.provider IN (SELECT provider FROM queue WHERE owner_id = ?1)) r"
            + " WHERE owner_id = ?1";
  }

  private static final String NEXT_COOL_END =
      "SELECT min(cool_until_ms) FROM leases WHERE provider = ? AND released_at_ms IS NOT NULL"
          + " AND cool_until_ms > ?";
  private static final String OWNERS_OF_PROVIDER =
      "SELECT p.id, p.host_id, p.pid, p.start_token, p.expires_at_ms FROM processes p"
          + " WHERE p.id IN (SELECT owner_id FROM leases WHERE provider = ?1 AND owner_id IS NOT NULL"
          + "  UNION SELECT owner_id FROM queue WHERE provider = ?1)";

  private static final String HELD_LEASE =
      "SELECT l.id, l.provider, l.label, l.acquired_at_ms, p.pid, p.host_id, p.start_token, l.model"
          + " FROM leases l JOIN processes p ON p.id = l.owner_id"
          + " WHERE l.token = ? AND l.released_at_ms IS NULL";

  /** The lease held under {@code token}, and its holder. */
  Optional<HeldLease> heldLease(Tx tx, String token) throws SQLException {
    try (ResultSet rs = tx.query(HELD_LEASE, token)) {
      if (!rs.next()) {
        return Optional.empty();
      }
      return Optional.of(
          new HeldLease(
              rs.getLong(1),
              rs.getString(2),
              rs.getString(3),
              rs.getLong(4),
              rs.getLong(5),
              rs.getString(6),
              rs.getString(7),
              rs.getString(8)));
    }
  }

  /** Which of {@code tokens} hold a lease of {@code ownerId} now. */
  Map<String, TokenState> granted(Tx tx, long ownerId, Collection<String> tokens)
      throws SQLException {
    Map<String, TokenState> out = new HashMap<>();
    Set<String> wanted = tokens instanceof Set<String> set ? set : new HashSet<>(tokens);
    try (ResultSet rs = tx.query(MY_LEASES, ownerId)) {
      while (rs.next()) {
        String token = rs.getString(1);
        if (wanted.contains(token)) {
          out.put(
              token,
              new TokenState(
                  TokenState.Kind.GRANTED, rs.getString(3), rs.getLong(2), rs.getLong(4), 0));
        }
      }
    }
    return out;
  }

  /** My grants, the providers' states as {@link #check} reads them, and whether a settle is due. */
  Glance glance(Tx tx, long ownerId, Collection<String> tokens, Collection<String> providers)
      throws SQLException {
    Map<String, TokenState> granted = granted(tx, ownerId, tokens);
    Map<String, ProviderState> states = new LinkedHashMap<>();
    boolean settleNeeded = false;
    for (String p : providers) {
      Settle.Seen look = Settle.look(tx, p, states.isEmpty(), ""); // process flags once
      states.put(p, look.state());
      settleNeeded |= look.housekeepingDue() || Queue.dryRun(tx, look.state()).grants();
    }
    return new Glance(granted, states, settleNeeded);
  }

  private static final String NEXT_AGING =
      "SELECT min(queued_at_ms + ((max(0, ?2 - queued_at_ms) / ?3) + 1) * ?3) FROM queue"
          + " WHERE provider = ?1 AND "
          + Queue.rank("", "?2", "?3")
          + " > 0";

  /** When the next queued request of {@code st} that can still rise rises a class. */
  private static long nextAging(Tx tx, ProviderState st) throws SQLException {
    return tx.queryLong(NEXT_AGING, Long.MAX_VALUE, st.provider(), tx.now, st.agingMs());
  }

  WaitCheck check(Tx tx, long ownerId, Collection<String> tokens) throws SQLException {
    // Two statements for all of my requests, however many wait: a pass stays cheap.
    Map<String, TokenState> found = new HashMap<>();
    try (ResultSet rs = tx.query(MY_LEASES, ownerId)) {
      while (rs.next()) {
        found.put(
            rs.getString(1),
            new TokenState(
                TokenState.Kind.GRANTED, rs.getString(3), rs.getLong(2), rs.getLong(4), 0));
      }
    }
    try (ResultSet rs = tx.query(MY_WAITERS, ownerId, tx.now)) {
      while (rs.next()) {
        found.put(
            rs.getString(1),
            new TokenState(TokenState.Kind.QUEUED, rs.getString(2), 0, 0, rs.getInt(3)));
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
    Set<Long> seen = new HashSet<>();
    for (String p : providers) {
      Settle.Seen look = Settle.look(tx, p, pstates.isEmpty(), ""); // process flags once
      ProviderState st = look.state();
      pstates.put(p, st);
      Queue.DryRun dry = Queue.dryRun(tx, st);
      if (dry.grants() || look.housekeepingDue() || look.ledgerExpired()) {
        settleNeeded = true;
      }
      // A budget's window and the provider's word free room with no commit: sleep until they
      // have freed what the first blocked request needs.
      next = Math.min(next, Queue.budgetFreesAt(tx, st, dry.plan()));
      next = Math.min(next, dry.plan().wordResetAtMs());
      // Aging reorders the queue with no commit: a request that rises may fit where the one it
      // passes did not.
      if (st.queued() > 1 && st.oldestQueuedAtMs() > 0) {
        next = Math.min(next, nextAging(tx, st));
      }
      // A 429 pause ending and an upstream sample going stale free slots with no commit.
      if (st.pausedUntilMs() > 0) {
        next = Math.min(next, st.pausedUntilMs());
      }
      if (st.upstreamValidUntilMs() > 0) {
        next = Math.min(next, st.upstreamValidUntilMs());
      }
      long coolEnd = tx.queryLong(NEXT_COOL_END, Long.MAX_VALUE, p, tx.now);
      next = Math.min(next, coolEnd);
      try (ResultSet rs = tx.query(OWNERS_OF_PROVIDER, p)) {
        while (rs.next()) {
          long id = rs.getLong(1);
          long expires = rs.getLong(5);
          next = Math.min(next, expires + 1);
          if (id != ownerId && settle.reclaim().watchable(rs.getString(2)) && seen.add(id)) {
            watch.add(new WatchTarget(id, rs.getLong(3), rs.getString(4)));
            // A client that holds no lock file (another language's) wakes nobody when it dies:
            // the periodic check finds it here.
            if (settle.reclaim().hostId().equals(rs.getString(2))
                && !settle.reclaim().seenAlive(rs.getLong(3), rs.getString(4))) {
              settleNeeded = true;
            }
          }
        }
      }
    }
    return new WaitCheck(tx.now, states, pstates, settleNeeded, next, watch);
  }
}
