package dev.inflight.app;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.Set;

/**
 * The config root the demo uses when no {@code --home} is given: a directory of its own, so that
 * the README's first command can never change a user's limits, whatever happens to the demo (even
 * {@code kill -9}). It is {@code $XDG_RUNTIME_DIR/inflight-demo} (per user, on tmpfs, gone at
 * logout) when that variable names a directory, else {@code $XDG_CACHE_HOME/inflight-demo}, else
 * {@code ~/.cache/inflight-demo}. The directory is the user's own and mode 0700; {@code
 * $INFLIGHT_HOME} and {@code $XDG_CONFIG_HOME} are not consulted.
 */
final class DemoRoot {
  static final String NAME = "inflight-demo";
  private static final Set<PosixFilePermission> OWNER_ONLY =
      PosixFilePermissions.fromString("rwx------");

  private DemoRoot() {}

  /** Where the private root is for this environment; nothing is created. */
  static Path locate(Map<String, String> env, String userHome) {
    String runtime = env.get("XDG_RUNTIME_DIR");
    if (absolute(runtime) && Files.isDirectory(Path.of(runtime))) {
      return Path.of(runtime, NAME).normalize();
    }
    String cache = env.get("XDG_CACHE_HOME");
    if (absolute(cache)) {
      return Path.of(cache, NAME).normalize();
    }
    return Path.of(userHome, ".cache", NAME).toAbsolutePath().normalize();
  }

  /**
   * Creates {@code dir} (and missing parents, each 0700) or checks the existing one: a real
   * directory, not a symbolic link, owned by this user; its mode is then set to 0700.
   *
   * @throws IOException with a message naming the directory and what is wrong with it
   */
  static Path prepare(Path dir) throws IOException {
    if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
      Path parent = dir.getParent();
      if (parent != null && !Files.isDirectory(parent)) {
        prepareParents(parent);
      }
      try {
        Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
      } catch (java.nio.file.FileAlreadyExistsException raced) {
        // another demo created it a moment ago: checked below like any existing one
      }
    }
    if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
      throw new IOException(dir + " is not a directory (the demo keeps its database there)");
    }
    Object owner = Files.getAttribute(dir, "unix:uid", LinkOption.NOFOLLOW_LINKS);
    Object self = Files.getAttribute(Path.of("/proc/self"), "unix:uid");
    if (!owner.equals(self)) {
      throw new IOException(
          dir + " belongs to user id " + owner + ", not to you (" + self + "); remove it");
    }
    Files.setPosixFilePermissions(dir, OWNER_ONLY);
    return dir;
  }

  private static void prepareParents(Path dir) throws IOException {
    Path parent = dir.getParent();
    if (parent != null && !Files.isDirectory(parent)) {
      prepareParents(parent);
    }
    if (!Files.isDirectory(dir)) {
      Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
    }
  }

  private static boolean absolute(String path) {
    return path != null && !path.isEmpty() && Path.of(path).isAbsolute();
  }
}
