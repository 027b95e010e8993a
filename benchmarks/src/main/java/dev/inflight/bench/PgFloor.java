package dev.inflight.bench;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Properties;

/**
 * The PostgreSQL floor: the bare work of the engine's shape on the same server, with nothing of the
 * protocol around it (no process rows, no queue, no state query, no session). A grant is BEGIN;
 * {@code pg_advisory_xact_lock} on the provider (what the engine takes before it decides); count
 * the provider's held rows; INSERT one if below the limit; COMMIT. A release is one DELETE (its own
 * transaction). One connection, statements prepared once (the driver makes them server-side after a
 * few runs, as it does for the engine).
 *
 * <p>It runs on a database of its own that the library migrated (a limiter opened on it and
 * closed), so the rows it writes go through the schema's own triggers, {@code pg_notify} included:
 * what it leaves out is the library's, not the schema's. Like {@link Floor}, it is SQL outside
 * limiter-store on purpose. One instance per thread.
 */
final class PgFloor implements AutoCloseable {
  /** The first key of the floor's advisory locks (not the engine's: "bnch"). */
  private static final int LOCK_SPACE = 0x626e6368;

  private static final String LOCK =
      "SELECT pg_advisory_xact_lock(" + LOCK_SPACE + ", hashtext(?))";
  private static final String COUNT =
      "SELECT count(*) FROM leases WHERE provider = ? AND released_at_ms IS NULL";
  private static final String INSERT =
      "INSERT INTO leases (token, provider, owner_id, pid, label, queued_at_ms, acquired_at_ms)"
          + " VALUES (?, ?, 1, ?, '', ?, ?) RETURNING id";
  private static final String DELETE = "DELETE FROM leases WHERE id = ?";

  private final Connection c;
  private final PreparedStatement begin;
  private final PreparedStatement lock;
  private final PreparedStatement count;
  private final PreparedStatement insert;
  private final PreparedStatement commit;
  private final PreparedStatement rollback;
  private final PreparedStatement delete;
  private final long pid = ProcessHandle.current().pid();
  private final long tokenBase = (pid << 32) | (1L << 62); // tokens unique across processes
  private long serial;

  /** On database {@code db} of the server at {@code port} on 127.0.0.1. */
  PgFloor(int port, String db) throws SQLException {
    Properties p = new Properties();
    p.setProperty("user", PgServer.USER);
    p.setProperty("currentSchema", "inflight");
    p.setProperty("ApplicationName", "inflight-bench-floor");
    c = DriverManager.getConnection(PgServer.jdbcUrl(port, db), p);
    begin = c.prepareStatement("BEGIN");
    lock = c.prepareStatement(LOCK);
    count = c.prepareStatement(COUNT);
    insert = c.prepareStatement(INSERT);
    commit = c.prepareStatement("COMMIT");
    rollback = c.prepareStatement("ROLLBACK");
    delete = c.prepareStatement(DELETE);
  }

  /** One grant and one release; false if the (generous) limit was somehow reached. */
  boolean cycle(String provider, int limit) throws SQLException {
    long id = tryGrant(provider, limit);
    if (id == 0) {
      return false;
    }
    release(id);
    return true;
  }

  /** BEGIN; lock the provider; count; INSERT if below {@code limit}; COMMIT. 0 when full. */
  long tryGrant(String provider, int limit) throws SQLException {
    begin.execute();
    try {
      lock.setString(1, provider);
      lock.executeQuery().close();
      count.setString(1, provider);
      long id = 0;
      try (ResultSet rs = count.executeQuery()) {
        rs.next();
        if (rs.getInt(1) < limit) {
          long now = System.currentTimeMillis();
          insert.setString(1, Long.toHexString(tokenBase | ++serial));
          insert.setString(2, provider);
          insert.setLong(3, pid);
          insert.setLong(4, now);
          insert.setLong(5, now);
          try (ResultSet r = insert.executeQuery()) {
            r.next();
            id = r.getLong(1);
          }
        }
      }
      commit.execute();
      return id;
    } catch (SQLException | RuntimeException e) {
      rollback.execute();
      throw e;
    }
  }

  /** DELETE the row (one transaction). */
  void release(long id) throws SQLException {
    delete.setLong(1, id);
    delete.executeUpdate();
  }

  @Override
  public void close() throws SQLException {
    c.close();
  }
}
