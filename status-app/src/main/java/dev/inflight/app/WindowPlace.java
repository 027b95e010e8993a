package dev.inflight.app;

import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import javafx.geometry.Rectangle2D;

/**
 * Where the window was: position and size, kept between starts in a small file beside the database
 * ({@code app-window.properties}), and fitted to the screens there are now (a window saved on a
 * monitor since unplugged comes back on the primary one).
 */
record WindowPlace(double x, double y, double width, double height) {
  static final double MIN_WIDTH = 800;
  static final double MIN_HEIGHT = 600;
  static final double DEFAULT_WIDTH = 1280;
  static final double DEFAULT_HEIGHT = 760;

  static final String FILE = "app-window.properties";

  /** The saved place, if one was saved and reads back whole (anything else: none). */
  static Optional<WindowPlace> load(Path file) {
    Properties p = new Properties();
    try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      p.load(r);
      WindowPlace w =
          new WindowPlace(
              Double.parseDouble(p.getProperty("x")),
              Double.parseDouble(p.getProperty("y")),
              Double.parseDouble(p.getProperty("width")),
              Double.parseDouble(p.getProperty("height")));
      boolean finite =
          Double.isFinite(w.x())
              && Double.isFinite(w.y())
              && Double.isFinite(w.width())
              && Double.isFinite(w.height());
      return finite && w.width() > 0 && w.height() > 0 ? Optional.of(w) : Optional.empty();
    } catch (IOException | RuntimeException e) {
      return Optional.empty(); // missing or hand-mangled: start centred
    }
  }

  /** Saves the place (written whole, then moved over the old file). */
  void save(Path file) throws IOException {
    Properties p = new Properties();
    p.setProperty("x", Double.toString(x));
    p.setProperty("y", Double.toString(y));
    p.setProperty("width", Double.toString(width));
    p.setProperty("height", Double.toString(height));
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    try (Writer w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
      p.store(w, "the inflight status window's last place");
    }
    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
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
