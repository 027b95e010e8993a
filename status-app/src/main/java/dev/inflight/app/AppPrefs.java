package dev.inflight.app;

import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.Properties;

/**
 * The app's own settings, kept beside the database in {@code app-settings.properties}: the theme
 * the user chose with the toggle (none: follow the desktop), whether desktop notifications are on,
 * and after how long a wait they speak up. A point-in-time value; {@link #save} writes it whole.
 *
 * @param theme the user's explicit choice, or empty to follow the desktop
 * @param notifications whether desktop notifications are shown (off unless the user turns them on)
 * @param waitThreshold a request waiting longer than this is worth a notification
 */
record AppPrefs(Optional<Theme> theme, boolean notifications, Duration waitThreshold) {
  static final String FILE = "app-settings.properties";
  static final Duration DEFAULT_WAIT = Duration.ofSeconds(30);
  static final AppPrefs DEFAULTS = new AppPrefs(Optional.empty(), false, DEFAULT_WAIT);
  static final String WAIT_KEY = "notify.wait.seconds";

  private static final System.Logger LOG = System.getLogger(AppPrefs.class.getName());

  AppPrefs {
    if (waitThreshold.isNegative() || waitThreshold.isZero()) {
      throw new IllegalArgumentException(
          WAIT_KEY
              + " must be a whole number of seconds from 1 to 86400 (was "
              + waitThreshold
              + ")");
    }
  }

  AppPrefs withTheme(Optional<Theme> t) {
    return new AppPrefs(t, notifications, waitThreshold);
  }

  AppPrefs withNotify(boolean on) {
    return new AppPrefs(theme, on, waitThreshold);
  }

  /**
   * The settings saved in {@code file}; the defaults for what is missing, and for a value that is
   * refused (with one log line naming the key, the rule and the value).
   */
  static AppPrefs load(Path file) {
    Properties p = new Properties();
    try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      p.load(r);
    } catch (NoSuchFileException e) {
      return DEFAULTS;
    } catch (IOException | RuntimeException e) {
      LOG.log(System.Logger.Level.WARNING, "inflight app: " + file + " ignored: " + e.getMessage());
      return DEFAULTS;
    }
    return parse(p, file.toString());
  }

  static AppPrefs parse(Properties p, String where) {
    Optional<Theme> theme = Optional.empty();
    String t = p.getProperty("theme");
    if (t != null && !t.isBlank()) {
      switch (t.trim().toLowerCase(Locale.ROOT)) {
        case "light" -> theme = Optional.of(Theme.LIGHT);
        case "dark" -> theme = Optional.of(Theme.DARK);
        default -> refused(where, "theme must be light or dark (was \"" + t + "\")");
      }
    }
    boolean notify = false;
    String n = p.getProperty("notify");
    if (n != null) {
      switch (n.trim().toLowerCase(Locale.ROOT)) {
        case "true" -> notify = true;
        case "false" -> notify = false;
        default -> refused(where, "notify must be true or false (was \"" + n + "\")");
      }
    }
    Duration wait = DEFAULT_WAIT;
    String w = p.getProperty(WAIT_KEY);
    if (w != null) {
      Optional<Duration> d = waitSeconds(w);
      if (d.isPresent()) {
        wait = d.get();
      } else {
        refused(
            where,
            WAIT_KEY + " must be a whole number of seconds from 1 to 86400 (was \"" + w + "\")");
      }
    }
    return new AppPrefs(theme, notify, wait);
  }

  static Optional<Duration> waitSeconds(String text) {
    try {
      long s = Long.parseLong(text.trim());
      return s >= 1 && s <= 86_400 ? Optional.of(Duration.ofSeconds(s)) : Optional.empty();
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }

  private static void refused(String where, String why) {
    LOG.log(
        System.Logger.Level.WARNING, "inflight app: " + where + ": " + why + "; using the default");
  }

  /** Writes the settings whole, then moves them over the old file. */
  void save(Path file) throws IOException {
    Properties p = new Properties();
    theme.ifPresent(t -> p.setProperty("theme", t.name().toLowerCase(Locale.ROOT)));
    p.setProperty("notify", Boolean.toString(notifications));
    p.setProperty(WAIT_KEY, Long.toString(waitThreshold.toSeconds()));
    Files.createDirectories(file.toAbsolutePath().getParent());
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    try (Writer w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
      p.store(
          w,
          "the inflight status app's settings (theme: light or dark, none to follow the desktop)");
    }
    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }
}
