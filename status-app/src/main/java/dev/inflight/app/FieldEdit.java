package dev.inflight.app;

import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;
import javafx.beans.property.ReadOnlyBooleanProperty;
import javafx.beans.property.ReadOnlyBooleanWrapper;
import javafx.beans.property.ReadOnlyStringProperty;
import javafx.beans.property.ReadOnlyStringWrapper;
import javafx.beans.property.SimpleStringProperty;
import javafx.beans.property.StringProperty;

/**
 * One editable value of a row (a limit, a cooldown): what the field shows, whether what it shows is
 * refused, and why. The field never keeps an unsaved value without saying so:
 *
 * <ul>
 *   <li>{@link #commit()} (Enter) saves; bad text stays, marked, with the message, for fixing.
 *   <li>{@link #leave()} (focus lost, Tab) saves the same way; bad text is put back to the stored
 *       value and the message says it was not saved.
 *   <li>{@link #cancel()} (Escape) puts the stored value back and clears the message.
 * </ul>
 *
 * <p>UI thread only; needs no toolkit.
 */
final class FieldEdit {
  private final String name;
  private final Supplier<String> stored;
  private final Function<String, Optional<String>> save;
  private final StringProperty text = new SimpleStringProperty(this, "text", "");
  private final ReadOnlyStringWrapper error = new ReadOnlyStringWrapper(this, "error", "");
  private final ReadOnlyBooleanWrapper invalid = new ReadOnlyBooleanWrapper(this, "invalid");
  private boolean editing;
  private String pending; // saved, not yet read back

  /**
   * @param name the field as the screen calls it ("limit"), for messages
   * @param stored the value in the database, as the field shows it
   * @param save writes the text; returns the message when the text is refused (nothing written)
   */
  FieldEdit(String name, Supplier<String> stored, Function<String, Optional<String>> save) {
    this.name = name;
    this.stored = stored;
    this.save = save;
    text.set(stored.get());
  }

  /** What the field shows; the view binds its text to this both ways. */
  StringProperty textProperty() {
    return text;
  }

  /** Why the last save was refused; empty when there is nothing to say. */
  ReadOnlyStringProperty errorProperty() {
    return error.getReadOnlyProperty();
  }

  /** Whether the field shows text that was refused (drawn in red). */
  ReadOnlyBooleanProperty invalidProperty() {
    return invalid.getReadOnlyProperty();
  }

  /** The user is in the field: database updates no longer replace the text. */
  void focus() {
    editing = true;
  }

  /** Forgets a "not saved" note (a refusal of the text still shown stays until it is fixed). */
  void dismiss() {
    if (!invalid.get()) {
      error.set("");
    }
  }

  /** Enter: saves the text. Returns true when nothing is left to fix. */
  boolean commit() {
    String t = text.get();
    if (unchanged(t)) {
      clear();
      return true;
    }
    Optional<String> problem = save.apply(t);
    if (problem.isPresent()) {
      error.set(problem.get());
      invalid.set(true);
      return false;
    }
    pending = t.strip();
    clear();
    return true;
  }

  /** Focus lost: saves good text; puts the stored value back over bad text and says so. */
  void leave() {
    editing = false;
    String t = text.get();
    if (unchanged(t)) {
      if (pending == null) {
        text.set(stored.get());
      }
      clear();
      return;
    }
    Optional<String> problem = save.apply(t);
    if (problem.isPresent()) {
      text.set(stored.get());
      invalid.set(false);
      error.set(name + " not saved, kept " + shown(stored.get()) + ": " + problem.get());
    } else {
      pending = t.strip();
      clear();
    }
  }

  /** Escape: the stored value back, no message. */
  void cancel() {
    text.set(stored.get());
    clear();
  }

  /** The database changed: show its value unless the user is typing. */
  void storedChanged() {
    if (stored.get().equals(pending)) {
      pending = null;
    }
    if (!editing) {
      text.set(stored.get());
    }
  }

  private boolean unchanged(String t) {
    String s = t.strip();
    return s.equals(stored.get()) || s.equals(pending);
  }

  private void clear() {
    error.set("");
    invalid.set(false);
  }

  private static String shown(String value) {
    return value.isEmpty() ? "none" : value;
  }
}
