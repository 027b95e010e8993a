package dev.inflight.store.sqlite;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * Creates the files and directories of the config root private to the user: directories {@code
 * 0700}, files {@code 0600}. The mode is set explicitly after creating, because the mode given at
 * creation is narrowed by the umask (under umask 277 a database would otherwise be created {@code
 * 0400} and break every later run). Existing files and directories keep their modes.
 */
final class PrivateFiles {
  static final Set<PosixFilePermission> DIR_MODE = PosixFilePermissions.fromString("rwx------");
  static final Set<PosixFilePermission> FILE_MODE = PosixFilePermissions.fromString("rw-------");

  private PrivateFiles() {}

  /** Creates {@code dir} (and missing parents, each {@code 0700}) when it does not exist. */
  static void directory(Path dir) throws IOException {
    if (Files.isDirectory(dir)) {
      return;
    }
    Path parent = dir.getParent();
    if (parent != null && !Files.exists(parent)) {
      directory(parent);
    }
    try {
      if (posix(dir)) {
        Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(DIR_MODE));
        Files.setPosixFilePermissions(dir, DIR_MODE);
      } else {
        Files.createDirectory(dir);
      }
    } catch (FileAlreadyExistsException raced) {
      if (!Files.isDirectory(dir)) {
        throw raced;
      }
    }
  }

  /**
   * Creates {@code file} empty with mode {@code 0600}.
   *
   * @return false when it existed already (another process created it first)
   */
  static boolean createFile(Path file) throws IOException {
    try {
      if (posix(file)) {
        Files.createFile(file, PosixFilePermissions.asFileAttribute(FILE_MODE));
        Files.setPosixFilePermissions(file, FILE_MODE);
      } else {
        Files.createFile(file);
      }
      return true;
    } catch (FileAlreadyExistsException raced) {
      return false;
    }
  }

  /** Opens (creating {@code 0600} if needed) a file for taking write locks on it. */
  static FileChannel openForLocking(Path file) throws IOException {
    boolean created = false;
    if (!Files.exists(file)) {
      created = createFile(file);
    }
    FileChannel ch =
        FileChannel.open(file, Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE));
    if (created && posix(file)) {
      Files.setPosixFilePermissions(file, FILE_MODE);
    }
    return ch;
  }

  /** Makes an existing file (a socket just bound, say) readable and writable by its owner only. */
  static void restrict(Path file) throws IOException {
    if (posix(file)) {
      Files.setPosixFilePermissions(file, FILE_MODE);
    }
  }

  /**
   * Whether {@code p}'s file system has POSIX permissions. Asked of the file system, not of the
   * file's store: {@link Files#getFileStore} reads and searches the whole mount table (twice for
   * each liveness lock file a start creates), and on Linux every store answers as its file system
   * does.
   */
  static boolean posix(Path p) {
    return p.getFileSystem().supportedFileAttributeViews().contains("posix");
  }
}
