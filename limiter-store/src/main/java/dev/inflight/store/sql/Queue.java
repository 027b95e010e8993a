package dev.inflight.store.sql;

import dev.inflight.store.Plan;
import dev.inflight.store.Plan.Decision;
import dev.inflight.store.Plan.Want;
import dev.inflight.store.Priority;
import dev.inflight.store.ReclaimReason;
import dev.inflight.store.Rows.Grant;
import dev.inflight.store.Rows.ModelState;
import dev.inflight.store.Rows.ProcessRow;
import dev.inflight.store.Rows.ProviderState;
import dev.inflight.store.Rows.Reclaimed;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * A provider's queue in the order it is served, and the writes of a grant: the lease, its ledger
 * row where a level has a budget, and what it takes from the provider's word. {@link Plan} decides;
 * this class reads and writes. See migrations/README.md ("Admission").
 */
final class Queue {
  private Queue() {}

  /**
   * The rank of {@link Plan#rank} in SQL, of the row whose columns are prefixed {@code row} ("w."
   * or ""), at time {@code now}, aging every {@code aging} ms (SQL expressions). The conformance
   * suite's priority cases keep it in step with {@link Plan#rank}.
   */
  static String rank(String row, String now, String aging) {
    return "max(0, CASE "
        + row
        + "priority WHEN 'interactive' THEN 0 WHEN 'normal' THEN 1 ELSE 2 END - min(3, max(0, "
        + now
        + " - "
        + row
        + "queued_at_ms) / "
        + aging
        + "))";
  }

  private static final String IN_ORDER =
      "SELECT ticket, token, owner_id, pid, label, queued_at_ms, model, weight, tokens, "
          + rank("", "?2", "?3")
          + " FROM queue WHERE provider = ?1 ORDER BY 10, ticket";

  private static final String DELETE_BY_TICKET = "DELETE FROM queue WHERE ticket = ?";

  /**
   * Rows are written only for an owner that is registered: a process whose row was reclaimed or
   * deleted must register again first, or its lease would be an orphan that the next settle of
   * another process deletes while this one still uses it.
   */
  static final String INSERT_LEASE =
      "INSERT INTO leases (token, provider, owner_id, pid, label, queued_at_ms, acquired_at_ms,"
          + " model, weight, tokens) SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10"
          + " WHERE EXISTS (SELECT 1 FROM processes WHERE id = ?3) RETURNING id";

  private static final String TAKE_FROM_WORD =
      "UPDATE upstream_budget SET"
          + " requests_remaining = CASE WHEN requests_reset_at_ms > ?4"
          + "   THEN max(0, requests_remaining - 1) ELSE requests_remaining END,"
          + " tokens_remaining = CASE WHEN tokens_reset_at_ms > ?4"
          + "   THEN max(0, tokens_remaining - ?3) ELSE tokens_remaining END"
          + " WHERE provider = ?1 AND model IN ('', ?2)";

  /** A queued request as read, in serving order. */
  private record Row(
      long ticket,
      String token,
      long owner,
      long pid,
      String label,
      long queuedAt,
      String model,
      int weight,
      long tokens,
      int rank) {
    Want want() {
      return new Want(model, weight, tokens);
    }
  }

  /**
   * Grants what the queue's order and every level's room allow. Each queued request leaves the
   * queue before its lease is written under the same token (tokens are unique across both tables).
   * A request the database refuses to turn into a lease (its token is a held lease's, a foreign
   * client's bad row) is dropped and reported, and the rest are served: one bad row never wedges a
   * provider.
   */
  static ProviderState promote(Tx tx, ProviderState st, List<Reclaimed> reclaimed)
      throws SQLException {
    if (st.queued() == 0 || st.free() == 0) {
      return st; // nothing waits, or the provider level (which every request uses) is full
    }
    List<Row> grants = walk(tx, st, new Plan(st), Integer.MAX_VALUE, false);
    if (grants.isEmpty()) {
      return st;
    }
    ProviderState after = st;
    int refused = 0;
    for (Row r : grants) {
      tx.update(DELETE_BY_TICKET, r.ticket());
      try {
        long id = write(tx, st, r.token(), r.owner(), r.pid(), r.label(), r.queuedAt(), r.want());
        if (id == 0) {
          continue; // its owner is gone: the next reclaim takes the rest of what it left
        }
        after = after.afterGrant(r.model(), r.weight(), r.tokens());
        tx.grantedTo(r.owner(), new Grant(r.token(), id, tx.now));
      } catch (SQLException e) {
        if (!tx.dialect().refused(e)) {
          throw e;
        }
        refused++;
        // Id 0: its owner is alive and registered; nothing of the owner is taken back.
        reclaimed.add(
            new Reclaimed(ProcessRow.unknown(0, r.pid()), ReclaimReason.INVALID, List.of(), 1));
        Protocol.LOG.log(
            System.Logger.Level.WARNING,
            "dropped a queued request of '"
                + st.provider()
                + "' (pid "
                + r.pid()
                + ") that the database refused to grant: "
                + e.getMessage());
      }
    }
    if (refused == 0) {
      return after.plus(0, -grants.size()); // no need to read back what was written
    }
    return promote(tx, Settle.state(tx, st.provider()), reclaimed);
  }

  /**
   * Whether a new request of rank {@code rank} would be granted now by the queue's rules: nobody
   * served before it is waiting for room at one of its levels, and they all have room for it. Reads
   * the part of the queue that is served before it (nothing when the queue is empty).
   */
  static boolean fitsNow(Tx tx, ProviderState st, Want want, Priority priority)
      throws SQLException {
    Plan plan = new Plan(st);
    if (st.queued() > 0) {
      if (st.free() == 0) {
        return false;
      }
      walk(tx, st, plan, priority.ordinal(), false); // a new request has waited for nothing yet
    }
    return plan.fitsNow(want);
  }

  /** What a settle would do now, found without writing: whether it grants, and what blocks. */
  record DryRun(boolean grants, Plan plan) {}

  /** Runs the plan over the queue without writing (a waiter's read-only check). */
  static DryRun dryRun(Tx tx, ProviderState st) throws SQLException {
    Plan plan = new Plan(st);
    if (st.queued() == 0 || st.free() == 0) {
      return new DryRun(false, plan);
    }
    // One grant is enough to know a settle is due.
    return new DryRun(!walk(tx, st, plan, Integer.MAX_VALUE, true).isEmpty(), plan);
  }

  /**
   * Offers the queued requests of rank up to {@code maxRank} to {@code plan}, in serving order,
   * until it says STOP (or, with {@code firstGrantOnly}, grants one); returns those it granted.
   */
  private static List<Row> walk(
      Tx tx, ProviderState st, Plan plan, int maxRank, boolean firstGrantOnly) throws SQLException {
    List<Row> grants = new ArrayList<>();
    try (ResultSet rs = tx.query(IN_ORDER, st.provider(), tx.now, st.agingMs())) {
      while (rs.next()) {
        Row r = row(rs);
        if (r.rank() > maxRank) {
          break;
        }
        Decision d = plan.offer(r.want());
        if (d == Decision.GRANT) {
          grants.add(r);
          if (firstGrantOnly) {
            break;
          }
        } else if (d == Decision.STOP) {
          break;
        }
      }
    }
    return grants;
  }

  private static final String NTH_START =
      "SELECT started_at_ms FROM ledger WHERE provider = ?1 AND (?2 = '' OR model = ?2)"
          + " AND started_at_ms > ?3 - 60000 ORDER BY started_at_ms, lease_id LIMIT 1 OFFSET ?4";
  private static final String START_FREEING_TOKENS =
      "SELECT started_at_ms FROM (SELECT started_at_ms, sum(tokens) OVER"
          + " (ORDER BY started_at_ms, lease_id) AS freed FROM ledger WHERE provider = ?1"
          + " AND (?2 = '' OR model = ?2) AND started_at_ms > ?3 - 60000) f"
          + " WHERE freed >= ?4 LIMIT 1";

  /**
   * When the window has lost what {@code plan}'s blocked budgets need: the latest of the times at
   * which each need is met, since each level must free its own. {@link Long#MAX_VALUE} when no
   * budget blocks.
   */
  static long budgetFreesAt(Tx tx, ProviderState st, Plan plan) throws SQLException {
    long at = Long.MAX_VALUE;
    for (Plan.BudgetNeed n : plan.budgetNeeds()) {
      // Should the window change under the reader, the level's oldest start stands in.
      long oldest =
          (n.model().isEmpty()
                  ? st.windowChangesAtMs()
                  : st.model(n.model()).map(ModelState::windowChangesAtMs).orElse(0L))
              - Settle.WINDOW_MS;
      long when = 0;
      if (n.requests() > 0) {
        when =
            Math.max(
                when,
                tx.queryLong(
                    NTH_START, oldest, st.provider(), n.model(), tx.now, n.requests() - 1));
      }
      if (n.tokens() > 0) {
        when =
            Math.max(
                when,
                tx.queryLong(
                    START_FREEING_TOKENS, oldest, st.provider(), n.model(), tx.now, n.tokens()));
      }
      at = Math.min(at, when + Settle.WINDOW_MS);
    }
    return at;
  }

  /**
   * Writes a grant: the lease, a ledger row when one of its levels has a budget, and what it takes
   * from the provider's word where one is in force. Returns the lease's id, or 0 when {@code owner}
   * is not registered (and nothing was written).
   */
  static long write(
      Tx tx,
      ProviderState st,
      String token,
      long owner,
      long pid,
      String label,
      long queuedAt,
      Want w)
      throws SQLException {
    long id;
    try (ResultSet rs =
        tx.query(
            INSERT_LEASE,
            token,
            st.provider(),
            owner,
            pid,
            label,
            queuedAt,
            tx.now,
            w.model(),
            w.weight(),
            w.tokens())) {
      if (!rs.next()) {
        return 0;
      }
      id = rs.getLong(1);
    }
    ModelState m = st.model(w.model()).orElse(null);
    if (st.budget().any() || (m != null && m.budget().any())) {
      tx.update(LedgerSql.of(tx).insert(), st.provider(), tx.now, id, w.model(), w.tokens());
    }
    if (st.word().any() || (m != null && m.word().any())) {
      tx.update(TAKE_FROM_WORD, st.provider(), w.model(), w.tokens(), tx.now);
    }
    return id;
  }

  private static Row row(ResultSet rs) throws SQLException {
    return new Row(
        rs.getLong(1),
        rs.getString(2),
        rs.getLong(3),
        rs.getLong(4),
        rs.getString(5),
        rs.getLong(6),
        rs.getString(7),
        rs.getInt(8),
        rs.getLong(9),
        rs.getInt(10));
  }
}
