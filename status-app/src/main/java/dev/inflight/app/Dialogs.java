package dev.inflight.app;

import atlantafx.base.theme.Styles;
import java.util.List;
import java.util.Map;
import javafx.scene.Node;
import javafx.scene.control.Alert;
import javafx.scene.control.Button;
import javafx.scene.control.ButtonBar;
import javafx.scene.control.ButtonType;
import javafx.scene.control.Label;
import javafx.scene.layout.GridPane;
import javafx.scene.layout.Region;
import javafx.scene.layout.VBox;
import javafx.stage.Window;

/**
 * Confirmations of destructive commands. The button that acts is named for the action ("Release
 * lease"), the safe choice is the default (Enter and Escape both cancel), and facts are shown as
 * label–value lines that are never broken inside a word.
 */
final class Dialogs {
  static final String CONFIRM_BUTTON = "confirm-button";
  static final String CANCEL_BUTTON = "cancel-button";

  private Dialogs() {}

  /**
   * Asks before a destructive command; returns true only when the action's own button was pressed.
   *
   * @param facts label → value lines (in order)
   * @param note a sentence on what follows; wrapped between words
   */
  static boolean confirm(
      Window owner, String header, Map<String, String> facts, String note, String action) {
    Alert a = build(owner, header, facts, note, action);
    return a.showAndWait()
        .map(b -> b.getButtonData() == ButtonBar.ButtonData.OK_DONE)
        .orElse(false);
  }

  static Alert build(
      Window owner, String header, Map<String, String> facts, String note, String action) {
    ButtonType act = new ButtonType(action, ButtonBar.ButtonData.OK_DONE);
    ButtonType cancel = new ButtonType("Cancel", ButtonBar.ButtonData.CANCEL_CLOSE);
    Alert a = new Alert(Alert.AlertType.CONFIRMATION, "", act, cancel);
    if (owner != null) {
      a.initOwner(owner);
    }
    a.setTitle("inflight");
    a.setHeaderText(header);
    GridPane grid = new GridPane();
    grid.setHgap(12);
    grid.setVgap(4);
    int r = 0;
    for (Map.Entry<String, String> f : facts.entrySet()) {
      Label k = new Label(f.getKey());
      k.getStyleClass().add(Styles.TEXT_MUTED);
      Label v = new Label(f.getValue());
      v.getStyleClass().add(Styles.TEXT_BOLD);
      for (Label l : List.of(k, v)) {
        l.setMinWidth(Region.USE_PREF_SIZE);
        l.setWrapText(false);
      }
      grid.addRow(r++, k, v);
    }
    Label text = new Label(note);
    text.setWrapText(true);
    text.setMaxWidth(440);
    text.setMinHeight(Region.USE_PREF_SIZE);
    Node content = new VBox(12, grid, text);
    a.getDialogPane().setContent(content);
    a.getDialogPane().setMinWidth(Region.USE_PREF_SIZE);
    a.getDialogPane().setMinHeight(Region.USE_PREF_SIZE);
    Button actButton = (Button) a.getDialogPane().lookupButton(act);
    actButton.setDefaultButton(false);
    actButton.setId(CONFIRM_BUTTON);
    actButton.getStyleClass().add(Styles.DANGER);
    Button cancelButton = (Button) a.getDialogPane().lookupButton(cancel);
    cancelButton.setDefaultButton(true);
    cancelButton.setCancelButton(true);
    cancelButton.setId(CANCEL_BUTTON);
    a.setOnShown(e -> cancelButton.requestFocus());
    return a;
  }
}
