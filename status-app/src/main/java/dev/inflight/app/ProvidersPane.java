package dev.inflight.app;

import atlantafx.base.theme.Styles;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Function;
import javafx.beans.Observable;
import javafx.beans.binding.Bindings;
import javafx.beans.binding.DoubleBinding;
import javafx.beans.property.ObjectProperty;
import javafx.beans.property.SimpleObjectProperty;
import javafx.collections.ListChangeListener;
import javafx.collections.ObservableList;
import javafx.geometry.Insets;
import javafx.geometry.Pos;
import javafx.scene.Node;
import javafx.scene.control.Label;
import javafx.scene.control.ScrollPane;
import javafx.scene.layout.HBox;
import javafx.scene.layout.Priority;
import javafx.scene.layout.Region;
import javafx.scene.layout.VBox;
import javafx.scene.paint.Color;
import javafx.scene.shape.Line;

/**
 * The providers: a title with the charts' legend and their common span, column captions, and the
 * rows in a scroll pane (so that thirty providers fit any window). The rows are one line each when
 * the pane is wide enough, two when it is not.
 */
final class ProvidersPane {
  /** Below this content width the chart and buttons of each row go to a second line. */
  static final double WIDE_MIN =
      ProviderCard.fixedWidth()
          + ProviderCard.CHART_MIN_W
          + 2 * ProviderCard.BUTTON_W
          + 40
          + 4 * ProviderCard.GAP;

  private final StatusViewModel vm;
  private final ObservableList<ProviderRow> rows;
  private final VBox rowBox = new VBox(6);
  private final Map<ProviderRow, ProviderCard> cards = new HashMap<>();
  private final Label span = Ui.caption("");
  private final HBox captions;
  private final Node wideCaptions;
  private final ScrollPane scroll = new ScrollPane(rowBox);
  private final VBox node;
  private boolean wide = true;
  private final ObjectProperty<ChartCanvas.Palette> palette =
      new SimpleObjectProperty<>(ChartCanvas.Palette.LIGHT);

  ProvidersPane(StatusViewModel vm, ObservableList<ProviderRow> rows) {
    this.vm = vm;
    this.rows = rows;
    Label title = new Label("Providers");
    title.getStyleClass().add(Ui.SECTION_TITLE);
    Region spacer = new Region();
    HBox.setHgrow(spacer, Priority.ALWAYS);
    span.setId("chart-span");
    HBox titleLine = new HBox(8, title, spacer, legend());
    titleLine.setAlignment(Pos.CENTER_LEFT);

    captions =
        new HBox(
            ProviderCard.GAP,
            Ui.cell(Ui.caption("provider"), ProviderCard.NAME_W),
            Ui.cell(Ui.caption("limit"), ProviderCard.LIMIT_W),
            Ui.cell(Ui.caption("in force"), ProviderCard.IN_FORCE_W),
            Ui.cell(Ui.caption("cooldown"), ProviderCard.COOLDOWN_W),
            Ui.cell(Ui.caption("adaptive"), ProviderCard.ADAPTIVE_W),
            Ui.cell(Ui.caption("active"), ProviderCard.COUNT_W),
            Ui.cell(Ui.caption("cooling"), ProviderCard.COUNT_W),
            Ui.cell(Ui.caption("queued"), ProviderCard.COUNT_W),
            Ui.cell(Ui.caption("longest wait"), ProviderCard.WAIT_W));
    wideCaptions = Ui.caption("history");
    captions.getChildren().add(wideCaptions);
    captions.setPadding(new Insets(0, 11, 0, 11));

    Label empty = new Label("No limits yet: add one below, or start agents.");
    empty.setId("no-providers");
    empty.getStyleClass().add(Styles.TEXT_MUTED);
    Ui.bindShown(empty, Bindings.isEmpty(rows));

    rowBox.setPadding(new Insets(0, 2, 2, 0));
    scroll.setId("providers-scroll");
    scroll.setFitToWidth(true);
    scroll.setHbarPolicy(ScrollPane.ScrollBarPolicy.NEVER);
    scroll.getStyleClass().add(atlantafx.base.theme.Tweaks.EDGE_TO_EDGE);
    // As tall as the rows (the add form follows them), up to the room there is; then it scrolls.
    DoubleBinding content =
        Bindings.createDoubleBinding(
            () -> rowBox.getBoundsInLocal().getHeight() + 2, rowBox.boundsInLocalProperty());
    scroll.maxHeightProperty().bind(content);
    scroll.minHeightProperty().bind(Bindings.min(90.0, content));
    scroll.viewportBoundsProperty().addListener((obs, o, b) -> setWide(b.getWidth() >= WIDE_MIN));
    VBox.setVgrow(scroll, Priority.ALWAYS);

    node = new VBox(6, titleLine, captions, empty, scroll, new AddLimitPane(vm.addForm()).node());
    rows.addListener((ListChangeListener<ProviderRow>) c -> syncCards());
    syncCards();
  }

  VBox node() {
    return node;
  }

  /** The rows' bounds, which change as rows come, go and grow. */
  Observable contentBounds() {
    return rowBox.boundsInLocalProperty();
  }

  private void setWide(boolean wide) {
    if (this.wide == wide) {
      return;
    }
    this.wide = wide;
    wideCaptions.setVisible(wide);
    cards.values().forEach(c -> c.setWide(wide));
  }

  private void syncCards() {
    cards.keySet().removeIf(r -> !rows.contains(r));
    rowBox.getChildren().clear();
    for (ProviderRow r : rows) {
      ProviderCard card =
          cards.computeIfAbsent(
              r,
              k -> {
                ProviderCard c = new ProviderCard(k, vm);
                c.setWide(wide);
                return c;
              });
      rowBox.getChildren().add(card.node);
    }
    redrawCharts(System.currentTimeMillis());
  }

  /** Redraws every chart on the common span and scale, and says the span in the legend. */
  void redrawCharts(long nowMs) {
    Histories h = vm.histories();
    long spanMs = h.spanMs(nowMs);
    int top = h.scaleTop(nowMs);
    span.setText("last " + spanMs / 60_000 + " min, 0 to " + top + " on every chart:");
    cards.values().forEach(c -> c.chart.redraw(nowMs, spanMs, top, palette.get()));
  }

  /** The charts' colours, following the theme. */
  void setPalette(ChartCanvas.Palette p) {
    palette.set(p);
    redrawCharts(System.currentTimeMillis());
  }

  private Node swatch(Function<ChartCanvas.Palette, Color> colour, boolean dashed) {
    Line l = new Line(0, 0, 12, 0);
    l.strokeProperty()
        .bind(Bindings.createObjectBinding(() -> colour.apply(palette.get()), palette));
    l.setStrokeWidth(dashed ? 1 : 3);
    if (dashed) {
      l.getStrokeDashArray().addAll(3.0, 2.0);
    }
    return l;
  }

  /** "last 3 min, 0 to 5 on every chart: ▬ active ▬ queued ┄ limit in force". */
  private Node legend() {
    HBox box =
        new HBox(
            6,
            span,
            swatch(ChartCanvas.Palette::active, false),
            Ui.caption("active"),
            swatch(ChartCanvas.Palette::queued, false),
            Ui.caption("queued"),
            swatch(ChartCanvas.Palette::limit, true),
            Ui.caption("limit in force"));
    box.setAlignment(Pos.CENTER_LEFT);
    box.setMinWidth(0);
    return box;
  }
}
