package dev.inflight.store.sqlite;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Learns of every commit to the database, by any process or by a hand edit with sqlite3, through
 * inotify on the database's directory: each commit writes the {@code -wal} file. No polling. If the
 * watch cannot be set up, waiters' periodic re-check still runs. Started on the first subscription;
 * the thread is its only reader of events.
 */
final class CommitWatcher implements Runnable {
  private static final System.Logger LOG = System.getLogger("dev.inflight.store");

  private final Path dbFile;
  private final List<Runnable> subscribers = new CopyOnWriteArrayList<>();
  private final Object startLock = new Object();
  private WatchService service; // guarded by startLock
  private boolean started; // guarded by startLock
  private volatile boolean closing;
  private volatile Thread thread;

  CommitWatcher(Path dbFile) {
    this.dbFile = dbFile;
  }

  AutoCloseable subscribe(Runnable onCommit) {
    subscribers.add(onCommit);
    start();
    return () -> subscribers.remove(onCommit);
  }

  private void start() {
    synchronized (startLock) {
      if (started || closing) {
        return;
      }
      started = true;
      try {
        service = FileSystems.getDefault().newWatchService();
        register();
      } catch (IOException | UnsupportedOperationException e) {
        LOG.log(
            Level.WARNING,
            "cannot watch "
                + dbFile.getParent()
                + " for changes ("
                + e
                + "); waiters re-check every second instead");
        return;
      }
      Thread t = new Thread(this, "inflight-watch");
      t.setDaemon(true);
      thread = t;
      t.start();
    }
  }

  private void register() throws IOException {
    dbFile
        .getParent()
        .register(
            service, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_MODIFY);
  }

  @Override
  public void run() {
    String name = dbFile.getFileName().toString();
    try {
      while (!closing) {
        WatchKey key = service.take();
        boolean relevant = false;
        for (WatchEvent<?> ev : key.pollEvents()) {
          if (ev.kind() == StandardWatchEventKinds.OVERFLOW) {
            relevant = true;
          } else if (ev.context() instanceof Path p) {
            String n = p.toString();
            relevant |= n.equals(name) || n.equals(name + "-wal");
          }
        }
        if (!key.reset()) {
          // A key also turns invalid when the service is being closed: only a directory that is
          // really gone is worth a warning, and one that still exists is watched again.
          if (closing) {
            return;
          }
          if (!Files.isDirectory(dbFile.getParent())) {
            LOG.log(
                Level.WARNING,
                "stopped watching " + dbFile.getParent() + ": the directory is gone");
            return;
          }
          register();
        }
        if (relevant) {
          for (Runnable r : subscribers) {
            try {
              r.run();
            } catch (RuntimeException e) {
              LOG.log(Level.WARNING, "a change listener threw", e);
            }
          }
        }
      }
    } catch (InterruptedException | ClosedWatchServiceException e) {
      // closing
    } catch (IOException e) {
      if (!closing) {
        LOG.log(Level.WARNING, "stopped watching " + dbFile.getParent() + ": " + e);
      }
    }
  }

  /** Whether commits are being watched (else waiters must re-check often). */
  boolean watching() {
    Thread t = thread;
    return t != null && t.isAlive();
  }

  void close() {
    closing = true;
    synchronized (startLock) {
      if (service != null) {
        try {
          service.close();
        } catch (IOException e) {
          // already closed
        }
      }
    }
  }
}
