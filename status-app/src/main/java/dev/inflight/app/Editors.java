package dev.inflight.app;

import atlantafx.base.theme.Styles;
import java.util.Optional;
import javafx.scene.control.TextField;
import javafx.scene.control.Tooltip;
import javafx.scene.input.KeyCode;

/** The small text fields of the rows: how they look, and how typing, Enter, Tab and Escape save. */
final class Editors {
  private Editors() {}

  static TextField editor(String id, String prompt, String tip) {
    TextField f = new TextField();
    f.setId(id);
    f.setPromptText(prompt);
    f.setTooltip(new Tooltip(tip));
    f.getStyleClass().add(Styles.SMALL);
    f.setPrefColumnCount(4);
    return f;
  }

  /**
   * The field shows the edit's text; Enter saves (bad text stays, in red, with its message), Tab or
   * a click elsewhere saves too (bad text is put back and the message says so), Escape undoes.
   */
  static void wire(TextField f, FieldEdit edit) {
    f.textProperty().bindBidirectional(edit.textProperty());
    edit.invalidProperty()
        .addListener((obs, o, bad) -> f.pseudoClassStateChanged(Styles.STATE_DANGER, bad));
    f.focusedProperty()
        .addListener(
            (obs, was, is) -> {
              if (is) {
                edit.focus();
              } else if (!stillOwnsFocus(f)) {
                // Not when the whole window loses the focus (another app, a dialog): half-typed
                // text is not saved by switching away; the field is still being edited on return.
                edit.leave();
              }
            });
    f.setOnAction(
        e -> {
          if (edit.commit()) {
            Optional.ofNullable(f.getParent()).ifPresent(n -> n.requestFocus());
          }
        });
    f.setOnKeyPressed(
        e -> {
          if (e.getCode() == KeyCode.ESCAPE) {
            edit.cancel();
            Optional.ofNullable(f.getParent()).ifPresent(n -> n.requestFocus());
            e.consume();
          }
        });
  }

  /** The window lost the focus but the field is still its focus owner: nobody left the field. */
  private static boolean stillOwnsFocus(TextField f) {
    return f.getScene() != null
        && f.getScene().getFocusOwner() == f
        && f.getScene().getWindow() != null
        && !f.getScene().getWindow().isFocused();
  }
}
