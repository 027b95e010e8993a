package dev.inflight.store.sqlite;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * The few connections one process keeps to its database file: opened on demand up to {@code max},
 * never retired (while one is open SQLite keeps {@code -wal} and {@code -shm} in place, which is
 * how other processes tell a deleted WAL from an idle database), closed only when broken or at the
 * end. A general pool's validation, lifetimes and proxies buy nothing for a local file and cost
 * start-up time and a proxy call on every statement.
 *
 * <p>Thread-safe: guarded by {@code lock}.
 */
final class Connections implements AutoCloseable {
  /** Opens one physical connection, set up (pragmas, busy handler) and in autocommit mode. */
  interface Opener {
    Connection open() throws SQLException;
  }

  private final Opener opener;
  private final int max;
  private final long waitNanos;
  private final Supplier<String> what;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition returned = lock.newCondition();
  private final ArrayDeque<Connection> idle = new ArrayDeque<>(); // guarded by lock
  private final List<Connection> all = new ArrayList<>(); // guarded by lock
  private int opening; // guarded by lock
  private boolean closed; // guarded by lock

  /**
   * @param waitNanos how long a caller waits for a connection when {@code max} are in use
   * @param what names the database for the error when none came in time
   */
  Connections(Opener opener, int max, long waitNanos, Supplier<String> what) {
    this.opener = opener;
    this.max = max;
    this.waitNanos = waitNanos;
    this.what = what;
  }

  /** Opens the first connection now, so that a file SQLite cannot open fails at start. */
  void warm() throws SQLException {
    giveBack(borrow());
  }

  Connection borrow() throws SQLException {
    long nanos = waitNanos;
    lock.lock();
    try {
      while (true) {
        if (closed) {
          throw new SQLException("the connections to " + what.get() + " are closed");
        }
        Connection c = idle.pollFirst();
        if (c != null) {
          return c;
        }
        if (all.size() + opening < max) {
          opening++;
          break;
        }
        if (nanos <= 0) {
          throw new SQLException(
              "all " + max + " connections to " + what.get() + " stayed in use (busy timeout)");
        }
        try {
          nanos = returned.awaitNanos(nanos);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new SQLException("interrupted while waiting for a connection", e);
        }
      }
    } finally {
      lock.unlock();
    }
    Connection c = null;
    try {
      c = opener.open(); // outside the lock: opening touches the file
      return c;
    } finally {
      lock.lock();
      try {
        opening--;
        if (c != null) {
          all.add(c);
        }
        returned.signal();
      } finally {
        lock.unlock();
      }
    }
  }

  /** Returns a healthy connection, outside any transaction. */
  void giveBack(Connection c) {
    lock.lock();
    try {
      if (!closed) {
        idle.addFirst(c); // the most recently used first: its statements and pages are warm
        returned.signal();
        return;
      }
    } finally {
      lock.unlock();
    }
    quietlyClose(c);
  }

  /** Closes a connection that may be in any state; it is never handed out again. */
  void evict(Connection c) {
    lock.lock();
    try {
      all.remove(c);
      idle.remove(c);
      returned.signal();
    } finally {
      lock.unlock();
    }
    quietlyClose(c);
  }

  @Override
  public void close() {
    List<Connection> toClose;
    lock.lock();
    try {
      closed = true;
      toClose = new ArrayList<>(all);
      all.clear();
      idle.clear();
      returned.signalAll();
    } finally {
      lock.unlock();
    }
    toClose.forEach(Connections::quietlyClose);
  }

  private static void quietlyClose(Connection c) {
    try {
      c.close();
    } catch (SQLException e) {
      // nothing more to release
    }
  }

  static long nanos(long millis) {
    return TimeUnit.MILLISECONDS.toNanos(millis);
  }
}
