package dev.inflight.store.postgres;

import dev.inflight.store.LazyLogger;
import dev.inflight.store.Rows.Grant;
import dev.inflight.store.Signals;
import java.lang.System.Logger.Level;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

/**
 * This engine's one session connection, on a thread of its own. It does four things:
 *
 * <ul>
 *   <li><b>Proof of life.</b> It holds a session-level advisory lock {@code (LOCK_SPACE, id)} for
 *       each process this JVM registered, and every {@link #PRESENCE_MS} it moves their {@code
 *       expires_at_ms} to the server's now + {@link #GRACE_MS}. A process whose lock nobody holds
 *       is reclaimed once its row expires, that is within the grace period after it died, on any
 *       machine.
 *   <li><b>Commits.</b> It listens on channel {@code inflight} (every change to a provider's rows
 *       notifies it, hand edits with psql included) and tells the subscribers.
 *   <li><b>Wake-ups.</b> It listens on {@code inflight_wake}, whose payload is the owner of a
 *       request that a commit granted.
 *   <li><b>Watches.</b> It checks, each round, whether the advisory locks of the owners that
 *       waiters depend on are still held, and tells the watcher of one that is not.
 * </ul>
 *
 * <p>When the connection is lost (a restart, a partition, {@code pg_terminate_backend}), it
 * connects again at once and then every 250 ms, takes the locks again and refreshes the rows:
 * within the grace period, nobody has reclaimed them. A process whose session was lost for longer
 * finds its row gone at its next heartbeat, and the client then treats its leases as lost.
 */
final class PgSession implements AutoCloseable {
  static final System.Logger LOG =
      new LazyLogger("dev.inflight.store", () -> System.getLogger("dev.inflight.store"));

  /** How long a process that stopped proving it is alive keeps its rows. */
  static final long GRACE_MS = 5_000;

  /** How often the session refreshes its processes' rows and checks watched owners. */
  static final long PRESENCE_MS = 1_000;

  private final PgDatabase db;
  private final Set<Long> mine = ConcurrentHashMap.newKeySet();
  private final List<Consumer<Set<String>>> commitSubscribers = new CopyOnWriteArrayList<>();
  private final List<Consumer<List<Grant>>> wakeSubscribers = new CopyOnWriteArrayList<>();
  private final Map<Long, List<Runnable>> watches = new ConcurrentHashMap<>();
  private final AtomicLong commits = new AtomicLong();
  private final Thread thread;
  private volatile boolean closed;
  private volatile boolean connected;
  private volatile Connection connection;

  PgSession(PgDatabase db) {
    this.db = db;
    this.thread = new Thread(this::run, "inflight-postgres-session");
    this.thread.setDaemon(true);
  }

  void start() {
    thread.start();
  }

  /** Starts proving that process {@code id} (of this JVM) is alive. */
  synchronized void hold(long id) {
    mine.add(id); // under the monitor: a reconnecting session locks all of mine, or sees this
    Connection c = connection;
    if (c != null) {
      try {
        lock(c, id);
      } catch (SQLException e) {
        // the session thread takes it again when it reconnects
      }
    }
  }

  /** Waits until the session is connected (its first time), at most {@code ms}. */
  boolean awaitConnected(long ms) {
    long end = System.nanoTime() + ms * 1_000_000L;
    synchronized (connectedSignal) {
      while (!connected && System.nanoTime() - end < 0) {
        try {
          connectedSignal.wait(Math.max(1, (end - System.nanoTime()) / 1_000_000L));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return connected;
        }
      }
    }
    return connected;
  }

  private final Object connectedSignal = new Object();

  /** Stops proving that process {@code id} is alive. */
  void release(long id) {
    mine.remove(id);
    Connection c = connection;
    if (c != null) {
      synchronized (this) {
        try (PreparedStatement ps =
            c.prepareStatement("SELECT pg_advisory_unlock(" + PgDatabase.LOCK_SPACE + ", ?)")) {
          ps.setInt(1, (int) id);
          ps.executeQuery().close();
        } catch (SQLException e) {
          // a lost session holds nothing
        }
      }
    }
  }

  boolean holds(long id) {
    return mine.contains(id);
  }

  boolean connected() {
    return connected;
  }

  long commitCount() {
    return commits.get();
  }

  /** See {@link Signals#onCommitOf}: the providers are the payloads of channel {@code inflight}. */
  Signals.CommitWatch onCommitOf(Consumer<Set<String>> c) {
    AtomicBoolean paused = new AtomicBoolean();
    Consumer<Set<String>> unlessPaused =
        changed -> {
          if (!paused.get()) {
            c.accept(changed);
          }
        };
    commitSubscribers.add(unlessPaused);
    if (connected) {
      c.accept(null); // commits before the subscription are not reported: look once now
    }
    return new Signals.CommitWatch() {
      @Override
      public void pause() {
        paused.set(true);
      }

      @Override
      public void resume() {
        paused.set(false);
        c.accept(null);
      }

      @Override
      public void close() {
        commitSubscribers.remove(unlessPaused);
      }
    };
  }

  AutoCloseable onWake(Consumer<List<Grant>> c) {
    wakeSubscribers.add(c);
    return () -> wakeSubscribers.remove(c);
  }

  /** Calls {@code onGone} once when nobody holds process {@code id}'s advisory lock. */
  Signals.OwnerWatch watch(long id, Runnable onGone) {
    AtomicBoolean fired = new AtomicBoolean();
    Runnable once =
        () -> {
          if (fired.compareAndSet(false, true)) {
            onGone.run();
          }
        };
    watches.computeIfAbsent(id, k -> new CopyOnWriteArrayList<>()).add(once);
    return new Signals.OwnerWatch() {
      @Override
      public boolean armed() {
        return connected && !fired.get();
      }

      @Override
      public boolean fired() {
        return fired.get();
      }

      @Override
      public void close() {
        List<Runnable> l = watches.get(id);
        if (l != null) {
          l.remove(once);
        }
      }
    };
  }

  // ---------------------------------------------------------------- the session thread

  private void run() {
    long backoff = 0;
    while (!closed) {
      try {
        Connection c = db.connect();
        try (Statement s = c.createStatement()) {
          s.execute("LISTEN inflight");
          s.execute("LISTEN inflight_wake");
        }
        synchronized (this) {
          for (long id : mine) {
            lock(c, id);
          }
          connection = c;
        }
        refresh(c);
        connected = true;
        synchronized (connectedSignal) {
          connectedSignal.notifyAll();
        }
        if (backoff > 0) {
          LOG.log(Level.INFO, "reconnected to the database " + db.url().where());
        }
        backoff = 0;
        // Commits made while the session was away are not reported: everyone looks once.
        tellCommit();
        loop(c);
      } catch (SQLException e) {
        if (closed) {
          break;
        }
        if (connected || backoff == 0) {
          LOG.log(
              Level.WARNING,
              "lost the session with the database "
                  + db.url().where()
                  + " ("
                  + e.getMessage()
                  + "); connecting again. Processes of this JVM keep their leases for "
                  + GRACE_MS / 1000
                  + " s, then treat them as lost");
        }
        connected = false;
        closeQuietly(connection);
        connection = null;
        tellCommit(); // waiters look again (and learn the database is unreachable)
        PgDatabase.sleep(backoff);
        backoff = backoff == 0 ? 250 : Math.min(1000, backoff * 2);
      }
    }
    closeQuietly(connection);
  }

  private void loop(Connection c) throws SQLException {
    PGConnection pg = c.unwrap(PGConnection.class);
    long nextRefresh = System.nanoTime() + PRESENCE_MS * 1_000_000L;
    while (!closed) {
      long waitMs = Math.max(1, (nextRefresh - System.nanoTime()) / 1_000_000L);
      PGNotification[] got;
      synchronized (this) {
        // getNotifications(timeout) blocks on the socket; hold/release (a register, a deregister)
        // wait at most this long for the session.
        got = pg.getNotifications((int) Math.min(waitMs, 100));
      }
      if (got != null && got.length > 0) {
        Set<String> changed = new HashSet<>(); // the providers whose rows changed
        for (PGNotification n : got) {
          if (n.getName().equals("inflight_wake")) {
            if (mine.contains(parse(n.getParameter()))) {
              for (Consumer<List<Grant>> w : wakeSubscribers) {
                w.accept(List.of());
              }
            }
          } else {
            changed.add(n.getParameter());
          }
        }
        if (!changed.isEmpty()) {
          tellCommit(changed);
        }
      }
      if (System.nanoTime() - nextRefresh >= 0) {
        refresh(c);
        nextRefresh = System.nanoTime() + PRESENCE_MS * 1_000_000L;
      }
    }
  }

  /** Tells every subscriber that something changed: anything, when the session cannot tell. */
  private void tellCommit() {
    tellCommit(null);
  }

  private void tellCommit(Set<String> providers) {
    commits.incrementAndGet();
    for (Consumer<Set<String>> c : commitSubscribers) {
      c.accept(providers);
    }
  }

  private static long parse(String s) {
    try {
      return Long.parseLong(s);
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  private static final String REFRESH =
      "UPDATE processes SET heartbeat_at_ms = now_ms(), expires_at_ms = now_ms() + "
          + GRACE_MS
          + " WHERE id = ANY (?)";

  private static final String HELD =
      "SELECT objid::BIGINT FROM " + PgDatabase.LIVENESS_LOCKS + " AND objid::BIGINT = ANY (?)";

  /** Moves this JVM's rows' expiry forward, and fires the watches of owners no longer held. */
  private void refresh(Connection c) throws SQLException {
    synchronized (this) {
      if (!mine.isEmpty()) {
        try (PreparedStatement ps = c.prepareStatement(REFRESH)) {
          ps.setArray(1, c.createArrayOf("bigint", mine.toArray()));
          ps.executeUpdate();
        }
      }
      if (!commitSubscribers.isEmpty()) {
        sawLeases(c);
      }
      if (watches.isEmpty()) {
        return;
      }
      Set<Long> held = new HashSet<>();
      Long[] ids = watches.keySet().toArray(new Long[0]);
      try (PreparedStatement ps = c.prepareStatement(HELD)) {
        ps.setArray(1, c.createArrayOf("bigint", ids));
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            held.add(rs.getLong(1));
          }
        }
      }
      for (Long id : ids) {
        if (!held.contains(id)) {
          List<Runnable> gone = watches.remove(id);
          if (gone != null) {
            gone.forEach(Runnable::run);
          }
        }
      }
    }
  }

  private static final String LEASES_PRINT = "SELECT coalesce(max(id), 0), count(*) FROM leases";

  /** What {@link #LEASES_PRINT} said last round. */
  private String leasesPrint = "";

  /**
   * The slow re-read for changes that notify nobody: leases taken and given back at providers where
   * nobody waits (see the migration's notify_provider). Once a round, for this JVM, not per waiter:
   * subscribers (the status app, {@code status --watch}) hear of them within a second.
   */
  private void sawLeases(Connection c) throws SQLException {
    String print;
    try (PreparedStatement ps = c.prepareStatement(LEASES_PRINT);
        ResultSet rs = ps.executeQuery()) {
      rs.next();
      print = rs.getLong(1) + "/" + rs.getLong(2);
    }
    if (!print.equals(leasesPrint)) {
      boolean first = leasesPrint.isEmpty();
      leasesPrint = print;
      if (!first) {
        tellCommit();
      }
    }
  }

  private static void lock(Connection c, long id) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement("SELECT pg_try_advisory_lock(" + PgDatabase.LOCK_SPACE + ", ?)")) {
      ps.setInt(1, (int) id);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        if (!rs.getBoolean(1)) {
          LOG.log(
              Level.WARNING,
              "another session holds the liveness lock of process " + id + "; not taking it");
        }
      }
    }
  }

  private static void closeQuietly(Connection c) {
    if (c != null) {
      try {
        c.close();
      } catch (SQLException ignored) {
        // gone either way
      }
    }
  }

  @Override
  public void close() {
    closed = true;
    Connection c = connection;
    thread.interrupt();
    closeQuietly(c);
    try {
      thread.join(2000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
