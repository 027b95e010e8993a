package dev.inflight.app;

import java.util.List;
import javafx.scene.canvas.Canvas;
import javafx.scene.canvas.GraphicsContext;
import javafx.scene.paint.Color;
import javafx.scene.text.Font;

/**
 * A sparkline of one provider's last ten minutes: active leases as a filled area, queued requests
 * as a line, the limit in force as a dashed line. Cheap: one canvas, redrawn once a second.
 */
final class ChartCanvas extends Canvas {
  // Canvas paints are not styleable; these match the accent and warning colours of app.css.
  private static final Color ACTIVE = Color.web("#0969da");
  private static final Color ACTIVE_FILL = Color.web("#0969da", 0.22);
  private static final Color QUEUED = Color.web("#cf222e");
  private static final Color LIMIT = Color.web("#57606a");
  private static final Color GRID = Color.web("#d0d7de");
  private static final Font LABEL_FONT = Font.font(9);
  private static final Color LABEL_BACKGROUND = Color.web("#f6f8fa"); // -color-bg-subtle

  private final History history;

  ChartCanvas(History history, double width, double height) {
    super(width, height);
    this.history = history;
  }

  void redraw(long nowMs) {
    GraphicsContext g = getGraphicsContext2D();
    double w = getWidth();
    double h = getHeight();
    g.clearRect(0, 0, w, h);
    g.setStroke(GRID);
    g.setLineWidth(1);
    g.strokeLine(0, h - 0.5, w, h - 0.5);
    List<History.Sample> samples = history.samples();
    if (samples.isEmpty()) {
      return;
    }
    int max = 1;
    for (History.Sample s : samples) {
      max = Math.max(max, Math.max(s.limit(), s.active() + s.queued()));
      max = Math.max(max, s.queued());
    }
    double top = 4;
    double yScale = (h - top - 1) / max;
    // Ten minutes once there is that much history; until then the span grows by whole minutes,
    // so a fresh window is not a sliver at the right edge.
    long age = nowMs - samples.get(0).atMs();
    long span = Math.min(History.WINDOW_MS, Math.max(1, (age + 59_999) / 60_000) * 60_000);
    double xScale = w / (double) span;
    long start = nowMs - span;
    double barW = Math.max(1, History.BUCKET_MS * xScale);

    g.setFill(ACTIVE_FILL);
    g.beginPath();
    g.moveTo(x(samples.get(0).atMs(), start, xScale), h);
    for (History.Sample s : samples) {
      double x = x(s.atMs(), start, xScale);
      g.lineTo(x, h - 1 - s.active() * yScale);
      g.lineTo(x + barW, h - 1 - s.active() * yScale);
    }
    g.lineTo(x(samples.get(samples.size() - 1).atMs(), start, xScale) + barW, h);
    g.closePath();
    g.fill();

    g.setStroke(ACTIVE);
    g.setLineWidth(1.2);
    stroke(g, samples, start, xScale, barW, h, yScale, true);
    g.setStroke(QUEUED);
    g.setLineWidth(1.6);
    stroke(g, samples, start, xScale, barW, h, yScale, false);

    int limit = samples.get(samples.size() - 1).limit();
    if (limit > 0) {
      double y = Math.round(h - 1 - limit * yScale) + 0.5;
      g.setStroke(LIMIT);
      g.setLineWidth(1);
      g.setLineDashes(3, 3);
      g.strokeLine(0, y, w, y);
      g.setLineDashes();
    }

    // The span, on a patch of background so no line runs through it.
    g.setFill(LABEL_BACKGROUND);
    g.fillRect(0, h - 13, 22, 12);
    g.setFill(LIMIT);
    g.setFont(LABEL_FONT);
    g.fillText("-" + span / 60_000 + "m", 2, h - 4);
  }

  private static void stroke(
      GraphicsContext g,
      List<History.Sample> samples,
      long start,
      double xScale,
      double barW,
      double h,
      double yScale,
      boolean active) {
    g.beginPath();
    boolean first = true;
    for (History.Sample s : samples) {
      double x = x(s.atMs(), start, xScale);
      double y = h - 1 - (active ? s.active() : s.queued()) * yScale;
      if (first) {
        g.moveTo(x, y);
        first = false;
      } else {
        g.lineTo(x, y);
      }
      g.lineTo(x + barW, y);
    }
    g.stroke();
  }

  /** The legend's swatches, in the chart's colours. */
  static Color activeColor() {
    return ACTIVE;
  }

  static Color queuedColor() {
    return QUEUED;
  }

  static Color limitColor() {
    return LIMIT;
  }

  private static double x(long atMs, long start, double xScale) {
    return Math.max(0, (atMs - start) * xScale);
  }
}
