package dev.inflight.bench;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.sqlite.SQLiteConfig;

/**
 * The floor a lease cycle is compared with: the bare SQLite work of the same shape, with nothing of
 * the protocol around it. Acquire = BEGIN IMMEDIATE; delete expired cooling rows; count; insert;
 * COMMIT. Release = BEGIN IMMEDIATE; delete; COMMIT.
 *
 * <p>This is the one place outside limiter-store that speaks SQL, on purpose: a floor written
 * through the store would carry the very overhead it is meant to expose. It runs on a database
 * created by the same migration (a copy of the schema, in its own file), on a connection set up as
 * the store sets up its own (WAL, synchronous=NORMAL, busy timeout), and prepares its statements in
 * each transaction as the store does, so the ratio counts the protocol's extra statements, pool and
 * bookkeeping rather than statement caching.
 */
final class Floor implements AutoCloseable {
  private static final String EXPIRE_COOLING =
      "DELETE FROM leases WHERE provider = ? AND released_at_ms IS NOT NULL AND cool_until_ms <= ?";
  private static final String COUNT =
      "SELECT count(*) FROM leases WHERE provider = ? AND released_at_ms IS NULL";
  private static final String INSERT =
      "INSERT INTO leases (token, provider, owner_id, pid, label, queued_at_ms, acquired_at_ms)"
          + " VALUES (?, ?, 1, ?, '', ?, ?)";
  private static final String DELETE = "DELETE FROM leases WHERE id = ?";

  private final Connection c;
  // Prepared once, as the limiter's store does: the floor is the best this SQL can do.
  private final PreparedStatement expireCooling;
  private final PreparedStatement count;
  private final PreparedStatement insert;
  private final PreparedStatement lastId;
  private final PreparedStatement delete;
  private final long pid = ProcessHandle.current().pid();
  private long serial;

  Floor(Path databaseFile) throws SQLException {
    SQLiteConfig config = new SQLiteConfig();
    config.setJournalMode(SQLiteConfig.JournalMode.WAL);
    config.setSynchronous(SQLiteConfig.SynchronousMode.NORMAL);
    config.setBusyTimeout(5000);
    config.enforceForeignKeys(true);
    c = config.createConnection("jdbc:sqlite:" + databaseFile);
    expireCooling = c.prepareStatement(EXPIRE_COOLING);
    count = c.prepareStatement(COUNT);
    insert = c.prepareStatement(INSERT);
    lastId = c.prepareStatement("SELECT last_insert_rowid()");
    delete = c.prepareStatement(DELETE);
  }

  /** One acquire and one release; returns false if the (generous) limit was somehow reached. */
  boolean cycle(String provider, int limit) throws SQLException {
    long now = System.currentTimeMillis();
    long id;
    exec("BEGIN IMMEDIATE");
    try {
      expireCooling.setString(1, provider);
      expireCooling.setLong(2, now);
      expireCooling.executeUpdate();
      int held;
      count.setString(1, provider);
      try (ResultSet rs = count.executeQuery()) {
        rs.next();
        held = rs.getInt(1);
      }
      if (held >= limit) {
        exec("COMMIT");
        return false;
      }
      insert.setString(1, Long.toHexString(++serial | (1L << 60)));
      insert.setString(2, provider);
      insert.setLong(3, pid);
      insert.setLong(4, now);
      insert.setLong(5, now);
      insert.executeUpdate();
      try (ResultSet rs = lastId.executeQuery()) {
        rs.next();
        id = rs.getLong(1);
      }
      exec("COMMIT");
    } catch (SQLException | RuntimeException e) {
      exec("ROLLBACK");
      throw e;
    }
    exec("BEGIN IMMEDIATE");
    try {
      delete.setLong(1, id);
      delete.executeUpdate();
      exec("COMMIT");
    } catch (SQLException | RuntimeException e) {
      exec("ROLLBACK");
      throw e;
    }
    return true;
  }

  private void exec(String sql) throws SQLException {
    try (Statement s = c.createStatement()) {
      s.execute(sql);
    }
  }

  @Override
  public void close() throws SQLException {
    c.close(); // closes its statements too
  }
}
