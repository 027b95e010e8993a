package dev.inflight.app;

import atlantafx.base.theme.Styles;
import java.util.LinkedHashMap;
import java.util.Map;
import javafx.beans.binding.Bindings;
import javafx.geometry.Insets;
import javafx.geometry.Pos;
import javafx.scene.control.Button;
import javafx.scene.control.Label;
import javafx.scene.control.OverrunStyle;
import javafx.scene.control.TextField;
import javafx.scene.control.Tooltip;
import javafx.scene.layout.HBox;
import javafx.scene.layout.Priority;
import javafx.scene.layout.Region;
import javafx.scene.layout.VBox;

/**
 * One model beneath its provider's row, indented: its name, its own cap (editable), the units in
 * flight against it, its queue, its rpm and tpm budgets (editable) with their gauges, when its
 * window frees, any refusal of an edit, and Remove for its own limit. Its columns stay put while
 * the numbers change.
 */
final class ModelCard {
  static final double INDENT = 18;
  static final double IN_FLIGHT_W = 74;

  final HBox node = new HBox(ProviderCard.GAP);

  ModelCard(ModelRow row, StatusViewModel vm) {
    String id = row.provider() + "-" + row.model();
    Label name = new Label("└ " + row.model());
    name.getStyleClass().add("model-name");
    name.setTooltip(new Tooltip(row.key()));
    name.setTextOverrun(OverrunStyle.CENTER_ELLIPSIS);
    name.setMinWidth(0);

    TextField cap =
        Editors.editor(
            "model-limit-" + id, "none", "the model's own cap, below its provider's; blank: none");
    Editors.wire(cap, row.capEdit());
    Label inFlight = new Label();
    inFlight.setId("model-in-flight-" + id);
    inFlight.textProperty().bind(row.inFlightProperty());
    inFlight.setMinWidth(Region.USE_PREF_SIZE);
    inFlight.setTooltip(new Tooltip("units in flight / the model's own cap"));
    Label queued = new Label();
    queued.setId("model-queued-" + id);
    queued
        .textProperty()
        .bind(
            Bindings.createStringBinding(
                () -> {
                  int q = row.status() == null ? 0 : row.status().queued();
                  return q == 0 ? "" : q + " queued";
                },
                row.statusProperty()));
    queued.setMinWidth(Region.USE_PREF_SIZE);
    queued.getStyleClass().add(Ui.CLASSES);

    TextField rpm =
        Editors.editor("model-rpm-" + id, "none", "requests per minute; blank: no budget");
    TextField tpm =
        Editors.editor("model-tpm-" + id, "none", "tokens per minute, e.g. 30k; blank: none");
    Editors.wire(rpm, row.rpmEdit());
    Editors.wire(tpm, row.tpmEdit());
    Label frees = new Label();
    frees.setId("model-frees-" + id);
    frees.textProperty().bind(row.freesProperty());
    frees.getStyleClass().add(Styles.TEXT_MUTED);
    frees.setMinWidth(Region.USE_PREF_SIZE);
    Label error = new Label();
    error.setId("model-error-" + id);
    error.getStyleClass().add(Ui.INLINE_ERROR);
    error.setMinWidth(0);
    error
        .textProperty()
        .bind(
            Bindings.createStringBinding(
                () ->
                    ProviderCard.first(
                        row.capEdit().errorProperty().get(),
                        row.rpmEdit().errorProperty().get(),
                        row.tpmEdit().errorProperty().get()),
                row.capEdit().errorProperty(),
                row.rpmEdit().errorProperty(),
                row.tpmEdit().errorProperty()));
    error.setTooltip(new Tooltip());
    error.getTooltip().textProperty().bind(error.textProperty());
    HBox.setHgrow(error, Priority.ALWAYS);
    error.setMaxWidth(Double.MAX_VALUE);

    Button remove = new Button("Remove");
    remove.setId("remove-model-" + id);
    remove.getStyleClass().addAll(Styles.SMALL, Styles.FLAT);
    remove.setMinWidth(Region.USE_PREF_SIZE);
    remove.setTooltip(new Tooltip("Drop the model's own limit; its provider's still holds"));
    remove
        .disableProperty()
        .bind(
            Bindings.createBooleanBinding(
                () -> row.specProperty().get().isEmpty(), row.specProperty()));
    remove.setOnAction(
        e -> {
          Map<String, String> facts = new LinkedHashMap<>();
          facts.put("Model", row.key());
          facts.put("In flight", row.inFlightProperty().get());
          if (Dialogs.confirm(
              node.getScene() == null ? null : node.getScene().getWindow(),
              "Remove the limit of '" + row.key() + "'?",
              facts,
              "Requests for '" + row.key() + "' then count against '" + row.provider() + "' alone.",
              "Remove")) {
            vm.removeModel(row.provider(), row.model());
          }
        });

    node.getChildren()
        .addAll(
            Ui.cell(name, ProviderCard.NAME_W - INDENT),
            Ui.cell(cap, ProviderCard.LIMIT_W),
            Ui.cell(inFlight, IN_FLIGHT_W),
            Ui.cell(queued, ProviderCard.COUNT_W + 14),
            Ui.caption("rpm"),
            Ui.cell(rpm, ProviderCard.LIMIT_W),
            Ui.caption("tpm"),
            Ui.cell(tpm, ProviderCard.LIMIT_W),
            GaugeView.of("model-rpm-gauge-" + id, row.requestsProperty()),
            GaugeView.of("model-tpm-gauge-" + id, row.tokensProperty()),
            frees,
            error,
            remove);
    node.setAlignment(Pos.CENTER_LEFT);
    node.setId("model-" + id);
    node.getStyleClass().add(Ui.MODEL_ROW);
    VBox.setMargin(node, new Insets(0, 0, 0, INDENT));
  }
}
