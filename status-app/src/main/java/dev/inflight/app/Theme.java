package dev.inflight.app;

import atlantafx.base.theme.PrimerDark;
import atlantafx.base.theme.PrimerLight;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import javafx.application.Application;

/** Light or dark: AtlantaFX's Primer pair, and the charts' palette to match. */
enum Theme {
  LIGHT(new PrimerLight().getUserAgentStylesheet(), ChartCanvas.Palette.LIGHT),
  DARK(new PrimerDark().getUserAgentStylesheet(), ChartCanvas.Palette.DARK);

  final String stylesheet;
  final ChartCanvas.Palette palette;

  Theme(String stylesheet, ChartCanvas.Palette palette) {
    this.stylesheet = stylesheet;
    this.palette = palette;
  }

  /** Makes this the theme of every window of the app. */
  void apply() {
    Application.setUserAgentStylesheet(stylesheet);
  }

  /**
   * The desktop's preference: {@code GTK_THEME} naming a dark variant, else GNOME's {@code
   * color-scheme} setting (asked of {@code gsettings}, given half a second); light when neither
   * says dark.
   */
  static Theme ofDesktop() {
    String gtk = System.getenv("GTK_THEME");
    if (gtk != null && gtk.toLowerCase(java.util.Locale.ROOT).contains("dark")) {
      return DARK;
    }
    try {
      Process p =
          new ProcessBuilder("gsettings", "get", "org.gnome.desktop.interface", "color-scheme")
              .redirectErrorStream(true)
              .start();
      if (!p.waitFor(500, TimeUnit.MILLISECONDS)) {
        p.destroyForcibly();
        return LIGHT;
      }
      return ofColorScheme(new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
    } catch (IOException e) {
      return LIGHT; // no gsettings: not GNOME
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return LIGHT;
    }
  }

  /** GNOME's answer, e.g. {@code 'prefer-dark'}. */
  static Theme ofColorScheme(String answer) {
    return answer != null && answer.contains("prefer-dark") ? DARK : LIGHT;
  }
}
