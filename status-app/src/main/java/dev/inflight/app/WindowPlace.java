package dev.inflight.app;

import java.util.List;
import java.util.Optional;
import java.util.prefs.Preferences;
import javafx.geometry.Rectangle2D;

/**
 * Where the window was: position and size, kept in the user's preferences between starts, and
 * fitted to the screens there are now (a window saved on a monitor since unplugged comes back on
 * the primary one).
 */
record WindowPlace(double x, double y, double width, double height) {
  static final double MIN_WIDTH = 800;
  static final double MIN_HEIGHT = 600;
  static final double DEFAULT_WIDTH = 1280;
  static final double DEFAULT_HEIGHT = 760;

  /** The saved place, if one was saved and reads back whole. */
  static Optional<WindowPlace> load(Preferences prefs) {
    double x = prefs.getDouble("x", Double.NaN);
    double y = prefs.getDouble("y", Double.NaN);
    double w = prefs.getDouble("width", Double.NaN);
    double h = prefs.getDouble("height", Double.NaN);
    if (Double.isNaN(x) || Double.isNaN(y) || Double.isNaN(w) || Double.isNaN(h)) {
      return Optional.empty();
    }
    return Optional.of(new WindowPlace(x, y, w, h));
  }

  void save(Preferences prefs) {
    prefs.putDouble("x", x);
    prefs.putDouble("y", y);
    prefs.putDouble("width", width);
    prefs.putDouble("height", height);
  }

  /**
   * This place made to fit: at least the minimum size, at most the screen it is on, and moved onto
   * that screen (the screen holding most of it; the first screen when none does).
   */
  WindowPlace fit(List<Rectangle2D> screens) {
    Rectangle2D on = screens.get(0);
    double best = 0;
    for (Rectangle2D s : screens) {
      double ix = Math.min(x + width, s.getMaxX()) - Math.max(x, s.getMinX());
      double iy = Math.min(y + height, s.getMaxY()) - Math.max(y, s.getMinY());
      double area = Math.max(0, ix) * Math.max(0, iy);
      if (area > best) {
        best = area;
        on = s;
      }
    }
    double w = Math.max(Math.min(MIN_WIDTH, on.getWidth()), Math.min(width, on.getWidth()));
    double h = Math.max(Math.min(MIN_HEIGHT, on.getHeight()), Math.min(height, on.getHeight()));
    double nx = Math.max(on.getMinX(), Math.min(x, on.getMaxX() - w));
    double ny = Math.max(on.getMinY(), Math.min(y, on.getMaxY() - h));
    return new WindowPlace(nx, ny, w, h);
  }

  /** The first start: the default size, centred, no larger than the screen. */
  static WindowPlace initial(Rectangle2D screen) {
    double w = Math.min(DEFAULT_WIDTH, screen.getWidth());
    double h = Math.min(DEFAULT_HEIGHT, screen.getHeight());
    return new WindowPlace(
        screen.getMinX() + (screen.getWidth() - w) / 2,
        screen.getMinY() + (screen.getHeight() - h) / 2,
        w,
        h);
  }
}
