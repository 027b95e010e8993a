package dev.inflight.app;

import atlantafx.base.theme.Styles;
import java.util.function.Predicate;
import javafx.animation.KeyFrame;
import javafx.animation.Timeline;
import javafx.application.Platform;
import javafx.beans.Observable;
import javafx.beans.binding.Bindings;
import javafx.beans.binding.ObjectBinding;
import javafx.collections.transformation.FilteredList;
import javafx.geometry.Insets;
import javafx.geometry.Orientation;
import javafx.geometry.Pos;
import javafx.scene.Node;
import javafx.scene.Parent;
import javafx.scene.Scene;
import javafx.scene.control.Button;
import javafx.scene.control.Label;
import javafx.scene.control.OverrunStyle;
import javafx.scene.control.SplitPane;
import javafx.scene.control.TextField;
import javafx.scene.control.ToggleButton;
import javafx.scene.control.Tooltip;
import javafx.scene.input.KeyCode;
import javafx.scene.input.KeyCodeCombination;
import javafx.scene.input.KeyCombination;
import javafx.scene.input.MouseEvent;
import javafx.scene.layout.BorderPane;
import javafx.scene.layout.HBox;
import javafx.scene.layout.Priority;
import javafx.scene.layout.Region;
import javafx.scene.layout.VBox;
import javafx.util.Duration;

/**
 * The window's content, built in code over a {@link StatusViewModel}: a header (database, filter,
 * totals), a banner when the database cannot be read or a command failed, the providers ({@link
 * ProvidersPane}, scrolling) with the form to add a limit, and the leases and queue ({@link
 * TablesPane}); the two halves share the height through a divider the user can drag.
 */
final class StatusView {
  static final KeyCombination QUIT =
      new KeyCodeCombination(KeyCode.Q, KeyCombination.SHORTCUT_DOWN);
  static final KeyCombination CLOSE =
      new KeyCodeCombination(KeyCode.W, KeyCombination.SHORTCUT_DOWN);
  static final KeyCombination FIND =
      new KeyCodeCombination(KeyCode.F, KeyCombination.SHORTCUT_DOWN);

  /** The most of the height the providers take before they scroll (the tables need room too). */
  static final double PROVIDERS_SHARE = 0.68;

  /** How often the app asks the desktop whether it prefers dark (no change event reaches Java). */
  static final int DESKTOP_RECHECK_SECONDS = 30;

  private final StatusViewModel vm;
  private final BorderPane root = new BorderPane();
  private final TextField filter = new TextField();
  private final ProvidersPane providers;
  private final Timeline chartTick;
  private final ThemeChoice theme;

  StatusView(StatusViewModel vm) {
    this(vm, ThemeChoice.light());
  }

  StatusView(StatusViewModel vm, ThemeChoice theme) {
    this.vm = vm;
    this.theme = theme;
    root.getStyleClass().add("status-root");
    ObjectBinding<Predicate<String[]>> match =
        Bindings.createObjectBinding(() -> Filter.of(filter.getText()), filter.textProperty());
    root.setTop(header());
    installFind();
    FilteredList<ProviderRow> shownRows = new FilteredList<>(vm.providers());
    shownRows
        .predicateProperty()
        .bind(
            Bindings.createObjectBinding(
                () -> r -> match.get().test(new String[] {r.provider()}), match));
    providers = new ProvidersPane(vm, shownRows);
    providers.setPalette(theme.shown().palette);
    theme
        .shownProperty()
        .addListener(
            (obs, o, t) -> {
              t.apply();
              providers.setPalette(t.palette);
            });
    Node tables = new TablesPane(vm, match).node();
    SplitPane halves = new SplitPane(providers.node(), tables);
    halves.setId("halves");
    halves.setOrientation(Orientation.VERTICAL);
    halves.setDividerPositions(PROVIDERS_SHARE);
    halves.getStyleClass().add(atlantafx.base.theme.Tweaks.EDGE_TO_EDGE);
    SplitPane.setResizableWithParent(tables, true);
    fitDivider(halves, providers.node(), providers.contentBounds());
    VBox center = new VBox(halves);
    VBox.setVgrow(halves, Priority.ALWAYS);
    center.setPadding(new Insets(10, 16, 12, 16));
    root.setCenter(center);
    chartTick =
        new Timeline(
            new KeyFrame(
                Duration.seconds(1), e -> providers.redrawCharts(System.currentTimeMillis())));
    chartTick.setCycleCount(Timeline.INDEFINITE);
    root.setFocusTraversable(false);
    Platform.runLater(root::requestFocus);
    chartTick.play();
  }

  /**
   * Until the user drags it, the divider gives the providers what their rows need, up to {@link
   * #PROVIDERS_SHARE} of the height (then they scroll), and the tables the rest.
   */
  private static void fitDivider(SplitPane halves, Region top, Observable content) {
    boolean[] dragged = {false};
    halves.addEventFilter(
        MouseEvent.MOUSE_PRESSED,
        e -> {
          for (Node n = e.getPickResult().getIntersectedNode(); n != null; n = n.getParent()) {
            if (n.getStyleClass().contains("split-pane-divider")) {
              dragged[0] = true;
            }
          }
        });
    Runnable fit =
        () -> {
          double h = halves.getHeight();
          if (dragged[0] || h <= 0) {
            return;
          }
          double want = top.prefHeight(top.getWidth() > 0 ? top.getWidth() : -1) + 8;
          halves.setDividerPositions(Math.min(PROVIDERS_SHARE, want / h));
        };
    halves.heightProperty().addListener((obs, o, n) -> fit.run());
    top.boundsInLocalProperty().addListener((obs, o, n) -> Platform.runLater(fit));
    // The rows growing leave the pane's own bounds as the divider set them: fit again then too
    // (without this, a fit made before the first rows arrived could keep the pane a sliver).
    content.addListener(o -> Platform.runLater(fit));
    halves.needsLayoutProperty().addListener((obs, o, n) -> fit.run());
  }

  /** The theme shown; the header's toggle switches it. */
  Theme theme() {
    return theme.shown();
  }

  Parent root() {
    return root;
  }

  void stop() {
    chartTick.stop();
  }

  /** Ctrl+Q quits, Ctrl+W closes the window (to the tray where there is one). */
  void installShortcuts(Scene scene, Runnable quit, Runnable close) {
    scene.getAccelerators().put(QUIT, quit);
    scene.getAccelerators().put(CLOSE, close);
  }

  /** Ctrl+F goes to the filter, in whatever scene shows the view; Escape there empties it. */
  private void installFind() {
    Runnable find =
        () -> {
          filter.requestFocus();
          filter.selectAll();
        };
    root.sceneProperty()
        .addListener(
            (obs, old, scene) -> {
              if (old != null) {
                old.getAccelerators().remove(FIND);
              }
              if (scene != null) {
                scene.getAccelerators().put(FIND, find);
              }
            });
  }

  // ---------------------------------------------------------------- header and banners

  private Node header() {
    Label title = new Label("inflight");
    title.getStyleClass().addAll(Styles.TITLE_3);
    title.setMinWidth(Region.USE_PREF_SIZE);
    Label db = new Label();
    db.getStyleClass().add(Styles.TEXT_MUTED);
    db.textProperty().bind(vm.databaseProperty());
    db.setId("database-path");
    db.setMinWidth(0);
    db.setTextOverrun(OverrunStyle.LEADING_ELLIPSIS);
    db.setTooltip(new Tooltip());
    db.getTooltip().textProperty().bind(vm.databaseProperty());
    HBox.setHgrow(db, Priority.ALWAYS);
    db.setMaxWidth(Double.MAX_VALUE);
    filter.setId("filter");
    filter.setPromptText("filter (Ctrl+F)");
    filter.setPrefColumnCount(12);
    // gives way first when the header is tight (800 px, thirty providers, a long summary)
    filter.setMinWidth(96);
    filter.getStyleClass().add(Styles.SMALL);
    filter.setTooltip(new Tooltip("Shows only providers, leases and waiters containing this text"));
    filter.setOnKeyPressed(
        e -> {
          if (e.getCode() == KeyCode.ESCAPE) {
            filter.clear();
            root.requestFocus();
            e.consume();
          }
        });
    Label summary = new Label();
    summary.setId("summary");
    summary.getStyleClass().add(Styles.TEXT_BOLD);
    summary.textProperty().bind(vm.summaryProperty());
    summary.setMinWidth(Region.USE_PREF_SIZE);
    Button toggle = new Button(theme.toggleLabel());
    toggle.setId("theme");
    toggle.getStyleClass().add(Styles.SMALL);
    // One width for both labels, so the header does not shift when the theme changes.
    toggle.setMinWidth(64);
    toggle.setPrefWidth(64);
    Tooltip themeTip = new Tooltip();
    toggle.setTooltip(themeTip);
    Runnable label =
        () -> {
          toggle.setText(theme.toggleLabel());
          themeTip.setText(
              "Switch to the "
                  + theme.toggleLabel().toLowerCase(java.util.Locale.ROOT)
                  + " theme. "
                  + (theme.followsDesktop()
                      ? "Now following the desktop (re-checked every "
                          + DESKTOP_RECHECK_SECONDS
                          + " s and when the window gets the focus)."
                      : "Your choice is remembered; choose the desktop's theme to follow it again."));
        };
    label.run();
    theme.shownProperty().addListener((obs, o, n) -> label.run());
    toggle.setOnAction(
        e -> {
          theme.toggle();
          label.run();
        });
    ToggleButton notify = new ToggleButton("Notify");
    notify.setId("notifications");
    notify.getStyleClass().add(Styles.SMALL);
    notify.setMinWidth(Region.USE_PREF_SIZE);
    notify.selectedProperty().bindBidirectional(vm.notificationsProperty());
    notify.setTooltip(
        new Tooltip(
            "Desktop notifications, through the tray icon: once when a 429 pauses a provider, and"
                + " once when a request has waited longer than "
                + Fmt.duration(vm.waitThreshold())
                + " ("
                + AppPrefs.WAIT_KEY
                + " in "
                + AppPrefs.FILE
                + "). Off unless turned on; remembered."));
    HBox bar = new HBox(12, title, db, filter, summary, notify, toggle);
    bar.setAlignment(Pos.CENTER_LEFT);
    bar.getStyleClass().add(Ui.HEADER);
    bar.setPadding(new Insets(8, 16, 8, 16));

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
    problem.getStyleClass().add(Ui.BANNER);
    problem.setMaxWidth(Double.MAX_VALUE);
    Ui.bindShown(problem, vm.problemProperty().isNotNull());

    Label cmdError = new Label();
    cmdError.setId("command-error");
    cmdError.setWrapText(true);
    cmdError.textProperty().bind(vm.commandErrorProperty());
    cmdError.getStyleClass().add(Ui.BANNER);
    cmdError.setMaxWidth(Double.MAX_VALUE);
    Ui.bindShown(cmdError, vm.commandErrorProperty().isNotNull());
    return new VBox(bar, problem, cmdError);
  }
}
