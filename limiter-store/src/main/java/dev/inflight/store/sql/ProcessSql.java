package dev.inflight.store.sql;

import dev.inflight.store.ReclaimReason;
import dev.inflight.store.Registration;
import dev.inflight.store.Rows.ProcessRow;
import dev.inflight.store.Rows.Reclaimed;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** Registering, heart-beating, leaving, and reclaiming processes that are gone. */
final class ProcessSql {
  private final Settle settle;

  ProcessSql(Settle settle) {
    this.settle = settle;
  }

  private static final String INSERT_PROCESS_AGAIN =
      "INSERT INTO processes (id, host, host_id, pid, start_token, name, started_at_ms,"
          + " heartbeat_at_ms, expires_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id";

  /** A new id is the database's to choose (PostgreSQL refuses an explicit NULL for it). */
  private static final String INSERT_PROCESS =
      "INSERT INTO processes (host, host_id, pid, start_token, name, started_at_ms,"
          + " heartbeat_at_ms, expires_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id";

  long register(Tx tx, Registration r) throws SQLException {
    long ttl = r.ttl().toMillis();
    if (r.reuseId().isPresent()) {
      try (ResultSet rs =
          tx.query(
              INSERT_PROCESS_AGAIN,
              r.reuseId().getAsLong(),
              r.who().host(),
              r.who().hostId(),
              r.who().pid(),
              r.who().startToken(),
              r.who().name(),
              tx.now,
              tx.now,
              tx.now + ttl)) {
        rs.next();
        return rs.getLong(1);
      }
    }
    try (ResultSet rs =
        tx.query(
            INSERT_PROCESS,
            r.who().host(),
            r.who().hostId(),
            r.who().pid(),
            r.who().startToken(),
            r.who().name(),
            tx.now,
            tx.now,
            tx.now + ttl)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private static final String HEARTBEAT =
      "UPDATE processes SET heartbeat_at_ms = ?, expires_at_ms = ? WHERE id = ?";

  /** Returns false when the row is gone (it was reclaimed): its leases are lost. */
  boolean heartbeat(Tx tx, long id, long ttlMs) throws SQLException {
    return tx.update(HEARTBEAT, tx.now, tx.now + ttlMs, id) == 1;
  }

  void deregister(Tx tx, long id) throws SQLException {
    for (String p : Reclaim.freeProcess(tx, id)) {
      settle.settleQuietly(tx, p);
    }
  }

  private static final String PROCESSES_OF_THIS_HOST =
      "SELECT id, host, pid, name, start_token FROM processes WHERE host_id = ?";

  List<Reclaimed> reapAll(Tx tx) throws SQLException {
    PullBack.pullBackAll(tx);
    List<Reclaimed> reclaimed = new ArrayList<>();
    Set<String> touched = new LinkedHashSet<>(settle.reclaim().reapExpired(tx, reclaimed));
    List<ProcessRow> dead = new ArrayList<>();
    try (ResultSet rs = tx.query(PROCESSES_OF_THIS_HOST, settle.reclaim().hostId())) {
      while (rs.next()) {
        if (!settle.reclaim().liveness().isAlive(rs.getLong(3), rs.getString(5))) {
          dead.add(new ProcessRow(rs.getLong(1), rs.getString(2), rs.getLong(3), rs.getString(4)));
        }
      }
    }
    for (ProcessRow p : dead) {
      touched.addAll(Reclaim.reap(tx, p, ReclaimReason.PROCESS_DEAD, reclaimed));
    }
    for (String p : touched) {
      settle.settle(tx, p, false, reclaimed);
    }
    return reclaimed;
  }
}
