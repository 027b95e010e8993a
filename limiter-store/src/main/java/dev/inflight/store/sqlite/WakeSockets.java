package dev.inflight.store.sqlite;

import dev.inflight.store.Rows.Grant;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * Wakes exactly the processes that a commit granted a lease to, and nobody else. Each registered
 * process that has queued a request listens on a Unix-domain socket, {@code procs/<id>.sock}, in
 * the database's private directory (no network port); it starts before its first request is queued.
 * Whoever commits a transaction that turned queued requests into leases connects once to each of
 * their owners' sockets after the commit, writes which requests it granted ({@link WakeMessage})
 * and closes. An owner registered in this engine is told directly, without a socket.
 *
 * <p>A wake-up names grants that are committed, so the woken process can hand them over without a
 * read; one that names none (a client that only connects) makes it read the database. A lost
 * wake-up (the owner's socket is missing, refused, its backlog full, its path too long for a socket
 * address) costs the owner latency until its commit watch or its periodic re-read, never a lease.
 *
 * <p>Thread-safety: the maps are concurrent; each listening socket has one acceptor thread, which
 * alone touches its selector and the connections it accepted.
 */
final class WakeSockets implements AutoCloseable {
  private static final System.Logger LOG = SqliteEngine.LOG;

  private final LockFiles files;
  private final List<Consumer<List<Grant>>> subscribers = new CopyOnWriteArrayList<>();

  /** The processes registered through this engine, with the socket each listens on (or none). */
  private final Map<Long, Listener> local = new ConcurrentHashMap<>();

  private volatile boolean warned;

  WakeSockets(LockFiles files) {
    this.files = files;
  }

  AutoCloseable subscribe(Consumer<List<Grant>> onWake) {
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

  /** Wakes the owners a committed transaction granted leases to, saying what each was granted. */
  void wake(Map<Long, List<Grant>> granted) {
    for (Map.Entry<Long, List<Grant>> e : granted.entrySet()) {
      if (local.containsKey(e.getKey())) {
        fire(e.getValue());
      } else {
        send(e.getKey(), e.getValue());
      }
    }
  }

  private void send(long owner, List<Grant> grants) {
    if (owner <= 0) {
      return;
    }
    try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      // Never block a committer on a process that does not accept (stopped, or its backlog full).
      ch.configureBlocking(false);
      if (ch.connect(UnixDomainSocketAddress.of(files.wakeSocket(owner)))) {
        // A few dozen bytes into a new connection's empty buffer: written whole, or the owner
        // sees a line cut short and reads the database instead.
        ch.write(ByteBuffer.wrap(WakeMessage.encode(grants)));
      }
    } catch (IOException | InvalidPathException | UnsupportedOperationException e) {
      // Gone, not listening, or a foreign client that cannot be woken: it re-reads on its own.
    }
  }

  private void fire(List<Grant> grants) {
    for (Consumer<List<Grant>> c : subscribers) {
      try {
        c.accept(grants);
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

  /**
   * One process's socket and the thread that accepts on it and reads what each waker writes. A
   * connection is read until its waker closes it; one that stays open and silent longer than {@link
   * #SILENT_NANOS} is closed as a bare wake-up, and at most {@link #MAX_OPEN} are read at once
   * (more are taken as bare wake-ups at once).
   */
  private final class Listener implements Runnable {
    private static final long SILENT_NANOS = 1_000_000_000L;
    private static final int MAX_OPEN = 64;

    private final Path path;
    private final ServerSocketChannel server; // null when it could not be bound
    private final Thread thread;
    private volatile boolean closing;
    private volatile boolean accepting = true;
    private Selector selector; // acceptor thread only, after start

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
      try (Selector s = Selector.open()) {
        selector = s;
        server.configureBlocking(false);
        server.register(s, SelectionKey.OP_ACCEPT);
        serve(s);
      } catch (ClosedChannelException | ClosedSelectorException e) {
        // closing
      } catch (IOException e) {
        if (!closing) {
          LOG.log(Level.WARNING, "stopped listening for wake-ups on " + path + ": " + e);
        }
      } finally {
        accepting = false;
      }
    }

    /** One waker's connection being read. */
    private static final class Incoming {
      final SocketChannel ch;
      final long since;
      final ByteBuffer buf = ByteBuffer.allocate(WakeMessage.MAX_BYTES);

      Incoming(SocketChannel ch, long since) {
        this.ch = ch;
        this.since = since;
      }
    }

    private void serve(Selector s) throws IOException {
      int open = 0;
      while (!closing) {
        s.select(open == 0 ? 0 : SILENT_NANOS / 1_000_000L);
        for (SelectionKey k : s.selectedKeys()) {
          if (!k.isValid()) {
            continue;
          }
          if (k.isAcceptable()) {
            SocketChannel ch;
            while ((ch = server.accept()) != null) {
              if (open >= MAX_OPEN) {
                ch.close();
                fire(List.of());
                continue;
              }
              ch.configureBlocking(false);
              Incoming in = new Incoming(ch, System.nanoTime());
              ch.register(s, SelectionKey.OP_READ, in);
              open++;
              if (read(ch.keyFor(s), in)) {
                open--;
              }
            }
          } else if (k.isReadable() && read(k, (Incoming) k.attachment())) {
            open--;
          }
        }
        s.selectedKeys().clear();
        if (open > 0) {
          open -= closeSilent(s);
        }
      }
    }

    /** Reads what has arrived; at end of stream, tells the subscribers. True when it closed. */
    private boolean read(SelectionKey k, Incoming in) throws IOException {
      int n;
      try {
        do {
          n = in.ch.read(in.buf);
        } while (n > 0 && in.buf.hasRemaining());
      } catch (IOException e) {
        n = -1; // the waker reset the connection: a wake-up all the same
      }
      if (n >= 0 && in.buf.hasRemaining()) {
        return false; // more to come
      }
      finish(k, in);
      return true;
    }

    private void finish(SelectionKey k, Incoming in) {
      if (k != null) {
        k.cancel();
      }
      try {
        in.ch.close();
      } catch (IOException e) {
        // nothing to release
      }
      boolean[] complete = new boolean[1];
      List<Grant> grants = WakeMessage.parse(in.buf.array(), in.buf.position(), complete);
      // A message not understood in full may have named a grant it did not say right: read.
      fire(complete[0] ? grants : List.of());
    }

    /** Closes connections silent for too long, as bare wake-ups; returns how many. */
    private int closeSilent(Selector s) {
      long now = System.nanoTime();
      int closed = 0;
      for (SelectionKey k : s.keys()) {
        if (k.attachment() instanceof Incoming in && now - in.since > SILENT_NANOS) {
          finish(k, in);
          closed++;
        }
      }
      return closed;
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
      Selector s = selector;
      if (s != null) {
        s.wakeup();
      }
      try {
        Files.deleteIfExists(path);
      } catch (IOException e) {
        // a stale socket file is refused by every connect, and replaced on the next bind
      }
    }
  }
}
