package dev.inflight.cli;

import java.nio.file.Path;
import java.time.Duration;

/**
 * Starts what {@code inflight app} and {@code inflight demo} run, in the status app's JVM (module
 * status-app, which has JavaFX on its class path). The CLI's model parses and checks the command
 * line; the status app only runs it.
 */
public interface StatusAppLauncher {
  /**
   * Opens the status window on the config root {@code root}.
   *
   * @param databaseUrl the PostgreSQL database of {@code --db}, or null (then {@code
   *     INFLIGHT_DATABASE_URL}, else the root's SQLite file)
   * @param quitAfter quit by itself after this long; null to stay open
   * @return the exit code
   */
  int app(Path root, String databaseUrl, Duration quitAfter);

  /**
   * Runs the demo.
   *
   * @param explicitHome the {@code --home} given, or null for the demo's private root
   * @param gui false for {@code --no-gui}
   * @param agents number of agent processes, 1 to 24
   * @param duration stop by itself after this long; null to run until Ctrl-C
   * @return the exit code
   */
  int demo(Path explicitHome, boolean gui, int agents, Duration duration);
}
