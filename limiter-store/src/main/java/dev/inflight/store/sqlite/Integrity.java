package dev.inflight.store.sqlite;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Notices that the files this process has open were deleted or replaced under it: {@code
 * limiter.db}, or its {@code -wal} or {@code -shm}. SQLite keeps using the open (deleted) files, so
 * this process and every process started since would each see a database of their own, and the
 * limit would be shared by neither. Checked at each heartbeat and status read; said once, loudly.
 */
final class Integrity {
  private final Path file;
  private final List<Object> opened;
  private final AtomicBoolean told = new AtomicBoolean();

  Integrity(Path file) {
    this.file = file;
    this.opened = identities(file);
  }

  /** Logs an error, once, if the files at the database's paths are no longer the ones opened. */
  void check() {
    if (told.get()) {
      return;
    }
    List<Object> now = identities(file);
    List<String> changed = new ArrayList<>();
    String[] names = {"", "-wal", "-shm"};
    for (int i = 0; i < names.length; i++) {
      if (!Objects.equals(opened.get(i), now.get(i))) {
        changed.add(file.getFileName() + names[i]);
      }
    }
    if (!changed.isEmpty() && told.compareAndSet(false, true)) {
      SqliteEngine.LOG.log(
          Level.ERROR,
          String.join(" and ", changed)
              + " of the database "
              + file
              + (changed.size() == 1 ? " was" : " were")
              + " deleted or replaced while this process had it open: processes started"
              + " since then use a different database, and limits are no longer shared with"
              + " them. Stop every inflight process that uses "
              + file
              + ", this one included; new ones are refused until then, and the database is"
              + " whole again once they have all exited");
    }
  }

  private static List<Object> identities(Path file) {
    List<Object> out = new ArrayList<>(3);
    for (String suffix : new String[] {"", "-wal", "-shm"}) {
      out.add(identity(file.resolveSibling(file.getFileName() + suffix)));
    }
    return out;
  }

  private static Object identity(Path p) {
    try {
      return Files.readAttributes(p, "unix:dev,ino");
    } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
      return null; // missing (or not a Unix file system): compared as such
    }
  }
}
