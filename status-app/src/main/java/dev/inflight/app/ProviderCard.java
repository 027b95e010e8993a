package dev.inflight.app;

import atlantafx.base.theme.Styles;
import dev.inflight.client.ProviderStatus;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import javafx.beans.binding.Bindings;
import javafx.beans.property.SimpleStringProperty;
import javafx.beans.property.StringProperty;
import javafx.collections.ListChangeListener;
import javafx.geometry.Pos;
import javafx.scene.control.Button;
import javafx.scene.control.CheckBox;
import javafx.scene.control.Label;
import javafx.scene.control.OverrunStyle;
import javafx.scene.control.TextField;
import javafx.scene.control.Tooltip;
import javafx.scene.layout.HBox;
import javafx.scene.layout.Priority;
import javafx.scene.layout.Region;
import javafx.scene.layout.VBox;

/**
 * One provider's row. Its height, its columns and its buttons stay put while the numbers change:
 * the limit in force has a column of its own, the pause note, the provider's own count and any
 * error share one status line that is always there, and Pause/Resume has one width. Wide, it is one
 * line with the chart between the counts and the buttons; narrow, the chart and the buttons go to a
 * second line.
 */
final class ProviderCard {
  static final double NAME_W = 150;
  static final double LIMIT_W = 56;
  static final double IN_FORCE_W = 64;
  static final double COOLDOWN_W = 68;
  static final double ADAPTIVE_W = 60;
  static final double COUNT_W = 50;
  static final double WAIT_W = 78;
  static final double CHART_MIN_W = 160;
  static final double CHART_H = 40;
  static final double CHART_NARROW_H = 28;
  static final double STATUS_NARROW_W = 340;
  static final double BUTTON_W = 78;
  static final double GAP = 8;

  final VBox node = new VBox(2);
  final ChartCanvas chart;
  private final HBox line1 = new HBox(GAP);
  private final HBox line2 = new HBox(GAP);
  private final HBox fixedCells;
  private final HBox buttons;
  private final HBox statusLine;
  private final HBox budgetLine;
  private final VBox modelsBox = new VBox(2);
  private final HBox addModelForm;
  private final Map<ModelRow, ModelCard> modelCards = new HashMap<>();
  private boolean wide = true;

  ProviderCard(ProviderRow row, StatusViewModel vm) {
    String p = row.provider();
    Label name = new Label(p);
    name.getStyleClass().add(Styles.TEXT_BOLD);
    name.setTooltip(new Tooltip(p));
    name.setTextOverrun(OverrunStyle.CENTER_ELLIPSIS);
    name.setMinWidth(0);
    Label pausedTag = new Label("paused");
    pausedTag.getStyleClass().add(Ui.PAUSED_TAG);
    pausedTag.setId("paused-" + p);
    pausedTag.setMinWidth(Region.USE_PREF_SIZE);
    HBox nameBox = new HBox(6, name, pausedTag);
    nameBox.setAlignment(Pos.CENTER_LEFT);

    TextField limit =
        Editors.editor("limit-" + p, "none", "limit: 1 to 10000; Enter or Tab saves, Esc undoes");
    TextField cooldown =
        Editors.editor(
            "cooldown-" + p,
            "0",
            "cooldown after each release, e.g. 500ms, 2s; Enter or Tab saves");
    Editors.wire(limit, row.limitEdit());
    Editors.wire(cooldown, row.cooldownEdit());
    // Typing in either field of the row: a "not saved" note is old news.
    for (TextField f : new TextField[] {limit, cooldown}) {
      f.textProperty()
          .addListener(
              (o, was, is) -> {
                if (f.isFocused()) {
                  row.limitEdit().dismiss();
                  row.cooldownEdit().dismiss();
                }
              });
    }

    Label inForce = new Label();
    inForce.setId("in-force-" + p);
    inForce.getStyleClass().add(Ui.IN_FORCE);
    inForce.textProperty().bind(row.inForceProperty());
    inForce.setMinWidth(Region.USE_PREF_SIZE);
    row.loweredProperty()
        .addListener((obs, o, n) -> inForce.pseudoClassStateChanged(Styles.STATE_WARNING, n));
    inForce.pseudoClassStateChanged(Styles.STATE_WARNING, row.loweredProperty().get());
    inForce.setTooltip(
        new Tooltip(
            "The limit grants obey now. \"2 of 4\": 429s lowered this adaptive limit from 4;"
                + " successes raise it back one step at a time after a quiet period."));

    StringProperty adaptiveError = new SimpleStringProperty("");
    CheckBox adaptive = new CheckBox();
    adaptive.setId("adaptive-" + p);
    adaptive.setTooltip(
        new Tooltip(
            "Adaptive: each 429 lowers the limit in force by one, successes raise it back"));
    adaptive.setOnAction(
        e -> adaptiveError.set(vm.setAdaptive(p, adaptive.isSelected()).orElse("")));

    Label active = Ui.metric("active-" + p);
    Label cooling = Ui.metric("cooling-" + p);
    Label queued = Ui.metric("queued-" + p);
    Label wait = Ui.metric("wait-" + p);
    wait.textProperty().bind(row.longestWaitProperty());
    chart = new ChartCanvas(row.history(), CHART_MIN_W, CHART_H);
    HBox.setHgrow(chart, Priority.ALWAYS);
    Tooltip.install(
        chart,
        new Tooltip(
            "blue = active, red = queued, dashed = limit in force at the time;"
                + " every chart has the same scale"));

    Button pause = new Button("Pause");
    pause.setId("pause-" + p);
    pause.getStyleClass().add(Styles.SMALL);
    pause.setMinWidth(BUTTON_W);
    pause.setPrefWidth(BUTTON_W);
    Button remove = new Button("Remove limit");
    remove.setId("remove-" + p);
    remove.getStyleClass().addAll(Styles.SMALL, Styles.FLAT);
    remove.setMinWidth(Region.USE_PREF_SIZE);
    remove.setOnAction(
        e -> {
          Map<String, String> facts = new LinkedHashMap<>();
          facts.put("Provider", p);
          facts.put("Limit", row.inForceProperty().get());
          if (Dialogs.confirm(
              node.getScene() == null ? null : node.getScene().getWindow(),
              "Remove the limit of '" + p + "'?",
              facts,
              "'"
                  + p
                  + "' becomes unlimited for every process; requests waiting for it are"
                  + " let through.",
              "Remove limit")) {
            vm.removeLimit(p);
          }
        });

    Label pauseNote = statusText("pause-note-" + p, Ui.PAUSE_NOTE);
    pauseNote.textProperty().bind(row.pauseProperty());
    Label upstream = statusText("upstream-" + p, Styles.TEXT_MUTED);
    upstream.textProperty().bind(row.upstreamProperty());
    Label error = statusText("error-" + p, Ui.INLINE_ERROR);
    error
        .textProperty()
        .bind(
            Bindings.createStringBinding(
                () ->
                    first(
                        row.limitEdit().errorProperty().get(),
                        row.cooldownEdit().errorProperty().get(),
                        row.rpmEdit().errorProperty().get(),
                        row.tpmEdit().errorProperty().get(),
                        adaptiveError.get()),
                row.limitEdit().errorProperty(),
                row.cooldownEdit().errorProperty(),
                row.rpmEdit().errorProperty(),
                row.tpmEdit().errorProperty(),
                adaptiveError));
    error.setTooltip(new Tooltip());
    error.getTooltip().textProperty().bind(error.textProperty());
    statusLine = new HBox(12, pauseNote, upstream, error);
    // An empty part takes no room (the line's height is fixed, so nothing else moves).
    for (Label part : new Label[] {pauseNote, upstream, error}) {
      Ui.bindShown(part, part.textProperty().isNotEmpty());
    }
    statusLine.getStyleClass().add(Ui.STATUS_LINE);
    statusLine.setAlignment(Pos.CENTER_LEFT);
    statusLine.setMinHeight(16);
    statusLine.setPrefHeight(16);
    statusLine.setMaxHeight(16);
    statusLine.setMinWidth(0);

    Runnable show =
        () -> {
          ProviderStatus s = row.status();
          if (s == null) {
            return;
          }
          boolean unlimited = s.limit().isEmpty();
          cooldown.setDisable(unlimited);
          adaptive.setSelected(s.adaptive());
          adaptive.setDisable(unlimited);
          if (!unlimited) {
            adaptiveError.set("");
          }
          active.setText(Integer.toString(s.active()));
          cooling.setText(Integer.toString(s.cooling()));
          queued.setText(Integer.toString(s.queued()));
          queued.pseudoClassStateChanged(Styles.STATE_DANGER, s.queued() > 0);
          boolean after429 = s.pausedUntil().isPresent();
          pausedTag.setText(s.paused() ? "paused" : "429");
          pausedTag.setVisible(s.paused() || after429);
          pausedTag.setManaged(s.paused() || after429);
          // Resume ends a pause by hand and lifts a 429 pause early, even without a limit.
          pause.setText(s.paused() || after429 ? "Resume" : "Pause");
          // A provider limited by a budget alone has a limit to pause and to remove.
          boolean noLimit = unlimited && row.specProperty().get().isEmpty();
          pause.setDisable(noLimit && !after429);
          remove.setDisable(noLimit);
        };
    pause.setOnAction(
        e -> {
          ProviderStatus s = row.status();
          if (s != null && (s.paused() || s.pausedUntil().isPresent())) {
            vm.resume(p);
          } else {
            vm.pause(p);
          }
        });
    row.statusProperty().addListener((obs, o, n) -> show.run());
    show.run();

    fixedCells =
        new HBox(
            GAP,
            Ui.cell(nameBox, NAME_W),
            Ui.cell(limit, LIMIT_W),
            Ui.cell(inForce, IN_FORCE_W),
            Ui.cell(cooldown, COOLDOWN_W),
            Ui.cell(adaptive, ADAPTIVE_W),
            Ui.cell(active, COUNT_W),
            Ui.cell(cooling, COUNT_W),
            Ui.cell(queued, COUNT_W),
            Ui.cell(wait, WAIT_W));
    fixedCells.setAlignment(Pos.CENTER_LEFT);
    fixedCells.setMinWidth(Region.USE_PREF_SIZE);
    buttons = new HBox(GAP, pause, remove);
    buttons.setAlignment(Pos.CENTER_RIGHT);
    buttons.setMinWidth(Region.USE_PREF_SIZE);
    line1.setAlignment(Pos.CENTER_LEFT);
    line2.setAlignment(Pos.CENTER_LEFT);
    node.getStyleClass().add(Ui.PROVIDER_ROW);
    node.setId("provider-" + p);

    addModelForm = BudgetLine.addModelForm(vm, p);
    budgetLine = BudgetLine.of(row, p, addModelForm);
    modelsBox.setId("models-" + p);
    row.models().addListener((ListChangeListener<ModelRow>) c -> syncModels(row, vm));
    syncModels(row, vm);
    setWide(true);
  }

  private void syncModels(ProviderRow row, StatusViewModel vm) {
    modelCards.keySet().removeIf(m -> !row.models().contains(m));
    modelsBox.getChildren().clear();
    for (ModelRow m : row.models()) {
      modelsBox.getChildren().add(modelCards.computeIfAbsent(m, k -> new ModelCard(k, vm)).node);
    }
    modelsBox.getChildren().add(addModelForm);
  }

  /**
   * Wide: the columns, the chart (taking the room left) and the buttons on one line, the status
   * line below. Narrow: the columns on the first line; the status line, a shorter chart and the
   * buttons on the second.
   */
  void setWide(boolean wide) {
    if (this.wide == wide && !line1.getChildren().isEmpty()) {
      return;
    }
    this.wide = wide;
    line1.getChildren().clear();
    line2.getChildren().clear();
    if (wide) {
      chart.setHeightTo(CHART_H);
      statusLine.setPrefWidth(Region.USE_COMPUTED_SIZE);
      line1.getChildren().addAll(fixedCells, chart, buttons);
      node.getChildren().setAll(line1, statusLine, budgetLine, modelsBox);
    } else {
      chart.setHeightTo(CHART_NARROW_H);
      statusLine.setPrefWidth(STATUS_NARROW_W);
      line1.getChildren().add(fixedCells);
      line2.getChildren().addAll(statusLine, chart, buttons);
      node.getChildren().setAll(line1, line2, budgetLine, modelsBox);
    }
  }

  /** The width of the columns before the chart, for the captions above the rows. */
  static double fixedWidth() {
    return NAME_W + LIMIT_W + IN_FORCE_W + COOLDOWN_W + ADAPTIVE_W + 3 * COUNT_W + WAIT_W + 8 * GAP;
  }

  static String first(String... texts) {
    for (String t : texts) {
      if (t != null && !t.isEmpty()) {
        return t;
      }
    }
    return "";
  }

  private static Label statusText(String id, String style) {
    Label l = new Label();
    l.setId(id);
    l.getStyleClass().add(style);
    l.setMinWidth(0);
    l.setTextOverrun(OverrunStyle.ELLIPSIS);
    l.setWrapText(false);
    return l;
  }
}
