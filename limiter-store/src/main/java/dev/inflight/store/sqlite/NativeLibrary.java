package dev.inflight.store.sqlite;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.System.Logger.Level;
import java.net.JarURLConnection;
import java.net.URL;
import java.net.URLConnection;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import org.sqlite.SQLiteJDBCLoader;
import org.sqlite.util.LibraryLoaderUtil;

/**
 * SQLite's native library, extracted once per driver version into a private per-user cache and
 * reused by every later JVM, instead of the driver's default of a fresh 1.1 MB copy in {@code /tmp}
 * per JVM (left behind by every killed process).
 *
 * <p>The cache is {@code $XDG_CACHE_HOME/inflight/sqlite-jdbc-<version>/} (else {@code
 * ~/.cache/...}), directories {@code 0700}, the library {@code 0600}. A copy is used only after its
 * size and CRC-32 match the entry in the driver's jar; a missing or damaged one is extracted again
 * (to a temporary name, checked, then renamed into place, so processes starting together never load
 * a half-written file). Each extraction deletes copies of other driver versions extracted more than
 * 30 days ago and interrupted extractions older than a day. When anything here fails, the driver's
 * own extraction is left to run.
 *
 * <p>Setting {@code org.sqlite.lib.path} yourself turns this off.
 */
final class NativeLibrary {
  private static final String PATH_PROPERTY = "org.sqlite.lib.path";
  private static final String NAME_PROPERTY = "org.sqlite.lib.name";
  private static final String PREFIX = "sqlite-jdbc-";
  private static final Duration STALE = Duration.ofDays(1);
  private static final Duration UNUSED = Duration.ofDays(30);

  private static boolean done; // guarded by NativeLibrary.class

  private NativeLibrary() {}

  /** Points the driver at the cached copy, extracting it first when needed. Once per JVM. */
  static synchronized void prepare() {
    if (done) {
      return;
    }
    done = true;
    if (System.getProperty(PATH_PROPERTY) != null) {
      return; // the user chose a library
    }
    Path root = cacheRoot();
    if (root == null) {
      return;
    }
    try {
      Path lib = cached(root);
      if (lib != null) {
        System.setProperty(PATH_PROPERTY, lib.getParent().toString());
        System.setProperty(NAME_PROPERTY, lib.getFileName().toString());
      }
    } catch (IOException | RuntimeException e) {
      SqliteEngine.LOG.log(
          Level.DEBUG, () -> "cannot cache SQLite's native library under " + root + " (" + e + ")");
    }
  }

  /** {@code $XDG_CACHE_HOME/inflight}, else {@code ~/.cache/inflight}; null when neither is set. */
  static Path cacheRoot() {
    String xdg = System.getenv("XDG_CACHE_HOME");
    if (xdg != null && xdg.startsWith("/")) {
      return Path.of(xdg, "inflight");
    }
    String home = System.getProperty("user.home");
    if (home == null || home.isEmpty() || home.equals("?")) {
      return null;
    }
    return Path.of(home, ".cache", "inflight");
  }

  /** The verified cached library, or null when the driver's jar does not carry one for this OS. */
  static Path cached(Path root) throws IOException {
    String resource =
        LibraryLoaderUtil.getNativeLibResourcePath() + "/" + LibraryLoaderUtil.getNativeLibName();
    URL url = SQLiteJDBCLoader.class.getResource(resource);
    if (url == null) {
      return null;
    }
    URLConnection conn = url.openConnection();
    conn.setUseCaches(true);
    if (!(conn instanceof JarURLConnection jar)) {
      return null; // not in a jar (an IDE's exploded classes): let the driver do it
    }
    ZipEntry entry = jar.getJarEntry();
    long size = entry.getSize();
    long crc = entry.getCrc();
    if (size < 0 || crc < 0) {
      return null;
    }
    String version = SQLiteJDBCLoader.getVersion().replaceAll("[^A-Za-z0-9._-]", "_");
    Path dir = root.resolve(PREFIX + version).resolve(Long.toHexString(crc));
    Path lib = dir.resolve(LibraryLoaderUtil.getNativeLibName());
    if (matches(lib, size, crc)) {
      return lib;
    }
    PrivateFiles.directory(dir);
    removeOthers(root, dir);
    removeDriverCopies(dir);
    Path part = dir.resolve(lib.getFileName() + ".part-" + ProcessHandle.current().pid());
    try (InputStream in = url.openStream();
        OutputStream out =
            Files.newOutputStream(
                part,
                StandardOpenOption.CREATE,
                StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE)) {
      PrivateFiles.restrict(part);
      in.transferTo(out);
    }
    if (!matches(part, size, crc)) {
      Files.deleteIfExists(part);
      throw new IOException("the extracted copy " + part + " does not match the driver's jar");
    }
    try {
      Files.move(part, lib, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(part, lib, StandardCopyOption.REPLACE_EXISTING);
    }
    return lib;
  }

  /** Whether {@code file} is a regular file of exactly this size and CRC-32. */
  static boolean matches(Path file, long size, long crc) {
    try {
      if (!Files.isRegularFile(file) || Files.size(file) != size) {
        return false;
      }
      CRC32 c = new CRC32();
      c.update(Files.readAllBytes(file));
      return c.getValue() == crc;
    } catch (IOException e) {
      return false;
    }
  }

  /**
   * Deletes copies of other driver versions not extracted for {@link #UNUSED} (another checkout may
   * still use one: it would just extract it again), and interrupted extractions older than a day.
   */
  private static void removeOthers(Path root, Path keep) {
    Instant now = Instant.now();
    try (DirectoryStream<Path> versions = Files.newDirectoryStream(root, PREFIX + "*")) {
      for (Path v : versions) {
        try (DirectoryStream<Path> builds = Files.newDirectoryStream(v)) {
          for (Path b : builds) {
            if (b.equals(keep)) {
              deleteStaleParts(b, now.minus(STALE));
            } else if (Files.getLastModifiedTime(b).toInstant().isBefore(now.minus(UNUSED))) {
              deleteTree(b);
            }
          }
        }
        try {
          Files.deleteIfExists(v); // only when empty
        } catch (java.nio.file.DirectoryNotEmptyException inUse) {
          // kept
        }
      }
    } catch (IOException e) {
      // a copy left behind costs disk space, nothing else
    }
  }

  /**
   * Deletes the copies the driver itself extracted into the temporary directory for earlier JVMs of
   * this user (before this cache, or with it turned off) and left behind when they were killed:
   * those over an hour old. A JVM still running keeps its mapping of a deleted library.
   */
  private static void removeDriverCopies(Path ours) {
    Path tmp =
        Path.of(System.getProperty("org.sqlite.tmpdir", System.getProperty("java.io.tmpdir")));
    Instant old = Instant.now().minus(Duration.ofHours(1));
    java.nio.file.attribute.UserPrincipal me;
    try {
      me = Files.getOwner(ours);
    } catch (IOException e) {
      return;
    }
    try (DirectoryStream<Path> copies =
        Files.newDirectoryStream(tmp, "sqlite-*-libsqlitejdbc.so*")) {
      for (Path c : copies) {
        try {
          if (Files.isRegularFile(c, java.nio.file.LinkOption.NOFOLLOW_LINKS)
              && Files.getOwner(c, java.nio.file.LinkOption.NOFOLLOW_LINKS).equals(me)
              && Files.getLastModifiedTime(c).toInstant().isBefore(old)) {
            Files.deleteIfExists(c);
          }
        } catch (IOException | RuntimeException e) {
          // not ours to delete, or gone already
        }
      }
    } catch (IOException | RuntimeException e) {
      // nothing to clean
    }
  }

  private static void deleteStaleParts(Path dir, Instant stale) throws IOException {
    try (DirectoryStream<Path> parts = Files.newDirectoryStream(dir, "*.part-*")) {
      for (Path p : parts) {
        FileTime t = Files.getLastModifiedTime(p);
        if (t.toInstant().isBefore(stale)) {
          Files.deleteIfExists(p);
        }
      }
    }
  }

  private static void deleteTree(Path dir) throws IOException {
    if (Files.isDirectory(dir)) {
      try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
        for (Path f : files) {
          Files.deleteIfExists(f); // a process that loaded it keeps its mapping
        }
      }
    }
    Files.deleteIfExists(dir);
  }
}
