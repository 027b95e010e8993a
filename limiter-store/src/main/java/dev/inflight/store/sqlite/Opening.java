package dev.inflight.store.sqlite;

import dev.inflight.store.StoreException;
import dev.inflight.store.StoreException.Kind;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.sqlite.SQLiteConfig;

/**
 * Everything that happens to the files before SQLite opens them: the config root and the database
 * file are created private to the user, and what would make SQLite fail obscurely (a dangling
 * symbolic link, a directory in the file's place, a read-only directory) is refused with the path
 * and the cause.
 */
final class Opening {
  private Opening() {}

  /** Creates what is missing and checks that the database can be used. */
  static void prepare(Path file, LockFiles files, Marker marker) {
    Path dir = file.getParent();
    checkDirectory(file, dir);
    try {
      PrivateFiles.directory(dir);
    } catch (IOException e) {
      throw new StoreException(
          file.toString(),
          Kind.UNWRITABLE,
          "cannot create the directory " + dir + " for the database " + file + ": " + describe(e),
          e);
    }
    if (Files.isSymbolicLink(file) && !Files.exists(file)) {
      String target;
      try {
        target = Files.readSymbolicLink(file).toString();
      } catch (IOException e) {
        target = "a path that cannot be read";
      }
      throw new StoreException(
          file.toString(),
          Kind.UNWRITABLE,
          "cannot open the database "
              + file
              + ": it is a symbolic link to "
              + target
              + ", which does not exist; restore the target or remove the link");
    }
    if (Files.isDirectory(file)) {
      throw new StoreException(
          file.toString(),
          Kind.UNWRITABLE,
          "cannot open the database " + file + ": it is a directory, not a file");
    }
    if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
      if (marker.exists()) {
        throw marker.lost("is missing");
      }
      try {
        PrivateFiles.createFile(file);
      } catch (IOException e) {
        throw new StoreException(
            file.toString(),
            Kind.UNWRITABLE,
            "cannot create the database "
                + file
                + ": "
                + describe(e)
                + (!Files.isWritable(dir)
                    ? " (the directory " + dir + " is not writable)"
                    : e instanceof java.nio.file.NoSuchFileException
                        ? " (the directory " + dir + " does not take new files; choose another)"
                        : ""),
            e);
      }
    }
    if (!Files.isReadable(file) || !Files.isWritable(file)) {
      throw new StoreException(
          file.toString(),
          Kind.UNWRITABLE,
          "cannot open the database "
              + file
              + ": it is not "
              + (Files.isReadable(file) ? "writable" : "readable")
              + " by this user (mode "
              + mode(file)
              + ")");
    }
    if (!Files.isWritable(dir)) {
      throw new StoreException(
          file.toString(),
          Kind.UNWRITABLE,
          "cannot use the database "
              + file
              + ": its directory "
              + dir
              + " is not writable (SQLite needs to create "
              + file.getFileName()
              + "-wal and -shm beside it)");
    }
  }

  /**
   * Refuses a database whose {@code -wal} or {@code -shm} is missing while processes that use it
   * still run (each holds its {@code procs/<id>.lock}, and keeps a connection open, which keeps
   * both files in place): someone deleted them. Opening it now would split the database in two.
   */
  static void checkNotSplit(Path file, LockFiles files) {
    Path wal = file.resolveSibling(file.getFileName() + "-wal");
    Path shm = file.resolveSibling(file.getFileName() + "-shm");
    if (Files.exists(wal) && Files.exists(shm)) {
      return;
    }
    long me = ProcessHandle.current().pid();
    java.util.List<String> holders = new java.util.ArrayList<>();
    for (LockFiles.Holder h : files.liveHolders()) {
      if (h.pid() != me) {
        holders.add(h.pid() > 0 ? "pid " + h.pid() : h.file().getFileName().toString());
      }
    }
    if (holders.isEmpty()) {
      return;
    }
    throw new StoreException(
        file.toString(),
        Kind.REPLACED,
        "cannot open the database "
            + file
            + ": inflight processes still use it ("
            + String.join(", ", holders)
            + "), but its "
            + (Files.exists(wal) ? shm.getFileName() : wal.getFileName())
            + " was deleted while they ran. Opening it now would split it in two, each half"
            + " with limits of its own. Stop those processes; the database is whole again once"
            + " they have all exited");
  }

  /** A config root that exists but is not a directory is named with what it is instead. */
  private static void checkDirectory(Path file, Path dir) {
    Path p = dir;
    while (p != null && !Files.exists(p)) {
      p = p.getParent();
    }
    if (p != null && !Files.isDirectory(p)) {
      throw new StoreException(
          file.toString(),
          Kind.UNWRITABLE,
          "cannot open the database "
              + file
              + ": "
              + (p.equals(dir)
                  ? "its config root " + dir
                  : p.toString() + ", above its config root,")
              + " is a file, not a directory");
    }
  }

  /**
   * Whether the file is in WAL mode. A fresh, empty file is not: it must be put in WAL mode (under
   * the migration lock) before pooled connections open it.
   *
   * <p>SQLite is asked, through a connection of its own with no settings, rather than the header
   * read through a stream: closing any descriptor of a file drops every POSIX lock this process
   * holds on it, SQLite's included. A second engine opened in a process that already had the file
   * open (two limiters in one JVM) then left the first without its shared lock, and the next other
   * process to close its last connection deleted the {@code -wal} and {@code -shm} that the first
   * still used. SQLite's own connections share their locks per file within a process and keep the
   * descriptor of a closed one until the last lock on the file is gone.
   */
  static boolean inWalMode(Path file) {
    try {
      if (Files.size(file) == 0) {
        return false;
      }
    } catch (IOException e) {
      return false; // SQLite will say what is wrong with it
    }
    try (Connection c = new SQLiteConfig().createConnection("jdbc:sqlite:" + file);
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("PRAGMA journal_mode")) {
      return rs.next() && "wal".equalsIgnoreCase(rs.getString(1));
    } catch (SQLException e) {
      return false; // not a database, or busy: the migration, under its lock, says or waits
    }
  }

  /** An I/O failure's cause in words, not just the path it happened to (as the JDK's are). */
  static String describe(IOException e) {
    if (e instanceof AccessDeniedException) {
      return "permission denied";
    }
    if (e instanceof java.nio.file.NoSuchFileException) {
      return "no such file or directory";
    }
    if (e instanceof java.nio.file.FileSystemException fs && fs.getReason() != null) {
      return fs.getReason();
    }
    return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
  }

  private static String mode(Path file) {
    try {
      return java.nio.file.attribute.PosixFilePermissions.toString(
          Files.getPosixFilePermissions(file));
    } catch (IOException | UnsupportedOperationException e) {
      return "unknown";
    }
  }
}
