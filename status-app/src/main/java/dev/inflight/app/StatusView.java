package dev.inflight.app;

import atlantafx.base.theme.Styles;
import dev.inflight.client.LeaseInfo;
import dev.inflight.client.ProviderStatus;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import javafx.animation.KeyFrame;
import javafx.animation.Timeline;
import javafx.beans.binding.Bindings;
import javafx.beans.property.ReadOnlyObjectWrapper;
import javafx.beans.property.ReadOnlyStringWrapper;
import javafx.beans.value.ObservableValue;
import javafx.collections.ListChangeListener;
import javafx.geometry.Insets;
import javafx.geometry.Orientation;
import javafx.geometry.Pos;
import javafx.scene.Node;
import javafx.scene.Parent;
import javafx.scene.control.Alert;
import javafx.scene.control.Button;
import javafx.scene.control.ButtonType;
import javafx.scene.control.CheckBox;
import javafx.scene.control.Label;
import javafx.scene.control.SplitPane;
import javafx.scene.control.TableCell;
import javafx.scene.control.TableColumn;
import javafx.scene.control.TableView;
import javafx.scene.control.TextField;
import javafx.scene.control.Tooltip;
import javafx.scene.input.KeyCode;
import javafx.scene.layout.BorderPane;
import javafx.scene.layout.HBox;
import javafx.scene.layout.Priority;
import javafx.scene.layout.Region;
import javafx.scene.layout.VBox;
import javafx.scene.paint.Color;
import javafx.scene.shape.Line;
import javafx.util.Duration;

/**
 * The window's content, built in code over a {@link StatusViewModel}: a header, a banner when the
 * database cannot be read, one row per provider (editable limit, cooldown and adaptive flag, the
 * limit in force, counts, a ten-minute chart, pause and remove, and a 429 pause with its
 * countdown), a row to add a limit, and the leases and queue tables.
 */
final class StatusView {
  static final String PROVIDER_ROW = "provider-row";
  static final String METRIC = "metric";
  static final String METRIC_CAPTION = "metric-caption";
  static final String INLINE_ERROR = "inline-error";
  static final String BANNER = "banner";
  static final String PAUSED_TAG = "paused-tag";
  static final String PAUSE_NOTE = "pause-note";
  static final String EFFECTIVE_LIMIT = "effective-limit";
  static final String HEADER = "header";
  static final String SECTION_TITLE = "section-title";

  private static final double CHART_W = 290;
  private static final double LIMIT_W = 120;
  private static final double CHART_H = 46;

  private final StatusViewModel vm;
  private final BorderPane root = new BorderPane();
  private final VBox providerBox = new VBox();
  private final Map<ProviderRow, ProviderCard> cards = new HashMap<>();
  private final Timeline chartTick;

  StatusView(StatusViewModel vm) {
    this.vm = vm;
    root.getStyleClass().add("status-root");
    root.setTop(header());
    VBox center = new VBox(12, providersSection(), addLimitRow(), tables());
    VBox.setVgrow(center.getChildren().get(2), Priority.ALWAYS);
    center.setPadding(new Insets(12, 16, 16, 16));
    root.setCenter(center);
    vm.providers().addListener((ListChangeListener<ProviderRow>) c -> syncCards());
    syncCards();
    chartTick = new Timeline(new KeyFrame(Duration.seconds(1), e -> redrawCharts()));
    chartTick.setCycleCount(Timeline.INDEFINITE);
    root.setFocusTraversable(false);
    javafx.application.Platform.runLater(root::requestFocus);
    chartTick.play();
  }

  Parent root() {
    return root;
  }

  void stop() {
    chartTick.stop();
  }

  // ---------------------------------------------------------------- header and banner

  private Node header() {
    Label title = new Label("inflight");
    title.getStyleClass().addAll(Styles.TITLE_3);
    Label db = new Label();
    db.getStyleClass().add(Styles.TEXT_MUTED);
    db.textProperty().bind(vm.databaseProperty());
    db.setId("database-path");
    Region spacer = new Region();
    HBox.setHgrow(spacer, Priority.ALWAYS);
    Label summary = new Label();
    summary.setId("summary");
    summary.getStyleClass().add(Styles.TEXT_BOLD);
    summary.textProperty().bind(vm.summaryProperty());
    HBox bar = new HBox(12, title, db, spacer, summary);
    bar.setAlignment(Pos.BASELINE_LEFT);
    bar.getStyleClass().add(HEADER);
    bar.setPadding(new Insets(10, 16, 10, 16));

    Label problem = new Label();
    problem.setId("problem");
    problem.setWrapText(true);
    problem
        .textProperty()
        .bind(
            Bindings.createStringBinding(
                () ->
                    vm.problemProperty().get() == null
                        ? ""
                        : vm.problemProperty().get()
                            + "\nRetrying every "
                            + StatusViewModel.RETRY.toSeconds()
                            + " s.",
                vm.problemProperty()));
    problem.getStyleClass().add(BANNER);
    problem.setMaxWidth(Double.MAX_VALUE);
    bindShown(problem, vm.problemProperty().isNotNull());

    Label cmdError = new Label();
    cmdError.setId("command-error");
    cmdError.setWrapText(true);
    cmdError.textProperty().bind(vm.commandErrorProperty());
    cmdError.getStyleClass().add(BANNER);
    cmdError.setMaxWidth(Double.MAX_VALUE);
    bindShown(cmdError, vm.commandErrorProperty().isNotNull());
    return new VBox(bar, problem, cmdError);
  }

  // ---------------------------------------------------------------- providers

  private Node providersSection() {
    Label title = new Label("Providers");
    title.getStyleClass().add(SECTION_TITLE);
    HBox head =
        new HBox(
            cell(caption("provider"), 150),
            cell(caption("limit"), LIMIT_W),
            cell(caption("cooldown"), 80),
            cell(caption("adaptive"), 64),
            cell(caption("active"), 56),
            cell(caption("cooling"), 56),
            cell(caption("queued"), 56),
            cell(caption("longest wait"), 86),
            cell(legend(), CHART_W + 8));
    head.setSpacing(8);
    head.setPadding(new Insets(0, 10, 0, 10));
    Label empty = new Label("No limits yet: add one below, or start agents.");
    empty.getStyleClass().add(Styles.TEXT_MUTED);
    bindShown(empty, Bindings.isEmpty(vm.providers()));
    providerBox.setSpacing(6);
    return new VBox(6, title, head, empty, providerBox);
  }

  private void syncCards() {
    cards.keySet().removeIf(r -> !vm.providers().contains(r));
    providerBox.getChildren().clear();
    for (ProviderRow r : vm.providers()) {
      providerBox.getChildren().add(cards.computeIfAbsent(r, ProviderCard::new).node);
    }
  }

  private void redrawCharts() {
    long now = System.currentTimeMillis();
    cards.values().forEach(c -> c.chart.redraw(now));
  }

  /** One provider's row. */
  private final class ProviderCard {
    final VBox node;
    final ChartCanvas chart;

    ProviderCard(ProviderRow row) {
      String p = row.provider();
      Label name = new Label(p);
      name.getStyleClass().add(Styles.TEXT_BOLD);
      name.setTooltip(new Tooltip(p));
      Label pausedTag = new Label("paused");
      pausedTag.getStyleClass().add(PAUSED_TAG);
      pausedTag.setId("paused-" + p);
      HBox nameBox = new HBox(6, name, pausedTag);
      nameBox.setAlignment(Pos.CENTER_LEFT);

      Label error = new Label();
      error.setId("error-" + p);
      error.getStyleClass().add(INLINE_ERROR);
      error.setWrapText(true);
      bindShown(error, error.textProperty().isNotEmpty());

      TextField limit = editor("limit-" + p, "no limit", "max_in_flight: 1 to 10000; Enter saves");
      TextField cooldown =
          editor("cooldown-" + p, "0", "cooldown after each release, e.g. 500ms, 2s");
      wire(limit, error, text -> vm.setLimit(p, text), () -> limitText(row.status()));
      wire(cooldown, error, text -> vm.setCooldown(p, text), () -> cooldownText(row.status()));
      Label effective = new Label();
      effective.setId("effective-" + p);
      effective.getStyleClass().add(EFFECTIVE_LIMIT);
      effective.textProperty().bind(row.effectiveLimitProperty());
      effective.setTooltip(
          new Tooltip(
              "now: the limit in force (429s lowered this adaptive limit; successes raise it back"
                  + " one step at a time after a quiet period). upstream: requests the provider"
                  + " itself counts in flight, from a usage probe"));
      bindShown(effective, effective.textProperty().isNotEmpty());
      HBox limitBox = new HBox(6, limit, effective);
      limitBox.setAlignment(Pos.CENTER_LEFT);
      CheckBox adaptive = new CheckBox();
      adaptive.setId("adaptive-" + p);
      adaptive.setTooltip(
          new Tooltip(
              "Adaptive: each 429 lowers the limit in force by one, successes raise it back"));
      adaptive.setOnAction(
          e -> {
            Optional<String> problem = vm.setAdaptive(p, adaptive.isSelected());
            error.setText(problem.orElse(""));
          });
      Label pauseNote = new Label();
      pauseNote.setId("pause-note-" + p);
      pauseNote.getStyleClass().add(PAUSE_NOTE);
      pauseNote.textProperty().bind(row.pauseProperty());
      bindShown(pauseNote, pauseNote.textProperty().isNotEmpty());

      Label active = metric("active-" + p);
      Label cooling = metric("cooling-" + p);
      Label queued = metric("queued-" + p);
      Label wait = metric("wait-" + p);
      wait.textProperty().bind(row.longestWaitProperty());
      chart = new ChartCanvas(row.history(), CHART_W, CHART_H);
      Tooltip.install(
          chart,
          new Tooltip("Last 10 minutes: blue = active, red = queued, dashed = limit in force"));

      Button pause = new Button("Pause");
      pause.setId("pause-" + p);
      pause.getStyleClass().add(Styles.SMALL);
      Button remove = new Button("Remove limit");
      remove.setId("remove-" + p);
      remove.getStyleClass().addAll(Styles.SMALL, Styles.FLAT);
      remove.setOnAction(
          e -> {
            if (confirm(
                "Remove the limit of '" + p + "'?",
                "'" + p + "' becomes unlimited for every process.")) {
              vm.removeLimit(p);
            }
          });

      Runnable show =
          () -> {
            ProviderStatus s = row.status();
            if (s == null) {
              return;
            }
            if (!limit.isFocused()) {
              limit.setText(limitText(s));
            }
            if (!cooldown.isFocused()) {
              cooldown.setText(cooldownText(s));
            }
            cooldown.setDisable(s.limit().isEmpty());
            adaptive.setSelected(s.adaptive());
            adaptive.setDisable(s.limit().isEmpty());
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
            pause.setDisable(s.limit().isEmpty() && !after429);
            remove.setDisable(s.limit().isEmpty());
            pause.setOnAction(
                e -> {
                  if (s.paused() || after429) {
                    vm.resume(p);
                  } else {
                    vm.pause(p);
                  }
                });
          };
      row.statusProperty().addListener((obs, o, n) -> show.run());
      show.run();

      HBox line =
          new HBox(
              8,
              cell(nameBox, 150),
              cell(limitBox, LIMIT_W),
              cell(cooldown, 80),
              cell(adaptive, 64),
              cell(active, 56),
              cell(cooling, 56),
              cell(queued, 56),
              cell(wait, 86),
              cell(chart, CHART_W + 8),
              pause,
              remove);
      line.setAlignment(Pos.CENTER_LEFT);
      node = new VBox(4, line, pauseNote, error);
      node.getStyleClass().add(PROVIDER_ROW);
      node.setId("provider-" + p);
      chart.redraw(System.currentTimeMillis());
    }
  }

  private static String limitText(ProviderStatus s) {
    return s == null || s.limit().isEmpty() ? "" : Integer.toString(s.limit().getAsInt());
  }

  private static String cooldownText(ProviderStatus s) {
    return s == null || s.limit().isEmpty() ? "" : Fmt.cooldown(s.cooldown());
  }

  private static TextField editor(String id, String prompt, String tip) {
    TextField f = new TextField();
    f.setId(id);
    f.setPromptText(prompt);
    f.setTooltip(new Tooltip(tip));
    f.getStyleClass().add(Styles.SMALL);
    f.setPrefColumnCount(5);
    return f;
  }

  /**
   * Enter saves (or shows the library's message and keeps the text for fixing); Escape and leaving
   * the field put back the current value.
   */
  private static void wire(
      TextField f,
      Label error,
      Function<String, Optional<String>> save,
      java.util.function.Supplier<String> current) {
    f.setOnAction(
        e -> {
          Optional<String> problem = save.apply(f.getText());
          error.setText(problem.orElse(""));
          f.pseudoClassStateChanged(Styles.STATE_DANGER, problem.isPresent());
          if (problem.isEmpty()) {
            f.getParent().requestFocus();
          }
        });
    f.setOnKeyPressed(
        e -> {
          if (e.getCode() == KeyCode.ESCAPE) {
            f.setText(current.get());
            error.setText("");
            f.pseudoClassStateChanged(Styles.STATE_DANGER, false);
            f.getParent().requestFocus();
          }
        });
    f.focusedProperty()
        .addListener(
            (obs, was, is) -> {
              if (!is && error.getText().isEmpty()) {
                f.setText(current.get());
              }
            });
  }

  // ---------------------------------------------------------------- add a limit

  private Node addLimitRow() {
    TextField provider = new TextField();
    provider.setId("add-provider");
    provider.setPromptText("provider, e.g. openai");
    provider.setPrefColumnCount(14);
    TextField limit = new TextField();
    limit.setId("add-limit");
    limit.setPromptText("limit");
    limit.setPrefColumnCount(5);
    TextField cooldown = new TextField();
    cooldown.setId("add-cooldown");
    cooldown.setPromptText("cooldown (0)");
    cooldown.setPrefColumnCount(7);
    Button add = new Button("Add limit");
    add.setId("add-button");
    add.getStyleClass().add(Styles.ACCENT);
    add.setDefaultButton(false);
    Label error = new Label();
    error.setId("add-error");
    error.getStyleClass().add(INLINE_ERROR);
    bindShown(error, error.textProperty().isNotEmpty());
    Runnable submit =
        () -> {
          Optional<String> problem =
              vm.addLimit(provider.getText(), limit.getText(), cooldown.getText());
          error.setText(problem.orElse(""));
          if (problem.isEmpty()) {
            provider.clear();
            limit.clear();
            cooldown.clear();
          }
        };
    add.setOnAction(e -> submit.run());
    provider.setOnAction(e -> submit.run());
    limit.setOnAction(e -> submit.run());
    cooldown.setOnAction(e -> submit.run());
    HBox row = new HBox(8, provider, limit, cooldown, add);
    row.setAlignment(Pos.CENTER_LEFT);
    return new VBox(4, row, error);
  }

  // ---------------------------------------------------------------- tables

  private Node tables() {
    TableView<LeaseRow> leases = new TableView<>(vm.leases());
    leases.setId("leases");
    leases.setPlaceholder(new Label("No active leases"));
    leases.getColumns().add(column("provider", 110, r -> text(r.info().provider())));
    leases.getColumns().add(column("label", 130, r -> text(r.info().label())));
    leases
        .getColumns()
        .add(
            column("process", 150, r -> text(Fmt.process(r.info().pid(), r.info().processName()))));
    leases.getColumns().add(column("held for", 80, LeaseRow::heldForProperty));
    TableColumn<LeaseRow, LeaseRow> release = new TableColumn<>("");
    release.setPrefWidth(90);
    release.setSortable(false);
    release.setCellValueFactory(c -> new ReadOnlyObjectWrapper<>(c.getValue()));
    release.setCellFactory(c -> new ReleaseCell());
    leases.getColumns().add(release);
    leases.setColumnResizePolicy(TableView.CONSTRAINED_RESIZE_POLICY_FLEX_LAST_COLUMN);
    leases.getStyleClass().addAll(Styles.DENSE, Styles.STRIPED);

    TableView<WaiterRow> waiters = new TableView<>(vm.waiters());
    waiters.setId("waiters");
    waiters.setPlaceholder(new Label("Nobody is waiting"));
    waiters.getColumns().add(column("provider", 100, r -> text(r.info().provider())));
    waiters.getColumns().add(column("#", 36, r -> text(Integer.toString(r.info().position()))));
    waiters.getColumns().add(column("label", 120, r -> text(r.info().label())));
    waiters
        .getColumns()
        .add(
            column("process", 120, r -> text(Fmt.process(r.info().pid(), r.info().processName()))));
    waiters.getColumns().add(column("waiting for", 100, WaiterRow::waitingForProperty));
    waiters.setColumnResizePolicy(TableView.CONSTRAINED_RESIZE_POLICY_FLEX_LAST_COLUMN);
    waiters.getStyleClass().addAll(Styles.DENSE, Styles.STRIPED);

    Label leasesTitle = new Label();
    leasesTitle.getStyleClass().add(SECTION_TITLE);
    leasesTitle
        .textProperty()
        .bind(Bindings.concat("Active leases (", Bindings.size(vm.leases()), ")"));
    Label waitersTitle = new Label();
    waitersTitle.getStyleClass().add(SECTION_TITLE);
    waitersTitle.textProperty().bind(Bindings.concat("Queued (", Bindings.size(vm.waiters()), ")"));
    VBox left = new VBox(6, leasesTitle, leases);
    VBox right = new VBox(6, waitersTitle, waiters);
    VBox.setVgrow(leases, Priority.ALWAYS);
    VBox.setVgrow(waiters, Priority.ALWAYS);
    left.setPadding(new Insets(0, 8, 0, 0));
    right.setPadding(new Insets(0, 0, 0, 8));
    SplitPane split = new SplitPane(left, right);
    split.setOrientation(Orientation.HORIZONTAL);
    split.setDividerPositions(0.54);
    split.getStyleClass().add("tables");
    split.setMinHeight(160);
    return split;
  }

  /** A per-row "Release…" button that asks before freeing someone's lease. */
  private final class ReleaseCell extends TableCell<LeaseRow, LeaseRow> {
    private final Button button = new Button("Release…");

    ReleaseCell() {
      button.getStyleClass().addAll(Styles.SMALL, Styles.DANGER, Styles.FLAT);
      button.setOnAction(
          e -> {
            LeaseRow r = getItem();
            if (r == null) {
              return;
            }
            LeaseInfo l = r.info();
            if (confirm(
                "Force-release lease " + l.id() + "?",
                "'"
                    + l.provider()
                    + "' lease"
                    + (l.label().isEmpty() ? "" : " '" + l.label() + "'")
                    + " of process "
                    + Fmt.process(l.pid(), l.processName())
                    + ", held for "
                    + r.heldForProperty().get()
                    + ".\nThe slot is freed for the next waiter; the holder will find its lease"
                    + " lost.")) {
              vm.forceRelease(l.id());
            }
          });
    }

    @Override
    protected void updateItem(LeaseRow item, boolean empty) {
      super.updateItem(item, empty);
      setGraphic(empty || item == null ? null : button);
    }
  }

  private static boolean confirm(String header, String body) {
    Alert a = new Alert(Alert.AlertType.CONFIRMATION, body, ButtonType.OK, ButtonType.CANCEL);
    a.setHeaderText(header);
    a.setTitle("inflight");
    return a.showAndWait().filter(b -> b == ButtonType.OK).isPresent();
  }

  private static <R> TableColumn<R, String> column(
      String title, double width, Function<R, ObservableValue<String>> value) {
    TableColumn<R, String> c = new TableColumn<>(title);
    c.setPrefWidth(width);
    c.setCellValueFactory(f -> value.apply(f.getValue()));
    c.setSortable(false);
    return c;
  }

  /** Text from the database as it is safe to show (control characters escaped). */
  private static ObservableValue<String> text(String s) {
    return new ReadOnlyStringWrapper(dev.inflight.client.Text.printable(s)).getReadOnlyProperty();
  }

  // ---------------------------------------------------------------- helpers

  private static Label caption(String text) {
    Label l = new Label(text);
    l.setMinWidth(Region.USE_PREF_SIZE);
    l.getStyleClass().add(METRIC_CAPTION);
    return l;
  }

  /** "last 10 min ▬ active ▬ queued ┄ limit" in the chart's colours. */
  private static Node legend() {
    HBox box = new HBox(6, caption("last 10 min"));
    box.setAlignment(Pos.CENTER_LEFT);
    box.getChildren()
        .addAll(
            swatch(ChartCanvas.activeColor(), false),
            caption("active"),
            swatch(ChartCanvas.queuedColor(), false),
            caption("queued"),
            swatch(ChartCanvas.limitColor(), true),
            caption("limit"));
    return box;
  }

  private static Node swatch(Color color, boolean dashed) {
    Line l = new Line(0, 0, 12, 0);
    l.setStroke(color);
    l.setStrokeWidth(dashed ? 1 : 3);
    if (dashed) {
      l.getStrokeDashArray().addAll(3.0, 2.0);
    }
    return l;
  }

  private static Label metric(String id) {
    Label l = new Label();
    l.setId(id);
    l.getStyleClass().add(METRIC);
    return l;
  }

  private static Node cell(Node n, double width) {
    HBox box = new HBox(n);
    box.setAlignment(Pos.CENTER_LEFT);
    box.setMinWidth(width);
    box.setPrefWidth(width);
    box.setMaxWidth(width);
    return box;
  }

  private static void bindShown(Node n, ObservableValue<Boolean> shown) {
    n.visibleProperty().bind(shown);
    n.managedProperty().bind(shown);
  }
}
