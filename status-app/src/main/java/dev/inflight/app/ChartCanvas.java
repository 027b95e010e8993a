package dev.inflight.app;

import java.util.List;
import javafx.geometry.VPos;
import javafx.scene.canvas.Canvas;
import javafx.scene.canvas.GraphicsContext;
import javafx.scene.layout.Region;
import javafx.scene.paint.Color;
import javafx.scene.text.Font;
import javafx.scene.text.TextAlignment;

/**
 * A sparkline of one provider's recent history on the scale every chart shares: active leases as a
 * filled area, queued requests as a red line (nothing where none were queued), and the limit in
 * force as a dashed step line, drawn as it was at each moment and on top of the others. The common
 * top of the scale is labelled at the upper left, the span at the lower left. Resizable: it takes
 * the width its row gives it. Cheap: one canvas, redrawn once a second.
 */
final class ChartCanvas extends Region {
  /** Canvas paints are not styleable: one palette per theme, from Primer's accent and danger. */
  record Palette(Color active, Color activeFill, Color queued, Color limit, Color grid) {
    static final Palette LIGHT =
        new Palette(
            Color.web("#0969da"),
            Color.web("#0969da", 0.22),
            Color.web("#cf222e"),
            Color.web("#57606a"),
            Color.web("#d0d7de"));
    static final Palette DARK =
        new Palette(
            Color.web("#4493f8"),
            Color.web("#4493f8", 0.28),
            Color.web("#f85149"),
            Color.web("#9198a1"),
            Color.web("#3d444d"));
  }

  private static final Font LABEL_FONT = Font.font(9);
  private static final double LABEL_W = 18;

  /** A hole in the samples longer than this (beyond one bucket) is drawn as a gap. */
  static final long GAP_MS = 5_000;

  private final History history;
  private final Canvas canvas = new Canvas();
  private long nowMs;
  private long spanMs = 60_000;
  private int top = 2;
  private Palette palette = Palette.LIGHT;

  ChartCanvas(History history, double minWidth, double height) {
    this.history = history;
    getChildren().add(canvas);
    setMinWidth(minWidth);
    setPrefWidth(minWidth);
    setMaxWidth(Double.MAX_VALUE);
    setHeightTo(height);
  }

  void setHeightTo(double height) {
    setMinHeight(height);
    setPrefHeight(height);
    setMaxHeight(height);
  }

  @Override
  protected void layoutChildren() {
    double w = Math.floor(getWidth());
    double h = Math.floor(getHeight());
    if (canvas.getWidth() != w || canvas.getHeight() != h) {
      canvas.setWidth(w);
      canvas.setHeight(h);
      draw();
    }
  }

  /** Draws the history up to {@code nowMs} over {@code spanMs}, from 0 to {@code top}. */
  void redraw(long nowMs, long spanMs, int top, Palette palette) {
    this.palette = palette;
    this.nowMs = nowMs;
    this.spanMs = Math.max(1, spanMs);
    this.top = Math.max(1, top);
    draw();
  }

  private void draw() {
    GraphicsContext g = canvas.getGraphicsContext2D();
    double w = canvas.getWidth();
    double h = canvas.getHeight();
    g.clearRect(0, 0, w, h);
    if (w <= LABEL_W + 2 || h <= 8) {
      return;
    }
    double x0 = LABEL_W;
    double plotW = w - x0;
    double yTop = 5;
    double yBase = h - 1;
    double yScale = (yBase - yTop) / top;
    g.setStroke(palette.grid());
    g.setLineWidth(1);
    g.strokeLine(x0, yBase - 0.5, w, yBase - 0.5);
    g.setLineDashes(1, 3);
    g.strokeLine(x0, yTop + 0.5, w, yTop + 0.5);
    g.setLineDashes();
    g.setFill(palette.limit());
    g.setFont(LABEL_FONT);
    g.setTextAlign(TextAlignment.RIGHT);
    g.setTextBaseline(VPos.CENTER);
    g.fillText(Integer.toString(top), x0 - 3, yTop + 1);
    g.fillText("0", x0 - 3, yBase - 2);
    g.setTextBaseline(VPos.BASELINE);
    g.setTextAlign(TextAlignment.LEFT);

    long start = nowMs - spanMs;
    double xScale = plotW / (double) spanMs;
    // At most one step per pixel: an hour's 3,600 seconds folded into the chart's width.
    long perPixel = (long) Math.ceil(spanMs / Math.max(1, plotW));
    long bucketMs = Math.max(History.BUCKET_MS, (perPixel + 999) / 1000 * 1000);
    List<History.Sample> shown = History.fold(history.samplesSince(start), bucketMs);
    if (shown.isEmpty()) {
      return;
    }
    double barW = Math.max(1, bucketMs * xScale);
    g.save();
    g.beginPath();
    g.rect(x0, 0, plotW, h);
    g.clip();

    // active: a filled step area with its outline, back to the baseline where the app was not
    // running (a gap is shown as a gap, not drawn across)
    g.setFill(palette.activeFill());
    g.beginPath();
    History.Sample prev = null;
    double lastX = 0;
    for (History.Sample s : shown) {
      double x = x(s.atMs(), start, xScale, x0);
      double y = yBase - Math.min(top, s.active()) * yScale;
      if (prev == null || gap(prev, s, bucketMs)) {
        if (prev != null) {
          g.lineTo(lastX, yBase);
        }
        g.moveTo(x, yBase);
      }
      prev = s;
      g.lineTo(x, y);
      g.lineTo(x + barW, y);
      lastX = x + barW;
    }
    g.lineTo(lastX, yBase);
    g.fill();
    g.setStroke(palette.active());
    g.setLineWidth(1.2);
    steps(g, shown, bucketMs, start, xScale, x0, barW, yBase, yScale, Series.ACTIVE);

    g.setStroke(palette.queued());
    g.setLineWidth(1.6);
    steps(g, shown, bucketMs, start, xScale, x0, barW, yBase, yScale, Series.QUEUED);

    g.setStroke(palette.limit());
    g.setLineWidth(1);
    g.setLineDashes(3, 3);
    steps(g, shown, bucketMs, start, xScale, x0, barW, yBase, yScale, Series.LIMIT);
    g.setLineDashes();
    g.restore();
  }

  private enum Series {
    ACTIVE,
    QUEUED,
    LIMIT
  }

  /**
   * A step line through the samples; queued and limit lines break where there is nothing to draw
   * (no one queued, no limit), so an idle provider shows no red and an unlimited one no dashes;
   * every line breaks where there are no samples (the app was not running).
   */
  private void steps(
      GraphicsContext g,
      List<History.Sample> samples,
      long bucketMs,
      long start,
      double xScale,
      double x0,
      double barW,
      double yBase,
      double yScale,
      Series series) {
    g.beginPath();
    boolean drawing = false;
    History.Sample prev = null;
    for (History.Sample s : samples) {
      int v =
          switch (series) {
            case ACTIVE -> s.active();
            case QUEUED -> s.queued();
            case LIMIT -> s.limit();
          };
      boolean contiguous = prev != null && !gap(prev, s, bucketMs);
      prev = s;
      if (series != Series.ACTIVE && v == 0) {
        drawing = false;
        continue;
      }
      double x = x(s.atMs(), start, xScale, x0);
      // on pixel centres, never below the baseline (a zero would draw a tick under it)
      double y = Math.min(yBase - 0.5, Math.floor(yBase - Math.min(top, v) * yScale) + 0.5);
      if (!drawing || !contiguous) {
        g.moveTo(x, y);
        drawing = true;
      } else {
        g.lineTo(x, y);
      }
      g.lineTo(x + barW, y);
    }
    g.stroke();
  }

  /**
   * Whether the app was not recording between two samples (it was not running, or stalled): a
   * second or two missed by a late tick on a loaded machine is not a gap.
   */
  static boolean gap(History.Sample a, History.Sample b, long bucketMs) {
    return b.atMs() - a.atMs() > bucketMs + GAP_MS;
  }

  private static double x(long atMs, long start, double xScale, double x0) {
    return x0 + Math.max(0, (atMs - start) * xScale);
  }
}
