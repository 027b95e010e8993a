package dev.inflight.app;

import atlantafx.base.theme.Styles;
import javafx.beans.value.ObservableValue;
import javafx.geometry.Pos;
import javafx.scene.control.Label;
import javafx.scene.control.ProgressBar;
import javafx.scene.layout.HBox;
import javafx.scene.layout.Region;

/** A budget's gauge: a short bar and its text ({@code 412/500 rpm}); hidden without the budget. */
final class GaugeView {
  static final double BAR_W = 64;

  private GaugeView() {}

  static HBox of(String id, ObservableValue<Gauge> gauge) {
    ProgressBar bar = new ProgressBar(0);
    bar.setPrefWidth(BAR_W);
    bar.setMinWidth(BAR_W);
    bar.setMaxWidth(BAR_W);
    bar.setPrefHeight(8);
    bar.setMaxHeight(8);
    bar.getStyleClass().addAll(Styles.SMALL, Ui.GAUGE_BAR);
    Label text = new Label();
    text.setId(id);
    text.getStyleClass().add(Ui.GAUGE_TEXT);
    text.setMinWidth(Region.USE_PREF_SIZE);
    HBox box = new HBox(4, bar, text);
    box.setAlignment(Pos.CENTER_LEFT);
    box.setMinWidth(Region.USE_PREF_SIZE);
    Runnable show =
        () -> {
          Gauge g = gauge.getValue();
          text.setText(g.text());
          bar.setProgress(g.fraction());
          bar.pseudoClassStateChanged(Styles.STATE_DANGER, g.full());
          text.pseudoClassStateChanged(Styles.STATE_DANGER, g.full());
          box.setVisible(g.shown());
          box.setManaged(g.shown());
        };
    gauge.addListener((obs, o, n) -> show.run());
    show.run();
    return box;
  }
}
