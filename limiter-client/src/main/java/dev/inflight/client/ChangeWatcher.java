package dev.inflight.client;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;

/**
 * Learns of every commit to the database, by any process or by a hand edit with sqlite3, through
 * inotify on the database's directory: each commit writes the {@code -wal} file. No polling. If the
 * watch cannot be set up, the dispatcher's periodic re-check still runs.
 */
final class ChangeWatcher implements Runnable {
  private final Path dbFile;
  private final Runnable onChange;
  private WatchService service;
  private volatile Thread thread;

  ChangeWatcher(Path dbFile, Runnable onChange) {
    this.dbFile = dbFile;
    this.onChange = onChange;
  }

  void start() {
    try {
      service = FileSystems.getDefault().newWatchService();
      dbFile
          .getParent()
          .register(
              service, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_MODIFY);
    } catch (IOException | UnsupportedOperationException e) {
      DefaultLimiter.LOG.log(
          Level.WARNING,
          "cannot watch "
              + dbFile.getParent()
              + " for changes ("
              + e
              + "); waiters re-check every "
              + DefaultLimiter.FALLBACK_RECHECK_MS
              + "ms instead");
      return;
    }
    thread = new Thread(this, "inflight-watch");
    thread.setDaemon(true);
    thread.start();
  }

  @Override
  public void run() {
    String name = dbFile.getFileName().toString();
    try {
      while (true) {
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
          DefaultLimiter.LOG.log(
              Level.WARNING, "stopped watching " + dbFile.getParent() + ": the directory is gone");
          return;
        }
        if (relevant) {
          onChange.run();
        }
      }
    } catch (InterruptedException | ClosedWatchServiceException e) {
      // closing
    }
  }

  /** Whether commits are being watched (else waiters must re-check often). */
  boolean watching() {
    Thread t = thread;
    return t != null && t.isAlive();
  }

  void close() {
    if (service != null) {
      try {
        service.close();
      } catch (IOException e) {
        // already closed
      }
    }
  }
}
