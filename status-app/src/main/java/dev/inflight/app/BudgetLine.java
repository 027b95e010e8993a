package dev.inflight.app;

import atlantafx.base.theme.Styles;
import java.util.Optional;
import javafx.geometry.Insets;
import javafx.geometry.Pos;
import javafx.scene.control.Button;
import javafx.scene.control.Label;
import javafx.scene.control.OverrunStyle;
import javafx.scene.control.TextField;
import javafx.scene.control.Tooltip;
import javafx.scene.input.KeyCode;
import javafx.scene.layout.HBox;
import javafx.scene.layout.Priority;
import javafx.scene.layout.Region;
import javafx.scene.layout.VBox;

/**
 * The line under a provider's columns (units in flight, the rpm and tpm budgets with their gauges,
 * the queue by class, grants and waits in the last minute, and "+ model"), and the form that adds a
 * model limit.
 */
final class BudgetLine {
  private BudgetLine() {}

  /**
   * Below the provider's columns: units in flight against the cap in force, the rpm and tpm budgets
   * (editable) with their gauges and when the window frees, the queue by class, and the button that
   * adds a model limit.
   */
  static HBox of(ProviderRow row, String p, HBox addModelForm) {
    Label inFlight = new Label();
    inFlight.setId("in-flight-" + p);
    inFlight.textProperty().bind(row.inFlightProperty());
    inFlight.setMinWidth(Region.USE_PREF_SIZE);
    inFlight.setTooltip(new Tooltip("units in flight (held and cooling) / the limit in force"));
    TextField rpm =
        Editors.editor("rpm-" + p, "none", "requests per minute, e.g. 500; blank: no budget");
    TextField tpm =
        Editors.editor(
            "tpm-" + p, "none", "tokens per minute, e.g. 30k or 30000; blank: no budget");
    Editors.wire(rpm, row.rpmEdit());
    Editors.wire(tpm, row.tpmEdit());
    Label frees = new Label();
    frees.setId("frees-" + p);
    frees.textProperty().bind(row.freesProperty());
    frees.getStyleClass().add(Styles.TEXT_MUTED);
    frees.setMinWidth(Region.USE_PREF_SIZE);
    Label classes = new Label();
    classes.setId("classes-" + p);
    classes.textProperty().bind(row.classesProperty());
    classes.getStyleClass().add(Ui.CLASSES);
    classes.setMinWidth(0);
    classes.setTextOverrun(OverrunStyle.ELLIPSIS);
    classes.setTooltip(new Tooltip("queued requests by class; interactive ones are served first"));
    Label grants = new Label();
    grants.setId("grants-" + p);
    grants.textProperty().bind(row.grantsProperty());
    grants.getStyleClass().add(Styles.TEXT_MUTED);
    grants.setMinWidth(0);
    grants.setTextOverrun(OverrunStyle.ELLIPSIS);
    grants.setTooltip(
        new Tooltip(
            "Leases granted in the last minute, and how long they had waited (half waited less"
                + " than p50, nine in ten less than p90). Counted from the leases the app sees at"
                + " each read: a lease taken and released between two reads (shorter than about"
                + " "
                + StatusViewModel.MIN_INTERVAL.toMillis()
                + " ms, or whole seconds while the database is quiet) is missed."));
    Region spacer = new Region();
    HBox.setHgrow(spacer, Priority.ALWAYS);
    Button addModel = new Button("+ model");
    addModel.setId("add-model-" + p);
    addModel.getStyleClass().addAll(Styles.SMALL, Styles.FLAT);
    addModel.setMinWidth(Region.USE_PREF_SIZE);
    addModel.setTooltip(new Tooltip("Give a model of '" + p + "' a limit of its own"));
    addModel.setOnAction(
        e -> {
          addModelForm.setVisible(true);
          addModelForm.setManaged(true);
          addModelForm.getChildren().get(0).requestFocus();
        });
    HBox line =
        new HBox(
            ProviderCard.GAP,
            Ui.cell(Ui.caption("in flight"), ProviderCard.NAME_W - 60),
            Ui.cell(inFlight, 52),
            Ui.caption("rpm"),
            Ui.cell(rpm, ProviderCard.LIMIT_W),
            Ui.caption("tpm"),
            Ui.cell(tpm, ProviderCard.LIMIT_W),
            GaugeView.of("rpm-gauge-" + p, row.requestsProperty()),
            GaugeView.of("tpm-gauge-" + p, row.tokensProperty()),
            frees,
            classes,
            grants,
            spacer,
            addModel);
    line.setAlignment(Pos.CENTER_LEFT);
    line.getStyleClass().add(Ui.BUDGET_LINE);
    line.setId("budget-" + p);
    return line;
  }

  /** Model name, cap and rpm budget for a new model limit; the library's refusal beside them. */
  static HBox addModelForm(StatusViewModel vm, String p) {
    TextField model =
        Editors.editor("new-model-" + p, "model, e.g. gpt-4o", "the model's own name");
    model.setPrefColumnCount(10);
    TextField cap =
        Editors.editor("new-model-limit-" + p, "limit", "its own cap, 1 to 10000; or blank");
    TextField rpm = Editors.editor("new-model-rpm-" + p, "rpm", "requests per minute; or blank");
    Label error = new Label();
    error.setId("new-model-error-" + p);
    error.getStyleClass().add(Ui.INLINE_ERROR);
    error.setMinWidth(0);
    error.setWrapText(false);
    error.setTextOverrun(OverrunStyle.ELLIPSIS);
    error.setTooltip(new Tooltip());
    error.getTooltip().textProperty().bind(error.textProperty());
    HBox.setHgrow(error, Priority.ALWAYS);
    error.setMaxWidth(Double.MAX_VALUE);
    Button add = new Button("Add model limit");
    add.setId("new-model-add-" + p);
    add.getStyleClass().add(Styles.SMALL);
    add.setMinWidth(Region.USE_PREF_SIZE);
    Button cancel = new Button("Cancel");
    cancel.getStyleClass().addAll(Styles.SMALL, Styles.FLAT);
    cancel.setMinWidth(Region.USE_PREF_SIZE);
    HBox form = new HBox(ProviderCard.GAP, model, cap, rpm, add, cancel, error);
    form.setId("new-model-" + p + "-form");
    form.setAlignment(Pos.CENTER_LEFT);
    form.getStyleClass().add(Ui.MODEL_ROW);
    VBox.setMargin(form, new Insets(0, 0, 0, ModelCard.INDENT));
    Runnable hide =
        () -> {
          model.clear();
          cap.clear();
          rpm.clear();
          error.setText("");
          form.setVisible(false);
          form.setManaged(false);
        };
    Runnable submit =
        () -> {
          Optional<String> problem = vm.addModel(p, model.getText(), cap.getText(), rpm.getText());
          if (problem.isPresent()) {
            error.setText(problem.get());
          } else {
            hide.run();
          }
        };
    add.setOnAction(e -> submit.run());
    for (TextField f : new TextField[] {model, cap, rpm}) {
      f.setOnAction(e -> submit.run());
      f.setOnKeyPressed(
          e -> {
            if (e.getCode() == KeyCode.ESCAPE) {
              hide.run();
              e.consume();
            }
          });
    }
    cancel.setOnAction(e -> hide.run());
    hide.run();
    return form;
  }
}
