package dev.inflight.store.sqlite;

import dev.inflight.store.Signals.OwnerWatch;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Waits, in the kernel, for another process's lock file to be unlocked: that happens the instant
 * the process dies (or closes its limiter). Costs one parked thread and no CPU. The lock is only a
 * hint that something changed; who is dead is then decided from the pid and its start time.
 */
final class LockWatch implements Runnable, OwnerWatch {
  private final Path file;
  private final Runnable onUnlocked;
  private volatile FileChannel channel;
  private volatile boolean closed;
  private volatile boolean fired;
  private volatile boolean armed;

  private LockWatch(Path file, Runnable onUnlocked) {
    this.file = file;
    this.onUnlocked = onUnlocked;
  }

  static LockWatch start(Path file, Runnable onUnlocked) {
    LockWatch w = new LockWatch(file, onUnlocked);
    Thread t = new Thread(w, "inflight-deathwatch-" + file.getFileName());
    t.setDaemon(true);
    t.start();
    return w;
  }

  @Override
  public void run() {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
      channel = ch;
      if (closed) {
        return;
      }
      FileLock free = ch.tryLock();
      if (free != null) {
        free.release(); // nobody holds it: the owner is gone, or never locked it
      } else {
        armed = true;
        ch.lock().release();
      }
    } catch (NoSuchFileException e) {
      return; // a client without a lock file: the waiter's periodic re-check covers it
    } catch (IOException | RuntimeException e) {
      // Closed by us, not lockable, or the wait failed once armed (Linux's deadlock detector
      // answers EDEADLK to processes that wait on each other's files): this watch can no longer
      // tell of the owner's end, so it stops counting as armed, and the waiter's periodic full
      // re-check (every second while an owner is not watched) covers the owner instead.
      armed = false;
      return;
    }
    if (!closed) {
      fired = true;
      onUnlocked.run();
    }
  }

  @Override
  public boolean armed() {
    return armed && !fired;
  }

  @Override
  public boolean fired() {
    return fired;
  }

  @Override
  public void close() {
    closed = true;
    FileChannel ch = channel;
    if (ch != null) {
      try {
        ch.close();
      } catch (IOException e) {
        // nothing to do: the thread ends when the watched process does
      }
    }
  }
}
