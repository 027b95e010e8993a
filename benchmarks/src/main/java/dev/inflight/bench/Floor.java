package dev.inflight.bench;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.locks.LockSupport;
import org.sqlite.BusyHandler;
import org.sqlite.SQLiteConfig;

/**
 * The floor the limiter is compared with: the bare SQLite work of the same shape, with nothing of
 * the protocol around it (no process rows, no queue, no wake-ups). A grant is BEGIN IMMEDIATE;
 * count the provider's held rows; insert one if below the limit; COMMIT. A release is BEGIN
 * IMMEDIATE; DELETE; COMMIT. A waiter of the floor can only poll.
 *
 * <p>This is the one place outside limiter-store that speaks SQL, on purpose: a floor written
 * through the store would carry the very overhead it is meant to expose. It runs on a database
 * created by the same migration (a copy of the schema, in its own file), on a connection set up as
 * the store sets up its own (WAL, synchronous=NORMAL, 5 s busy timeout, a busy handler that parks
 * 0.1 ms and then 1 ms between retries), and prepares its statements once, as the store caches
 * them: the floor is the best this SQL can do. One instance per thread.
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
  private static final long BUSY_TIMEOUT_NANOS = 5_000_000_000L;

  private final Connection c;
  private final PreparedStatement expireCooling;
  private final PreparedStatement count;
  private final PreparedStatement insert;
  private final PreparedStatement lastId;
  private final PreparedStatement delete;
  private final long pid = ProcessHandle.current().pid();
  private final long tokenBase = (pid << 32) | (1L << 62); // tokens unique across processes
  private long serial;

  Floor(Path databaseFile) throws SQLException {
    SQLiteConfig config = new SQLiteConfig();
    config.setJournalMode(SQLiteConfig.JournalMode.WAL);
    config.setSynchronous(SQLiteConfig.SynchronousMode.NORMAL);
    config.setBusyTimeout(5000);
    config.enforceForeignKeys(true);
    c = config.createConnection("jdbc:sqlite:" + databaseFile);
    BusyHandler.setHandler(c, new ParkingBusyHandler());
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
      if (held(provider) >= limit) {
        exec("COMMIT");
        return false;
      }
      id = insert(provider, now);
      exec("COMMIT");
    } catch (SQLException | RuntimeException e) {
      exec("ROLLBACK");
      throw e;
    }
    release(id);
    return true;
  }

  /**
   * One attempt of the bare protocol: BEGIN IMMEDIATE; count; insert if below {@code limit};
   * COMMIT.
   *
   * @return the new row's id, or 0 when the provider was full
   */
  long tryGrant(String provider, int limit) throws SQLException {
    exec("BEGIN IMMEDIATE");
    try {
      long id = 0;
      if (held(provider) < limit) {
        id = insert(provider, System.currentTimeMillis());
      }
      exec("COMMIT");
      return id;
    } catch (SQLException | RuntimeException e) {
      exec("ROLLBACK");
      throw e;
    }
  }

  /** BEGIN IMMEDIATE; DELETE the row; COMMIT. */
  void release(long id) throws SQLException {
    exec("BEGIN IMMEDIATE");
    try {
      delete.setLong(1, id);
      delete.executeUpdate();
      exec("COMMIT");
    } catch (SQLException | RuntimeException e) {
      exec("ROLLBACK");
      throw e;
    }
  }

  private int held(String provider) throws SQLException {
    count.setString(1, provider);
    try (ResultSet rs = count.executeQuery()) {
      rs.next();
      return rs.getInt(1);
    }
  }

  private long insert(String provider, long now) throws SQLException {
    insert.setString(1, Long.toHexString(tokenBase | ++serial));
    insert.setString(2, provider);
    insert.setLong(3, pid);
    insert.setLong(4, now);
    insert.setLong(5, now);
    insert.executeUpdate();
    try (ResultSet rs = lastId.executeQuery()) {
      rs.next();
      return rs.getLong(1);
    }
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

  /** The store's busy handler, copied: 0.1 ms parks for 20 ms, then 1 ms, up to the timeout. */
  private static final class ParkingBusyHandler extends BusyHandler {
    private long firstBusyAt;

    @Override
    protected int callback(int previousInvocations) {
      long now = System.nanoTime();
      if (previousInvocations == 0) {
        firstBusyAt = now;
      }
      long waited = now - firstBusyAt;
      if (waited >= BUSY_TIMEOUT_NANOS) {
        return 0;
      }
      LockSupport.parkNanos(waited < 20_000_000L ? 100_000L : 1_000_000L);
      return 1;
    }
  }
}
