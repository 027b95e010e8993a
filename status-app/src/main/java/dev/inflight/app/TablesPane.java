package dev.inflight.app;

import atlantafx.base.theme.Styles;
import dev.inflight.client.LeaseInfo;
import dev.inflight.client.Text;
import dev.inflight.client.WaiterInfo;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Predicate;
import javafx.beans.binding.Bindings;
import javafx.beans.property.ReadOnlyObjectWrapper;
import javafx.beans.property.ReadOnlyStringWrapper;
import javafx.beans.value.ObservableObjectValue;
import javafx.beans.value.ObservableValue;
import javafx.collections.transformation.FilteredList;
import javafx.collections.transformation.SortedList;
import javafx.geometry.Insets;
import javafx.geometry.Orientation;
import javafx.scene.Node;
import javafx.scene.control.Button;
import javafx.scene.control.Label;
import javafx.scene.control.SplitPane;
import javafx.scene.control.TableCell;
import javafx.scene.control.TableColumn;
import javafx.scene.control.TableView;
import javafx.scene.control.Tooltip;
import javafx.scene.layout.Priority;
import javafx.scene.layout.VBox;
import javafx.util.Callback;

/**
 * The active leases and the queue, side by side: sortable by any column (held longest first, and
 * the queue in order, until a header is clicked), filtered by the window's filter.
 */
final class TablesPane {
  /** The leases table's id column; each of its cells is {@code lease-id-<id>}. */
  static final String ID_COLUMN = "lease-id-column";

  /** Below this width a table shows no process column. */
  static final double NARROW = 520;

  private final StatusViewModel vm;
  private final SplitPane node;

  TablesPane(StatusViewModel vm, ObservableObjectValue<Predicate<String[]>> filter) {
    this.vm = vm;
    FilteredList<LeaseRow> leaseRows = new FilteredList<>(vm.leases());
    leaseRows
        .predicateProperty()
        .bind(Bindings.createObjectBinding(() -> r -> filter.get().test(words(r.info())), filter));
    TableView<LeaseRow> leases = new TableView<>();
    SortedList<LeaseRow> sortedLeases = new SortedList<>(leaseRows);
    sortedLeases.comparatorProperty().bind(leases.comparatorProperty());
    leases.setItems(sortedLeases);
    leases.setId("leases");
    leases.setPlaceholder(new Label("No active leases"));
    // The id is what `inflight release ID` takes; narrow, since ids are short numbers.
    TableColumn<LeaseRow, LeaseRow> id =
        column(
            "id",
            36,
            r -> text(Long.toString(r.info().id())),
            Comparator.comparingLong(r -> r.info().id()));
    id.setId(ID_COLUMN);
    id.setMinWidth(32);
    id.setMaxWidth(64);
    id.setCellFactory(idCells(id.getCellFactory()));
    leases.getColumns().add(id);
    leases
        .getColumns()
        .add(
            column(
                "provider",
                175,
                r -> text(r.info().key()),
                Comparator.comparing(r -> r.info().key())));
    TableColumn<LeaseRow, LeaseRow> size =
        column(
            "size",
            84,
            r -> text(size(r.info().weight(), r.info().tokens())),
            Comparator.comparingLong(r -> r.info().tokens()));
    // Most leases are one unit and no tokens: the column takes room only when a lease has a size.
    size.visibleProperty()
        .bind(
            Bindings.createBooleanBinding(
                () ->
                    vm.leases().stream()
                        .anyMatch(r -> !size(r.info().weight(), r.info().tokens()).isEmpty()),
                vm.leases()));
    leases.getColumns().add(size);
    // "1.5k tok" whole where there is room; squeezed (with its tooltip) in a narrow table
    size.minWidthProperty()
        .bind(Bindings.when(leases.widthProperty().lessThan(NARROW)).then(60.0).otherwise(80.0));
    leases
        .getColumns()
        .add(
            column(
                "label",
                120,
                r -> text(r.info().label()),
                Comparator.comparing(r -> r.info().label())));
    leases
        .getColumns()
        .add(
            column(
                "process",
                130,
                r -> text(Fmt.process(r.info().pid(), r.info().processName())),
                Comparator.comparingLong(r -> r.info().pid())));
    TableColumn<LeaseRow, LeaseRow> held =
        column(
            "held for",
            80,
            LeaseRow::heldForProperty,
            Comparator.comparing((LeaseRow r) -> r.info().acquiredAt()).reversed());
    leases.getColumns().add(held);
    TableColumn<LeaseRow, LeaseRow> release = new TableColumn<>("");
    release.setPrefWidth(88);
    release.setMinWidth(88);
    release.setMaxWidth(88);
    release.setResizable(false);
    release.setSortable(false);
    release.setCellValueFactory(c -> new ReadOnlyObjectWrapper<>(c.getValue()));
    release.setCellFactory(c -> new ReleaseCell());
    leases.getColumns().add(release);
    leases.setColumnResizePolicy(TableView.CONSTRAINED_RESIZE_POLICY_ALL_COLUMNS);
    // Narrow, label and process give way first: which model, and how much, are what to read.
    // Every column keeps room for its header and a short value; longer text ends in "…" and the
    // cell's tooltip has it whole.
    minWidths(leases, Map.of("provider", 88.0, "label", 54.0, "process", 90.0));
    hideWhenNarrow(leases, "process", NARROW);
    shortWhenNarrow(leases, held, "held", 56, 78);
    leases.getStyleClass().addAll(Styles.DENSE, Styles.STRIPED);

    FilteredList<WaiterRow> waiterRows = new FilteredList<>(vm.waiters());
    waiterRows
        .predicateProperty()
        .bind(Bindings.createObjectBinding(() -> r -> filter.get().test(words(r.info())), filter));
    TableView<WaiterRow> waiters = new TableView<>();
    SortedList<WaiterRow> sortedWaiters = new SortedList<>(waiterRows);
    sortedWaiters.comparatorProperty().bind(waiters.comparatorProperty());
    waiters.setItems(sortedWaiters);
    waiters.setId("waiters");
    waiters.setPlaceholder(new Label("Nobody is waiting"));
    waiters
        .getColumns()
        .add(
            column(
                "provider",
                160,
                r -> text(r.info().key()),
                Comparator.comparing(r -> r.info().key())));
    waiters
        .getColumns()
        .add(
            column(
                "class",
                78,
                r -> text(r.info().priority().toString()),
                Comparator.comparing(r -> r.info().priority())));
    waiters
        .getColumns()
        .add(
            column(
                "#",
                36,
                r -> text(Integer.toString(r.info().position())),
                Comparator.comparingInt(r -> r.info().position())));
    waiters
        .getColumns()
        .add(
            column(
                "label",
                110,
                r -> text(r.info().label()),
                Comparator.comparing(r -> r.info().label())));
    waiters
        .getColumns()
        .add(
            column(
                "process",
                110,
                r -> text(Fmt.process(r.info().pid(), r.info().processName())),
                Comparator.comparingLong(r -> r.info().pid())));
    TableColumn<WaiterRow, WaiterRow> waiting =
        column(
            "waiting for",
            90,
            WaiterRow::waitingForProperty,
            Comparator.comparing((WaiterRow r) -> r.info().queuedAt()).reversed());
    waiters.getColumns().add(waiting);
    waiters.setColumnResizePolicy(TableView.CONSTRAINED_RESIZE_POLICY_ALL_COLUMNS);
    minWidths(
        waiters,
        Map.of("provider", 88.0, "class", 76.0, "#", 30.0, "label", 54.0, "process", 90.0));
    hideWhenNarrow(waiters, "process", NARROW);
    shortWhenNarrow(waiters, waiting, "waiting", 76, 102);
    waiters.getStyleClass().addAll(Styles.DENSE, Styles.STRIPED);

    Label leasesTitle = new Label();
    leasesTitle.setId("leases-title");
    leasesTitle.getStyleClass().add(Ui.SECTION_TITLE);
    leasesTitle
        .textProperty()
        .bind(Bindings.concat("Active leases (", Bindings.size(leases.getItems()), ")"));
    Label waitersTitle = new Label();
    waitersTitle.setId("waiters-title");
    waitersTitle.getStyleClass().add(Ui.SECTION_TITLE);
    waitersTitle
        .textProperty()
        .bind(Bindings.concat("Queued (", Bindings.size(waiters.getItems()), ")"));
    VBox left = new VBox(6, leasesTitle, leases);
    VBox right = new VBox(6, waitersTitle, waiters);
    VBox.setVgrow(leases, Priority.ALWAYS);
    VBox.setVgrow(waiters, Priority.ALWAYS);
    left.setPadding(new Insets(0, 8, 0, 0));
    right.setPadding(new Insets(0, 0, 0, 8));
    node = new SplitPane(left, right);
    node.setOrientation(Orientation.HORIZONTAL);
    // the leases have the more columns (id, size, the release button)
    node.setDividerPositions(0.53);
    node.getStyleClass().add("tables");
    node.setMinHeight(140);
  }

  Node node() {
    return node;
  }

  /** What the filter looks in: id, provider/model, label and process. */
  static String[] words(LeaseInfo l) {
    return new String[] {
      Long.toString(l.id()), l.key(), l.label(), Fmt.process(l.pid(), l.processName())
    };
  }

  static String[] words(WaiterInfo w) {
    return new String[] {
      w.key(), w.priority().toString(), w.label(), Fmt.process(w.pid(), w.processName())
    };
  }

  /**
   * A lease's or request's size: its weight when not 1 and the tokens it reserves, e.g. {@code ×2 ·
   * 1.5k tok}; empty for one unit and no tokens.
   */
  static String size(int weight, long tokens) {
    String w = weight == 1 ? "" : "×" + weight;
    String t = tokens <= 0 ? "" : Fmt.amount(tokens) + " tok";
    return w.isEmpty() || t.isEmpty() ? w + t : w + " · " + t;
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
            Map<String, String> facts = new LinkedHashMap<>();
            facts.put("Lease id", Long.toString(l.id()));
            facts.put("Provider/model", Text.printable(l.key()));
            if (!l.label().isEmpty()) {
              facts.put("Label", Text.printable(l.label()));
            }
            facts.put("Process", Fmt.process(l.pid(), l.processName()) + " on " + l.host());
            facts.put("Held for", r.heldForProperty().get());
            if (Dialogs.confirm(
                getScene() == null ? null : getScene().getWindow(),
                "Release lease " + l.id() + "?",
                facts,
                "The slot is freed for the next waiter at once. The holder is not stopped: it"
                    + " finds its lease lost when it next renews or releases it. From a terminal:"
                    + " inflight release "
                    + l.id()
                    + ".",
                "Release lease")) {
              vm.forceRelease(l.id());
            }
          });
    }

    @Override
    protected void updateItem(LeaseRow item, boolean empty) {
      super.updateItem(item, empty);
      button.setId(empty || item == null ? null : "release-" + item.info().id());
      setGraphic(empty || item == null ? null : button);
    }
  }

  /**
   * Hides a column while the table is narrower than {@code below}: squeezed with the others it
   * would read as "…", and the process is in the release dialog and the CLI too.
   */
  private static <R> void hideWhenNarrow(TableView<R> table, String title, double below) {
    for (TableColumn<R, ?> c : table.getColumns()) {
      if (c.getText().equals(title)) {
        c.visibleProperty().bind(table.widthProperty().greaterThanOrEqualTo(below));
      }
    }
  }

  /**
   * In a narrow table a column's header is its short form ("held" for "held for"), so that the
   * header shows whole in the room the column can have there.
   */
  private static <R> void shortWhenNarrow(
      TableView<R> table, TableColumn<R, ?> c, String brief, double briefMin, double fullMin) {
    String full = c.getText();
    var narrow = table.widthProperty().lessThan(NARROW);
    c.textProperty().bind(Bindings.when(narrow).then(brief).otherwise(full));
    c.minWidthProperty().bind(Bindings.when(narrow).then(briefMin).otherwise(fullMin));
  }

  private static <R> void minWidths(TableView<R> table, Map<String, Double> widths) {
    for (TableColumn<R, ?> c : table.getColumns()) {
      Double w = widths.get(c.getText());
      if (w != null) {
        c.setMinWidth(w);
      }
    }
  }

  /** Cells of the id column, each with a node id naming its lease (for tests and lookups). */
  private static Callback<TableColumn<LeaseRow, LeaseRow>, TableCell<LeaseRow, LeaseRow>> idCells(
      Callback<TableColumn<LeaseRow, LeaseRow>, TableCell<LeaseRow, LeaseRow>> plain) {
    return col -> {
      TableCell<LeaseRow, LeaseRow> cell = plain.call(col);
      cell.itemProperty()
          .addListener(
              (o, was, now) -> cell.setId(now == null ? null : "lease-id-" + now.info().id()));
      return cell;
    };
  }

  /** A column of rows, sorted by {@code order}, each cell showing {@code value} as it changes. */
  private static <R> TableColumn<R, R> column(
      String title, double width, Function<R, ObservableValue<String>> value, Comparator<R> order) {
    TableColumn<R, R> c = new TableColumn<>(title);
    c.setPrefWidth(width);
    c.setCellValueFactory(f -> new ReadOnlyObjectWrapper<>(f.getValue()));
    c.setComparator(order);
    c.setCellFactory(
        col ->
            new TableCell<>() {
              @Override
              protected void updateItem(R item, boolean empty) {
                super.updateItem(item, empty);
                textProperty().unbind();
                if (empty || item == null) {
                  setText(null);
                  setTooltip(null);
                } else {
                  textProperty().bind(value.apply(item));
                  // the whole text, for a cell too narrow for it
                  Tooltip tip = getTooltip() == null ? new Tooltip() : getTooltip();
                  tip.textProperty().bind(textProperty());
                  setTooltip(getText() == null || getText().isEmpty() ? null : tip);
                }
              }
            });
    return c;
  }

  /** Text from the database as it is safe to show (control characters escaped). */
  private static ObservableValue<String> text(String s) {
    return new ReadOnlyStringWrapper(Text.printable(s)).getReadOnlyProperty();
  }
}
