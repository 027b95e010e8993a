package dev.inflight.client;

import java.nio.file.Path;
import java.util.Map;

/**
 * Where the shared database lives. First match wins: an explicit directory ({@code --home}, {@link
 * LimiterBuilder#home}), then {@code $INFLIGHT_HOME}, then {@code $XDG_CONFIG_HOME/inflight}, then
 * {@code ~/.config/inflight}. The database is {@code limiter.db} in that directory. Empty variables
 * count as unset, and a relative {@code XDG_CONFIG_HOME} is ignored (as the XDG spec says).
 */
public final class ConfigRoot {
  /** The environment variable naming the config root. */
  public static final String ENV_HOME = "INFLIGHT_HOME";

  /** The database file's name inside the config root. */
  public static final String DATABASE_FILE = "limiter.db";

  private ConfigRoot() {}

  /**
   * Resolves the config root from {@code explicit} (may be null) and this process's environment.
   */
  public static Path resolve(Path explicit) {
    return resolve(explicit, System.getenv(), System.getProperty("user.home"));
  }

  /** Resolves the config root from the given environment (for tests and launchers). */
  public static Path resolve(Path explicit, Map<String, String> env, String userHome) {
    if (explicit != null) {
      return explicit.toAbsolutePath().normalize();
    }
    String home = env.get(ENV_HOME);
    if (home != null && !home.isEmpty()) {
      return Path.of(home).toAbsolutePath().normalize();
    }
    String xdg = env.get("XDG_CONFIG_HOME");
    if (xdg != null && !xdg.isEmpty() && Path.of(xdg).isAbsolute()) {
      return Path.of(xdg, "inflight").normalize();
    }
    return Path.of(userHome, ".config", "inflight").toAbsolutePath().normalize();
  }

  /** The database file inside a config root. */
  /** The variable that names a PostgreSQL database to use instead of the SQLite file. */
  public static final String ENV_DATABASE_URL = "INFLIGHT_DATABASE_URL";

  /** The PostgreSQL database {@code env} names, or null for the SQLite file. */
  public static String databaseUrl(Map<String, String> env) {
    String url = env.get(ENV_DATABASE_URL);
    return url == null || url.isBlank() ? null : url.trim();
  }

  /** {@code url} with any password in it replaced by {@code ***}, for messages. */
  public static String masked(String url) {
    return dev.inflight.store.Engines.masked(url);
  }

  public static Path databaseFile(Path root) {
    return root.resolve(DATABASE_FILE);
  }
}
