package dev.inflight.app;

import dev.inflight.client.ConfigRoot;
import dev.inflight.client.Limiter;
import dev.inflight.client.LimiterBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import javafx.application.Application;
import javafx.application.Platform;
import javafx.geometry.Rectangle2D;
import javafx.scene.Scene;
import javafx.scene.control.Label;
import javafx.scene.layout.StackPane;
import javafx.stage.Screen;
import javafx.stage.Stage;

/**
 * The status window (and tray icon where the desktop has a tray). Started through {@link
 * #launch(Path, String, Duration)}: JavaFX's {@code Application} cannot be the main class on the
 * class path.
 */
public final class StatusApp extends Application {
  /**
   * Logs "applied" lines with timestamps to stderr, for the change-to-screen figure, and what the
   * tray icon is given ("tray tooltip TEXT", "tray queued BOOLEAN"), for the tray test.
   */
  static final String DEBUG_PROPERTY = "inflight.app.debug";

  private static volatile Path home;
  private static volatile String database;
  private static volatile boolean localOnly;
  private static volatile Duration quitAfter;

  private static final System.Logger LOG = System.getLogger(StatusApp.class.getName());

  private StatusViewModel vm;
  private StatusView view;
  private AppTray tray;
  private Stage stage;

  /**
   * Shows the window and returns when the app quits.
   *
   * @param configRoot the config root, or null for the default
   * @param databaseUrl a PostgreSQL database ({@code --db}), or null for the default
   * @param runFor quit by itself after this long (null: until the user quits)
   */
  public static void launch(Path configRoot, String databaseUrl, Duration runFor) {
    start(configRoot, databaseUrl, false, runFor);
  }

  /**
   * {@link #launch} on the SQLite file of {@code configRoot} alone, whatever {@code
   * INFLIGHT_DATABASE_URL} says: the demo's window shows the demo's private root.
   */
  static void launchLocal(Path configRoot, Duration runFor) {
    start(configRoot, null, true, runFor);
  }

  private static void start(Path configRoot, String databaseUrl, boolean local, Duration runFor) {
    home = configRoot;
    database = databaseUrl;
    localOnly = local;
    quitAfter = runFor;
    startup("launch");
    startAwtFirst();
    startup("awt started");
    Application.launch(StatusApp.class);
  }

  /**
   * Starts AWT (the tray's toolkit) before JavaFX. Started second, from inside the running GTK main
   * loop, AWT's X11 toolkit installs its X error handler while GDK has an error trap pushed, and
   * GDK prints "XSetErrorHandler() called with a GDK error trap pushed" at every start.
   */
  private static void startAwtFirst() {
    try {
      if (!java.awt.GraphicsEnvironment.isHeadless()) {
        java.awt.Toolkit.getDefaultToolkit();
      }
    } catch (Throwable e) {
      // no AWT: no tray icon, which installTray already copes with
    }
  }

  /** Why JavaFX could not start, in words a user can act on. */
  static String whyNoWindow(Throwable e) {
    String msg = String.valueOf(e.getMessage());
    if (msg.contains("GTK")) {
      return msg + "; JavaFX needs GTK 3 (Debian/Ubuntu: apt-get install libgtk-3-0)";
    }
    return msg;
  }

  /** Opens the limiter the app reads through. */
  static Limiter openLimiter(Path configRoot) {
    LimiterBuilder b = Limiter.builder();
    if (configRoot != null) {
      b.home(configRoot);
    }
    if (localOnly) {
      b.localDatabase();
    } else if (database != null) {
      b.database(database);
    }
    return b.build();
  }

  /** A view-model wired for the FX thread, with its own daemon reader thread. */
  static StatusViewModel viewModel(Path configRoot) {
    ScheduledExecutorService io =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "inflight-app-io");
              t.setDaemon(true);
              return t;
            });
    Path local = ConfigRoot.resolve(configRoot);
    return new StatusViewModel(
            () -> openLimiter(configRoot), io, Platform::runLater, InstantSource.system())
        .keepHistoryIn(db -> HistoryFile.pathFor(local, db));
  }

  /** The scene with theme and stylesheet, as the app and the UI tests show it. */
  static Scene scene(StatusView view, double width, double height) {
    view.theme().apply();
    Scene scene = new Scene(view.root(), width, height);
    scene.getStylesheets().add(StatusApp.class.getResource("app.css").toExternalForm());
    return scene;
  }

  /** Where the window's place is kept between starts: beside the database. */
  static Path placeFile() {
    return ConfigRoot.resolve(home).resolve(WindowPlace.FILE);
  }

  /** Puts the window where it was last time (fitted to today's screens), else centred. */
  private static void place(Stage stage, Path file) {
    List<Rectangle2D> screens = Screen.getScreens().stream().map(Screen::getVisualBounds).toList();
    WindowPlace p =
        WindowPlace.load(file)
            .map(w -> w.fit(screens))
            .orElseGet(() -> WindowPlace.initial(Screen.getPrimary().getVisualBounds()));
    stage.setX(p.x());
    stage.setY(p.y());
    stage.setWidth(p.width());
    stage.setHeight(p.height());
  }

  private static void remember(Stage stage, Path file) {
    if (stage.isIconified() || stage.isMaximized() || Double.isNaN(stage.getX())) {
      return;
    }
    try {
      Files.createDirectories(file.getParent());
      new WindowPlace(stage.getX(), stage.getY(), stage.getWidth(), stage.getHeight()).save(file);
    } catch (IOException | RuntimeException e) {
      // not remembered this time; the window still works
    }
  }

  @Override
  public void start(Stage stage) {
    this.stage = stage;
    startup("fx start");
    vm = viewModel(home);
    if (Boolean.getBoolean(DEBUG_PROPERTY)) {
      boolean[] first = {true};
      vm.setOnApplied(
          s -> {
            if (first[0]) {
              first[0] = false;
              startup("first snapshot");
            }
            System.err.println(
                "inflight-app applied "
                    + System.currentTimeMillis()
                    + " "
                    + s.providers().stream()
                        .map(p -> p.provider() + "=" + p.limit().orElse(0))
                        .toList());
          });
    }
    Path prefsFile = ConfigRoot.resolve(home).resolve(AppPrefs.FILE);
    AppPrefs[] prefs = {AppPrefs.load(prefsFile)};
    Runnable savePrefs =
        () -> {
          try {
            prefs[0].save(prefsFile);
          } catch (IOException | RuntimeException e) {
            LOG.log(
                System.Logger.Level.WARNING, "inflight app: cannot save " + prefsFile + ": " + e);
          }
        };
    startup("prefs");
    Theme desktop = Theme.ofDesktop();
    startup("desktop theme asked");
    ThemeChoice theme =
        new ThemeChoice(
            desktop,
            prefs[0].theme(),
            chosen -> {
              prefs[0] = prefs[0].withTheme(chosen);
              savePrefs.run();
            });
    vm.setWaitThreshold(prefs[0].waitThreshold());
    vm.notificationsProperty().set(prefs[0].notifications());
    vm.notificationsProperty()
        .addListener(
            (obs, o, on) -> {
              prefs[0] = prefs[0].withNotify(on);
              savePrefs.run();
            });
    boolean debug = Boolean.getBoolean(DEBUG_PROPERTY);
    vm.setNotifier(
        (title, text) -> {
          if (tray != null) {
            tray.notify(title, text);
          }
          if (debug) {
            System.err.println("inflight-app notify " + title + ": " + text);
          }
        });
    // The first frame comes first: a window saying what is being opened, painted before the full
    // view is built and styled (about two seconds of the FX thread on a first start) and while the
    // database opens on the reader thread.
    theme.shown().apply();
    Path placeFile = placeFile();
    String opening = "opening " + where() + "…";
    vm.announce(opening);
    Label splash = new Label(opening);
    splash.setId("opening");
    StackPane first = new StackPane(splash);
    first.getStyleClass().add("status-root");
    Scene scene = new Scene(first, WindowPlace.DEFAULT_WIDTH, WindowPlace.DEFAULT_HEIGHT);
    scene.getStylesheets().add(StatusApp.class.getResource("app.css").toExternalForm());
    stage.setScene(scene);
    stage.setTitle("inflight status");
    stage.getIcons().addAll(Icons.fx(32, false), Icons.fx(64, false));
    stage.setMinWidth(WindowPlace.MIN_WIDTH);
    stage.setMinHeight(WindowPlace.MIN_HEIGHT);
    place(stage, placeFile);
    stage.setOnHiding(e -> remember(stage, placeFile));
    scene.addPostLayoutPulseListener(
        afterFirstPulse(scene, () -> afterFrames(3, () -> showView(scene, theme, placeFile))));
    stage.show();
    startup("shown");
    vm.start();
    Duration d = quitAfter;
    if (d != null) {
      Thread t =
          new Thread(
              () -> {
                try {
                  Thread.sleep(d.toMillis());
                } catch (InterruptedException e) {
                  return;
                }
                Platform.runLater(Platform::exit);
              },
              "inflight-app-timer");
      t.setDaemon(true);
      t.start();
    }
  }

  /**
   * With {@link #DEBUG_PROPERTY}: how long after the JVM started a step of start-up was reached.
   */
  static void startup(String step) {
    if (Boolean.getBoolean(DEBUG_PROPERTY)) {
      long jvm = java.lang.management.ManagementFactory.getRuntimeMXBean().getStartTime();
      System.err.println(
          "inflight-app startup " + step + " " + (System.currentTimeMillis() - jvm) + " ms");
    }
  }

  /** Runs {@code then} once, after the scene's first pulse (its first frame is on its way). */
  private static Runnable afterFirstPulse(Scene scene, Runnable then) {
    Runnable[] self = {null};
    self[0] =
        () -> {
          startup("first pulse");
          scene.removePostLayoutPulseListener(self[0]);
          then.run();
        };
    return self[0];
  }

  /**
   * Runs {@code then} on the FX thread {@code n} frames from now: long enough for the frame already
   * synced to be painted before the FX thread goes busy building the full view.
   */
  private static void afterFrames(int n, Runnable then) {
    new javafx.animation.AnimationTimer() {
      private int left = n;

      @Override
      public void handle(long now) {
        if (--left <= 0) {
          stop();
          startup("splash painted");
          then.run();
        }
      }
    }.start();
  }

  /** The full view in place of the "opening …" one, with the tray icon and the shortcuts. */
  private void showView(Scene scene, ThemeChoice theme, Path placeFile) {
    view = new StatusView(vm, theme);
    followDesktop(stage, theme);
    scene.setRoot(view.root());
    tray = AppTray.install(stage, vm, Boolean.getBoolean(DEBUG_PROPERTY)).orElse(null);
    view.installShortcuts(
        scene,
        () -> {
          remember(stage, placeFile);
          Platform.exit();
        },
        stage::hide);
    startup("view shown");
  }

  /** What the window opens, as the "opening …" line names it (a URL's password masked). */
  private static String where() {
    if (!localOnly && database != null) {
      return ConfigRoot.masked(database);
    }
    String env = localOnly ? null : ConfigRoot.databaseUrl(System.getenv());
    return env != null && !env.isEmpty()
        ? ConfigRoot.masked(env)
        : ConfigRoot.databaseFile(ConfigRoot.resolve(home)).toString();
  }

  /**
   * Asks the desktop for its preference again every {@link StatusView#DESKTOP_RECHECK_SECONDS} and
   * whenever the window gets the focus: Java hears of no change of {@code color-scheme}, so this is
   * as live as it gets without a D-Bus client. Off the FX thread ({@code gsettings} is a process).
   */
  private static void followDesktop(Stage stage, ThemeChoice theme) {
    ScheduledExecutorService desk =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "inflight-app-desktop-theme");
              t.setDaemon(true);
              return t;
            });
    Runnable check =
        () -> {
          Theme t = Theme.ofDesktop();
          Platform.runLater(() -> theme.desktopIs(t));
        };
    long every = StatusView.DESKTOP_RECHECK_SECONDS;
    desk.scheduleWithFixedDelay(check, every, every, java.util.concurrent.TimeUnit.SECONDS);
    stage
        .focusedProperty()
        .addListener(
            (obs, o, focused) -> {
              if (focused) {
                desk.execute(check);
              }
            });
  }

  /** The tray icon's tooltip for the view-model's summary line. */
  static String trayTooltip(String summary) {
    return AppTray.tooltip(summary);
  }

  @Override
  public void stop() {
    if (stage != null) {
      remember(stage, placeFile());
    }
    if (view != null) {
      view.stop();
    }
    if (tray != null) {
      tray.hide();
    }
    if (vm != null) {
      vm.close();
    }
  }
}
