package dev.inflight.store.sqlite;

import dev.inflight.store.Signals.CommitWatch;
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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Learns of every commit to the database, by any process or by a hand edit with sqlite3, through
 * inotify on the database's directory: each commit writes the {@code -wal} file. No polling. If the
 * watch cannot be set up, waiters' periodic re-check still runs. A change of the database file
 * itself is no commit in WAL mode (a checkpoint copying pages into it, which every heartbeat may
 * run): only its creation counts (the file replaced by another). Started on the first subscription;
 * the thread is its only reader of events.
 *
 * <p>While every subscriber is paused the directory is not watched at all (the watcher thread
 * cancels the key at the first event it sees then), so that other processes' commits wake none of
 * this process's threads; the first resume watches again (off the caller's thread) and reports
 * once. Neither pause nor resume ever blocks its caller. Watching state is written under {@code
 * lock}.
 */
final class CommitWatcher implements Runnable {
  private static final System.Logger LOG = SqliteEngine.LOG;

  private final Path dbFile;
  private final List<Subscription> subscribers = new CopyOnWriteArrayList<>();
  private final Object lock = new Object();
  private WatchService service; // guarded by lock
  private volatile WatchKey key; // written under lock; null while nobody listens
  private volatile boolean started; // written under lock
  private volatile boolean closing;
  private volatile Thread thread;
  private volatile long batchesRead; // written by the watcher thread only

  CommitWatcher(Path dbFile) {
    this.dbFile = dbFile;
  }

  CommitWatch subscribe(Runnable onCommit) {
    Subscription s = new Subscription(onCommit);
    subscribers.add(s);
    start();
    watchSoon(); // the watch may have been dropped when the last subscriber left
    return s;
  }

  private void start() {
    synchronized (lock) {
      if (started || closing) {
        return;
      }
      started = true;
      try {
        service = FileSystems.getDefault().newWatchService();
        watch();
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

  /** Watches the directory if some subscriber listens and it is not watched yet. */
  private void watch() throws IOException {
    synchronized (lock) {
      if (key == null && !closing && service != null && anyListening()) {
        key =
            dbFile
                .getParent()
                .register(
                    service,
                    StandardWatchEventKinds.ENTRY_CREATE,
                    StandardWatchEventKinds.ENTRY_MODIFY);
      }
    }
  }

  /** Stops watching when no subscriber listens (on the watcher thread, or at unsubscribe). */
  private void unwatchIfIdle() {
    synchronized (lock) {
      if (key != null && !anyListening()) {
        key.cancel();
        key = null;
      }
    }
  }

  /**
   * Watches again, off the caller's thread: registering waits for the JDK's own watch thread, which
   * a busy machine can keep a waiter's dispatcher waiting on.
   */
  private void watchSoon() {
    if (!closing && started) {
      CompletableFuture.runAsync(
          () -> {
            try {
              watch();
            } catch (IOException e) {
              LOG.log(Level.WARNING, "cannot watch " + dbFile.getParent() + " again: " + e);
            }
          });
    }
  }

  private boolean anyListening() {
    for (Subscription s : subscribers) {
      if (!s.paused) {
        return true;
      }
    }
    return false;
  }

  @Override
  public void run() {
    String name = dbFile.getFileName().toString();
    try {
      while (!closing) {
        WatchKey k = service.take();
        boolean relevant = false;
        for (WatchEvent<?> ev : k.pollEvents()) {
          if (ev.kind() == StandardWatchEventKinds.OVERFLOW) {
            relevant = true;
          } else if (ev.context() instanceof Path p) {
            String n = p.toString();
            relevant |=
                n.equals(name + "-wal")
                    || n.equals(name) && ev.kind() == StandardWatchEventKinds.ENTRY_CREATE;
          }
        }
        if (!k.reset()) {
          synchronized (lock) {
            if (closing) {
              return;
            }
            if (k != key) {
              continue; // cancelled by a pause (or replaced): nothing is wrong
            }
            key = null;
            // A key also turns invalid when the service is being closed: only a directory that is
            // really gone is worth a warning, and one that still exists is watched again.
            if (!Files.isDirectory(dbFile.getParent())) {
              LOG.log(
                  Level.WARNING,
                  "stopped watching " + dbFile.getParent() + ": the directory is gone");
              return;
            }
            watch();
          }
        }
        if (relevant) {
          for (Subscription s : subscribers) {
            s.report();
          }
        }
        batchesRead++;
        // Everyone paused: stop watching, so that further commits wake none of our threads.
        unwatchIfIdle();
      }
    } catch (InterruptedException | ClosedWatchServiceException e) {
      // closing
    } catch (IOException e) {
      if (!closing) {
        LOG.log(Level.WARNING, "stopped watching " + dbFile.getParent() + ": " + e);
      }
    }
  }

  /**
   * Whether commits are being watched (else waiters must re-check often): the thread runs, and the
   * directory is watched unless every subscriber paused.
   */
  boolean watching() {
    Thread t = thread;
    return t != null && t.isAlive() && (key != null || !anyListening());
  }

  /** How many batches of directory events the watcher has looked at (for tests). */
  long batchesRead() {
    return batchesRead;
  }

  /** Whether the directory is watched right now (not while every subscriber is paused). */
  boolean watchingDirectory() {
    synchronized (lock) {
      return key != null;
    }
  }

  void close() {
    closing = true;
    synchronized (lock) {
      if (service != null) {
        try {
          service.close();
        } catch (IOException e) {
          // already closed
        }
      }
    }
  }

  private final class Subscription implements CommitWatch {
    private final Runnable onCommit;
    private volatile boolean paused;

    Subscription(Runnable onCommit) {
      this.onCommit = onCommit;
    }

    void report() {
      if (paused) {
        return;
      }
      try {
        onCommit.run();
      } catch (RuntimeException e) {
        LOG.log(Level.WARNING, "a change listener threw", e);
      }
    }

    @Override
    public void pause() {
      paused = true; // the watcher thread stops watching at its next event if everyone paused
    }

    @Override
    public void resume() {
      paused = false;
      watchSoon(); // always: the watcher thread may be cancelling the key right now
      report(); // whatever was committed meanwhile
    }

    @Override
    public void close() {
      subscribers.remove(this);
      unwatchIfIdle();
    }
  }
}
