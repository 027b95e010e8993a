package dev.inflight.app;

import dev.inflight.cli.Commands;
import dev.inflight.cli.StatusAppLauncher;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Entry point for {@code bin/inflight app} and {@code bin/inflight demo}: the command line is
 * parsed by the CLI's own model ({@link Commands}), so help, errors and options read as for every
 * other command; this class only starts what was asked. A plain class on purpose: JavaFX refuses an
 * {@code Application} subclass as the main class on the class path.
 */
public final class Main implements StatusAppLauncher {
  private Main() {}

  public static void main(String[] args) {
    int code = Commands.runStatusApp(args, new Main());
    // Exit even if a tray icon's AWT thread would keep the JVM alive after the window quit.
    System.exit(code);
  }

  @Override
  public int app(Path root, String databaseUrl, Duration quitAfter) {
    if (!hasDisplay()) {
      System.err.println(
          "inflight: no display (DISPLAY and WAYLAND_DISPLAY are unset); 'inflight status --watch' shows"
              + " the same in the terminal");
      return 1;
    }
    try {
      StatusApp.launch(root, databaseUrl, quitAfter);
    } catch (RuntimeException e) {
      System.err.println("inflight app: cannot open a window: " + StatusApp.whyNoWindow(e));
      return 1;
    }
    return 0;
  }

  @Override
  public int demo(Path explicitHome, boolean gui, int agents, Duration duration) {
    return new Demo(explicitHome, gui && hasDisplay(), agents, duration).run();
  }

  static boolean hasDisplay() {
    String x = System.getenv("DISPLAY");
    String w = System.getenv("WAYLAND_DISPLAY");
    return (x != null && !x.isEmpty()) || (w != null && !w.isEmpty());
  }
}
