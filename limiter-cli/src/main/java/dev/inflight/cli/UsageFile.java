package dev.inflight.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.OptionalLong;

/**
 * {@code INFLIGHT_USAGE_FILE} of one {@code inflight run}: a file in a new directory only this user
 * can enter, where COMMAND may write the tokens it really used; read once COMMAND ended, then
 * deleted with its directory. Thread-safe: {@link #delete} may come from the shutdown hook while
 * the main thread creates it, and once deleted no file is created any more.
 */
final class UsageFile {
  /** The file name of INFLIGHT_USAGE_FILE inside its private directory. */
  static final String NAME = "used-tokens";

  /** More than any valid count with its newline and spaces: the rest is not read. */
  private static final int MAX_BYTES = 64;

  private Path dir; // guarded by this
  private boolean deleted; // guarded by this

  /**
   * A path in a new directory only this user can enter ($TMPDIR, else java.io.tmpdir); null (with a
   * warning) when no such directory can be made, or after {@link #delete}: COMMAND then runs
   * without one.
   */
  Path create() {
    String tmp = System.getenv("TMPDIR");
    Path base =
        tmp != null && !tmp.isEmpty() && Files.isDirectory(Path.of(tmp))
            ? Path.of(tmp)
            : Path.of(System.getProperty("java.io.tmpdir"));
    Path made;
    try {
      made =
          Files.createTempDirectory(
              base,
              "inflight-usage-",
              PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    } catch (IOException | UnsupportedOperationException e) {
      System.err.println(
          "inflight: warning: no INFLIGHT_USAGE_FILE for COMMAND (cannot create a private"
              + " directory in "
              + base
              + ": "
              + e.getMessage()
              + ")");
      return null;
    }
    synchronized (this) {
      if (!deleted) { // else the shutdown hook may have looked for it already
        dir = made;
        return made.resolve(NAME);
      }
    }
    try {
      Files.deleteIfExists(made);
    } catch (IOException e) {
      // the JVM is exiting and COMMAND will not start: an empty directory in the temp dir
    }
    return null;
  }

  /**
   * The count COMMAND wrote; empty when it wrote nothing, or (with a warning naming the file, the
   * rule and the value) something that is not a count.
   */
  OptionalLong usedTokens(long leaseId) {
    Path d;
    synchronized (this) {
      d = dir;
    }
    if (d == null) {
      return OptionalLong.empty();
    }
    Path file = d.resolve(NAME);
    if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
      return OptionalLong.empty();
    }
    String text;
    try {
      if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
        return warning(leaseId, file, "is not a regular file");
      }
      byte[] bytes;
      try (InputStream in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) {
        bytes = in.readNBytes(MAX_BYTES + 1);
      }
      if (bytes.length > MAX_BYTES) {
        return warning(
            leaseId, file, "must hold an integer from 0 to 100000000 (was more than 64 bytes)");
      }
      text = new String(bytes, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return warning(leaseId, file, "cannot be read (" + e.getMessage() + ")");
    }
    String t = text.strip();
    if (t.isEmpty()) {
      return OptionalLong.empty(); // written empty: nothing reported
    }
    if (t.matches("[0-9]{1,9}") && Long.parseLong(t) <= Args.MAX_TOKENS) {
      return OptionalLong.of(Long.parseLong(t));
    }
    return warning(
        leaseId, file, "must hold an integer from 0 to 100000000 (was " + Args.quote(t) + ")");
  }

  private static OptionalLong warning(long leaseId, Path file, String problem) {
    System.err.println(
        "inflight: warning: INFLIGHT_USAGE_FILE "
            + file
            + " "
            + problem
            + "; lease "
            + leaseId
            + " is released without a token count");
    return OptionalLong.empty();
  }

  /** Deletes the directory and whatever COMMAND left in it (best effort); none is made after. */
  void delete() {
    Path d;
    synchronized (this) {
      d = dir;
      dir = null;
      deleted = true;
    }
    if (d == null) {
      return;
    }
    try {
      Files.walkFileTree(
          d,
          new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path f, BasicFileAttributes a) throws IOException {
              Files.deleteIfExists(f);
              return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path p, IOException e) throws IOException {
              Files.deleteIfExists(p);
              return FileVisitResult.CONTINUE;
            }
          });
    } catch (IOException e) {
      System.err.println(
          "inflight: warning: cannot delete " + d + " (INFLIGHT_USAGE_FILE's directory): " + e);
    }
  }
}
