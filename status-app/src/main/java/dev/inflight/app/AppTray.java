package dev.inflight.app;

import com.dustinredmond.fxtrayicon.FXTrayIcon;
import java.util.Optional;
import javafx.application.Platform;
import javafx.stage.Stage;

/**
 * The tray icon where the desktop has a tray: a tooltip with the totals, a red dot while anything
 * is queued, a menu to open the window or quit, and the desktop notifications. FX thread only.
 */
final class AppTray {
  private final FXTrayIcon icon;

  private AppTray(FXTrayIcon icon) {
    this.icon = icon;
  }

  /** Shows a desktop notification beside the icon. */
  void notify(String title, String text) {
    icon.showInfoMessage(title, text);
  }

  void hide() {
    icon.hide();
  }

  /**
   * Where the desktop has a tray: a tooltip with totals, a red dot while anything is queued, a menu
   * to open the window or quit; closing the window keeps the app there. Elsewhere closing quits.
   */
  static Optional<AppTray> install(Stage stage, StatusViewModel vm, boolean debug) {
    boolean supported;
    try {
      supported = !java.awt.GraphicsEnvironment.isHeadless() && FXTrayIcon.isSupported();
    } catch (Throwable e) {
      supported = false;
    }
    if (!supported) {
      return Optional.empty();
    }
    try {
      FXTrayIcon tray = new FXTrayIcon(stage, Icons.awt(32, false));
      tray.setApplicationTitle("inflight");
      tray.addMenuItem("Open inflight", e -> showWindow(stage));
      tray.addSeparator();
      tray.addExitItem("Quit", e -> Platform.exit());
      tray.setOnAction(e -> showWindow(stage));
      tray.show();
      Platform.setImplicitExit(false);
      java.util.function.Consumer<String> tip =
          n -> {
            String text = tooltip(n);
            tray.setTrayIconTooltip(text);
            if (debug) {
              System.err.println("inflight-app tray tooltip " + text);
            }
          };
      java.util.function.Consumer<Boolean> dot =
          q -> {
            tray.setGraphic(Icons.awt(32, q));
            if (debug) {
              System.err.println("inflight-app tray queued " + q);
            }
          };
      // Installed once the window shows: a snapshot may already be on screen.
      tip.accept(vm.summaryProperty().get());
      if (vm.anyQueuedProperty().get()) {
        dot.accept(true);
      }
      vm.summaryProperty().addListener((obs, o, n) -> tip.accept(n));
      vm.anyQueuedProperty().addListener((obs, o, q) -> dot.accept(q));
      return Optional.of(new AppTray(tray));
    } catch (RuntimeException e) {
      System.err.println("inflight: no tray icon (" + e + "); closing the window quits");
      Platform.setImplicitExit(true);
      return Optional.empty();
    }
  }

  /** The tray icon's tooltip for the view-model's summary line. */
  static String tooltip(String summary) {
    return "inflight: " + summary;
  }

  private static void showWindow(Stage stage) {
    stage.show();
    stage.setIconified(false);
    stage.toFront();
  }
}
