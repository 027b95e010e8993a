package dev.inflight.app;

import javafx.beans.value.ObservableValue;
import javafx.geometry.Pos;
import javafx.scene.Node;
import javafx.scene.control.Label;
import javafx.scene.layout.HBox;
import javafx.scene.layout.Region;

/** Style classes (their colours live in app.css) and small builders the view's parts share. */
final class Ui {
  static final String PROVIDER_ROW = "provider-row";
  static final String METRIC = "metric";
  static final String METRIC_CAPTION = "metric-caption";
  static final String INLINE_ERROR = "inline-error";
  static final String BANNER = "banner";
  static final String PAUSED_TAG = "paused-tag";
  static final String PAUSE_NOTE = "pause-note";
  static final String IN_FORCE = "in-force";
  static final String LOWERED = "lowered";
  static final String HEADER = "header";
  static final String SECTION_TITLE = "section-title";
  static final String STATUS_LINE = "status-line";
  static final String BUDGET_LINE = "budget-line";
  static final String MODEL_ROW = "model-row";
  static final String GAUGE_BAR = "gauge-bar";
  static final String GAUGE_TEXT = "gauge-text";
  static final String CLASSES = "queue-classes";

  private Ui() {}

  static Label caption(String text) {
    Label l = new Label(text);
    l.setMinWidth(Region.USE_PREF_SIZE);
    l.getStyleClass().add(METRIC_CAPTION);
    return l;
  }

  static Label metric(String id) {
    Label l = new Label();
    l.setId(id);
    l.getStyleClass().add(METRIC);
    return l;
  }

  /** A fixed-width column cell, so that rows line up with the captions above them. */
  static HBox cell(Node n, double width) {
    HBox box = new HBox(n);
    box.setAlignment(Pos.CENTER_LEFT);
    box.setMinWidth(width);
    box.setPrefWidth(width);
    box.setMaxWidth(width);
    return box;
  }

  static void bindShown(Node n, ObservableValue<Boolean> shown) {
    n.visibleProperty().bind(shown);
    n.managedProperty().bind(shown);
  }
}
