package dev.inflight.store.sqlite;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Wakes exactly the processes that a commit granted a lease to, and nobody else. Each registered
 * process that has queued a request listens on a Unix-domain socket, {@code procs/<id>.sock}, in
 * the database's private directory (no network port); it starts before its first request is queued.
 * Whoever commits a transaction that turned queued requests into leases connects once to each of
 * their owners' sockets after the commit; connecting is the whole message. An owner registered in
 * this engine is told directly, without a socket.
 *
 * <p>A wake-up is a hint, never the grant itself: the woken process reads the database to learn
 * what it holds. A lost wake-up (the owner's socket is missing, refused, its backlog full, its path
 * too long for a socket address) costs the owner latency until its commit watch or its periodic
 * re-read, never a lease.
 *
 * <p>Thread-safety: the maps are concurrent; each listening socket has one acceptor thread.
 */
final class WakeSockets implements AutoCloseable {
  private static final System.Logger LOG = SqliteEngine.LOG;

  private final LockFiles files;
  private final List<Runnable> subscribers = new CopyOnWriteArrayList<>();

  /** The processes registered through this engine, with the socket each listens on (or none). */
  private final Map<Long, Listener> local = new ConcurrentHashMap<>();

  private volatile boolean warned;

  WakeSockets(LockFiles files) {
    this.files = files;
  }

  AutoCloseable subscribe(Runnable onWake) {
    subscribers.add(onWake);
    return () -> subscribers.remove(onWake);
  }

  /**
   * Starts listening for process {@code processId}, registered now through this engine, replacing
   * any socket it had (a process that registers again after being reclaimed lost its file).
   */
  void listen(long processId) {
    stop(processId);
    Path path = files.wakeSocket(processId);
    Listener listener = new Listener(processId, path, bind(path));
    local.put(processId, listener);
    listener.start();
  }

  /** Whether this engine listens (or tried to) for process {@code processId}. */
  boolean knows(long processId) {
    return local.containsKey(processId);
  }

  /** Stops listening for a process that deregistered, and removes its socket file. */
  void stop(long processId) {
    Listener l = local.remove(processId);
    if (l != null) {
      l.close();
    }
  }

  /** Whether some process registered here listens, so that others can wake it directly. */
  boolean listening() {
    for (Listener l : local.values()) {
      if (l.server != null && l.accepting) {
        return true;
      }
    }
    return false;
  }

  /**
   * Listens again for a process whose socket stopped working: its acceptor ended (an I/O error) or
   * its file is gone (a process that reclaimed this one deleted it). Called at each heartbeat.
   */
  void keepListening(long processId) {
    Listener l = local.get(processId);
    if (l == null || l.server == null) {
      return; // not ours, or it could never listen: nothing new to try
    }
    if (!l.accepting || !Files.exists(l.path)) {
      listen(processId);
    }
  }

  /** Wakes the owners a committed transaction granted leases to. */
  void wake(Set<Long> owners) {
    boolean here = false;
    for (long owner : owners) {
      if (local.containsKey(owner)) {
        here = true;
      } else {
        send(owner);
      }
    }
    if (here) {
      fire();
    }
  }

  private void send(long owner) {
    if (owner <= 0) {
      return;
    }
    try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      // Never block a committer on a process that does not accept (stopped, or its backlog full).
      ch.configureBlocking(false);
      ch.connect(UnixDomainSocketAddress.of(files.wakeSocket(owner)));
    } catch (IOException | InvalidPathException | UnsupportedOperationException e) {
      // Gone, not listening, or a foreign client that cannot be woken: it re-reads on its own.
    }
  }

  private void fire() {
    for (Runnable r : subscribers) {
      try {
        r.run();
      } catch (RuntimeException e) {
        LOG.log(Level.WARNING, "a wake-up listener threw", e);
      }
    }
  }

  private ServerSocketChannel bind(Path path) {
    ServerSocketChannel server = null;
    try {
      PrivateFiles.directory(path.getParent());
      Files.deleteIfExists(path); // a socket of ours a reclaimer did not delete, or a stale one
      server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
      server.bind(UnixDomainSocketAddress.of(path), 128);
      PrivateFiles.restrict(path);
      return server;
    } catch (IOException | InvalidPathException | UnsupportedOperationException e) {
      if (server != null) {
        try {
          server.close();
        } catch (IOException ignored) {
          // nothing was bound
        }
      }
      if (!warned) {
        warned = true;
        LOG.log(
            Level.INFO,
            "cannot listen for wake-ups on "
                + path
                + " ("
                + e
                + "); this process learns of grants through its commit watch instead");
      }
      return null;
    }
  }

  @Override
  public void close() {
    for (Long id : List.copyOf(local.keySet())) {
      stop(id);
    }
  }

  /** One process's socket and the thread that accepts on it. */
  private final class Listener implements Runnable {
    private final Path path;
    private final ServerSocketChannel server; // null when it could not be bound
    private final Thread thread;
    private volatile boolean closing;
    private volatile boolean accepting = true;

    Listener(long processId, Path path, ServerSocketChannel server) {
      this.path = path;
      this.server = server;
      this.thread = new Thread(this, "inflight-wake-" + processId);
      this.thread.setDaemon(true);
    }

    void start() {
      if (server != null) {
        thread.start();
      }
    }

    @Override
    public void run() {
      try {
        accept();
      } finally {
        accepting = false;
      }
    }

    private void accept() {
      while (!closing) {
        try (SocketChannel ignored = server.accept()) {
          fire();
        } catch (ClosedChannelException e) {
          return;
        } catch (IOException e) {
          if (!closing) {
            LOG.log(Level.WARNING, "stopped listening for wake-ups on " + path + ": " + e);
          }
          return;
        }
      }
    }

    void close() {
      closing = true;
      if (server == null) {
        return;
      }
      try {
        server.close();
      } catch (IOException e) {
        // closed already
      }
      try {
        Files.deleteIfExists(path);
      } catch (IOException e) {
        // a stale socket file is refused by every connect, and replaced on the next bind
      }
    }
  }
}
