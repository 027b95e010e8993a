package dev.inflight.app;

import atlantafx.base.theme.Styles;
import java.util.Map;
import javafx.geometry.Pos;
import javafx.scene.Node;
import javafx.scene.control.Button;
import javafx.scene.control.CheckBox;
import javafx.scene.control.Label;
import javafx.scene.control.TextField;
import javafx.scene.control.Tooltip;
import javafx.scene.input.KeyCode;
import javafx.scene.layout.FlowPane;
import javafx.scene.layout.VBox;

/** The row that adds a limit, over an {@link AddForm}: the bad field is marked in red. */
final class AddLimitPane {
  private final VBox node;

  AddLimitPane(AddForm form) {
    TextField provider = field("add-provider", "provider, e.g. openai", 14);
    TextField limit = field("add-limit", "limit", 5);
    TextField cooldown = field("add-cooldown", "cooldown (0)", 7);
    provider.textProperty().bindBidirectional(form.providerProperty());
    limit.textProperty().bindBidirectional(form.limitProperty());
    cooldown.textProperty().bindBidirectional(form.cooldownProperty());
    limit.setTooltip(new Tooltip("limit: 1 to 10000 requests in flight at once"));
    cooldown.setTooltip(new Tooltip("cooldown after each release, e.g. 500ms, 2s (blank: 0)"));
    CheckBox adaptive = new CheckBox("adaptive");
    adaptive.setId("add-adaptive");
    adaptive.selectedProperty().bindBidirectional(form.adaptiveProperty());
    adaptive.setTooltip(
        new Tooltip(
            "Adaptive: each 429 lowers the limit in force by one, successes raise it back"));
    Map<AddForm.Field, TextField> byField =
        Map.of(
            AddForm.Field.PROVIDER, provider,
            AddForm.Field.LIMIT, limit,
            AddForm.Field.COOLDOWN, cooldown);
    form.badFieldProperty()
        .addListener(
            (obs, o, bad) ->
                byField.forEach(
                    (f, t) -> t.pseudoClassStateChanged(Styles.STATE_DANGER, f == bad)));

    Button add = new Button("Add limit");
    add.setId("add-button");
    add.getStyleClass().add(Styles.ACCENT);
    Label error = new Label();
    error.setId("add-error");
    error.getStyleClass().add(Ui.INLINE_ERROR);
    error.setWrapText(true);
    error.textProperty().bind(form.errorProperty());
    Ui.bindShown(error, error.textProperty().isNotEmpty());

    Runnable submit =
        () -> {
          if (!form.submit()) {
            TextField bad = byField.get(form.badFieldProperty().get());
            if (bad != null) {
              bad.requestFocus();
            }
          }
        };
    add.setOnAction(e -> submit.run());
    for (TextField t : byField.values()) {
      t.setOnAction(e -> submit.run());
      t.setOnKeyPressed(
          e -> {
            if (e.getCode() == KeyCode.ESCAPE) {
              form.clear();
              e.consume();
            }
          });
    }
    FlowPane row = new FlowPane(8, 6, provider, limit, cooldown, adaptive, add);
    row.setAlignment(Pos.CENTER_LEFT);
    node = new VBox(4, row, error);
  }

  Node node() {
    return node;
  }

  private static TextField field(String id, String prompt, int columns) {
    TextField f = new TextField();
    f.setId(id);
    f.setPromptText(prompt);
    f.setPrefColumnCount(columns);
    return f;
  }
}
