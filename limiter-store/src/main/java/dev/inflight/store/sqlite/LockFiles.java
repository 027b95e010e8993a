package dev.inflight.store.sqlite;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * The files beside the database, named in one place: {@code procs/<id>.lock} (one per live process,
 * locked for as long as it runs), {@code limiter.db.lock} (held while migrating) and {@code
 * limiter.db.id} (says that a database existed here).
 *
 * <p>Locks are POSIX record locks ({@code fcntl}), what {@link FileChannel#lock()} takes on Linux;
 * other languages must take the same kind (see migrations/README.md). Whether another process holds
 * one is read from {@code /proc/locks}, which names the holder's pid, without touching the lock.
 */
final class LockFiles {
  /**
   * Lock files this JVM holds (every engine's presences). Opening and closing a second descriptor
   * of such a file would drop this JVM's own POSIX lock on it, so they are never probed.
   */
  private static final java.util.Set<Path> HELD_HERE =
      java.util.concurrent.ConcurrentHashMap.newKeySet();

  private final Path dbFile;
  private final Path procs;

  LockFiles(Path dbFile) {
    this.dbFile = dbFile;
    this.procs = dbFile.resolveSibling("procs");
  }

  Path procsDir() {
    return procs;
  }

  Path processLock(long processId) {
    return procs.resolve(processId + ".lock");
  }

  /** Where process {@code processId} can be woken: a Unix-domain socket it listens on. */
  Path wakeSocket(long processId) {
    return procs.resolve(processId + ".sock");
  }

  Path migrationLock() {
    return dbFile.resolveSibling(dbFile.getFileName() + ".lock");
  }

  Path marker() {
    return dbFile.resolveSibling(dbFile.getFileName() + ".id");
  }

  /**
   * Deletes a reclaimed process's lock file and wake socket; a stale one costs nothing but a
   * directory entry.
   */
  void delete(long processId) {
    if (processId <= 0) {
      return;
    }
    try {
      Files.deleteIfExists(processLock(processId));
      Files.deleteIfExists(wakeSocket(processId));
    } catch (IOException e) {
      // harmless
    }
  }

  /** This process's own liveness lock, held from registration until it deregisters. */
  Presence hold(long processId) throws IOException {
    PrivateFiles.directory(procs);
    Path f = processLock(processId);
    FileChannel ch = PrivateFiles.openForLocking(f);
    try {
      Presence p = new Presence(f, ch, ch.lock());
      HELD_HERE.add(f.toAbsolutePath());
      return p;
    } catch (IOException | RuntimeException e) {
      ch.close();
      throw e;
    }
  }

  /** A held liveness lock. Closing it unlocks the file; the owner then deletes it. */
  static final class Presence implements AutoCloseable {
    private final Path file;
    private final FileChannel channel;
    private final FileLock lock;

    Presence(Path file, FileChannel channel, FileLock lock) {
      this.file = file;
      this.channel = channel;
      this.lock = lock;
    }

    @Override
    public void close() {
      HELD_HERE.remove(file.toAbsolutePath());
      try {
        lock.release();
      } catch (IOException e) {
        // the kernel drops it when the channel closes
      }
      try {
        channel.close();
      } catch (IOException e) {
        // the kernel drops the lock when the process exits anyway
      }
    }
  }

  /**
   * Whether process {@code pid} holds the write lock on {@code procs/<id>.lock} now: the proof that
   * it is alive and still registered, whatever the clocks say. Where {@code /proc/locks} cannot be
   * read, whether anyone holds it (a probe with a lock attempt).
   */
  boolean heldBy(long processId, long pid) {
    Path f = processLock(processId);
    FileId id = fileId(f);
    if (id == null) {
      return false;
    }
    List<Held> held = readProcLocks();
    if (held == null) {
      return probeHeld(f);
    }
    for (Held h : held) {
      if (h.file().equals(id) && (h.pid() == pid || h.pid() == -1)) {
        return true;
      }
    }
    return false;
  }

  /** The lock files in {@code procs/} that a running process holds now, with that process. */
  List<Holder> liveHolders() {
    List<Holder> out = new ArrayList<>();
    if (!Files.isDirectory(procs)) {
      return out;
    }
    List<Held> held = readProcLocks();
    try (DirectoryStream<Path> files = Files.newDirectoryStream(procs, "*.lock")) {
      for (Path f : files) {
        if (held == null) {
          if (probeHeld(f)) {
            out.add(new Holder(f, 0));
          }
          continue;
        }
        FileId id = fileId(f);
        for (Held h : held) {
          if (h.file().equals(id)) {
            out.add(new Holder(f, h.pid()));
            break;
          }
        }
      }
    } catch (IOException e) {
      // an unreadable procs/ hides nothing we could act on
    }
    return out;
  }

  /** A lock file and the pid holding it (0 when unknown, -1 for an open-file-description lock). */
  record Holder(Path file, long pid) {}

  /** A file as the kernel names it: device (major, minor) and inode. */
  private record FileId(long major, long minor, long inode) {}

  private record Held(long pid, FileId file) {}

  /** Granted write locks from {@code /proc/locks}; null when it cannot be read. */
  private static List<Held> readProcLocks() {
    List<String> lines;
    try {
      lines = Files.readAllLines(Path.of("/proc/locks"), StandardCharsets.US_ASCII);
    } catch (IOException | RuntimeException e) {
      return null;
    }
    List<Held> out = new ArrayList<>();
    for (String line : lines) {
      // "1: POSIX  ADVISORY  WRITE 4242 fd:01:1234567 0 EOF"; blocked requests have "->".
      String[] f = line.trim().split("\\s+");
      if (f.length < 6 || f[1].equals("->")) {
        continue;
      }
      if (!(f[1].equals("POSIX") || f[1].equals("OFDLCK")) || !f[3].equals("WRITE")) {
        continue;
      }
      try {
        long pid = Long.parseLong(f[4]);
        String[] dev = f[5].split(":"); // major:minor (hex) : inode (decimal)
        out.add(
            new Held(
                pid,
                new FileId(
                    Long.parseLong(dev[0], 16),
                    Long.parseLong(dev[1], 16),
                    Long.parseLong(dev[2]))));
      } catch (RuntimeException e) {
        // a line in a format we do not know: skip it
      }
    }
    return out;
  }

  /** The file's device and inode, or null when it does not exist or cannot be told. */
  private static FileId fileId(Path f) {
    try {
      long dev = (Long) Files.getAttribute(f, "unix:dev");
      long ino = (Long) Files.getAttribute(f, "unix:ino");
      // Linux's encoding of st_dev (glibc's gnu_dev_major / gnu_dev_minor).
      long major = ((dev >>> 8) & 0xfff) | ((dev >>> 32) & ~0xfffL);
      long minor = (dev & 0xff) | ((dev >>> 12) & ~0xffL);
      return new FileId(major, minor, ino);
    } catch (NoSuchFileException e) {
      return null;
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  /** Whether anyone holds a lock on {@code f}, by trying to take it (and letting go at once). */
  private static boolean probeHeld(Path f) {
    if (HELD_HERE.contains(f.toAbsolutePath())) {
      return true;
    }
    try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE)) {
      FileLock l = ch.tryLock();
      if (l == null) {
        return true;
      }
      l.release();
      return false;
    } catch (OverlappingFileLockException e) {
      return true; // this JVM holds it
    } catch (IOException e) {
      return false;
    }
  }
}
