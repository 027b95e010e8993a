package dev.inflight.app;

import dev.inflight.client.LimitSpec;
import java.time.Duration;
import java.util.function.Consumer;
import javafx.beans.property.BooleanProperty;
import javafx.beans.property.ReadOnlyObjectProperty;
import javafx.beans.property.ReadOnlyObjectWrapper;
import javafx.beans.property.ReadOnlyStringProperty;
import javafx.beans.property.ReadOnlyStringWrapper;
import javafx.beans.property.SimpleBooleanProperty;
import javafx.beans.property.SimpleStringProperty;
import javafx.beans.property.StringProperty;

/**
 * The "add a limit" form: provider, limit, cooldown and adaptive, checked field by field in the
 * order they are shown; the first bad field is named, with its rule and value, and nothing is
 * written. UI thread only; needs no toolkit.
 */
final class AddForm {
  /** The form's fields, for marking the bad one. */
  enum Field {
    PROVIDER,
    LIMIT,
    COOLDOWN
  }

  private final Consumer<LimitSpec> write;
  private final StringProperty provider = new SimpleStringProperty(this, "provider", "");
  private final StringProperty limit = new SimpleStringProperty(this, "limit", "");
  private final StringProperty cooldown = new SimpleStringProperty(this, "cooldown", "");
  private final BooleanProperty adaptive = new SimpleBooleanProperty(this, "adaptive");
  private final ReadOnlyStringWrapper error = new ReadOnlyStringWrapper(this, "error", "");
  private final ReadOnlyObjectWrapper<Field> badField = new ReadOnlyObjectWrapper<>(this, "bad");

  AddForm(Consumer<LimitSpec> write) {
    this.write = write;
  }

  StringProperty providerProperty() {
    return provider;
  }

  StringProperty limitProperty() {
    return limit;
  }

  StringProperty cooldownProperty() {
    return cooldown;
  }

  BooleanProperty adaptiveProperty() {
    return adaptive;
  }

  /** Why the last submit was refused, naming the field; empty otherwise. */
  ReadOnlyStringProperty errorProperty() {
    return error.getReadOnlyProperty();
  }

  /** The field the error is about, or null. */
  ReadOnlyObjectProperty<Field> badFieldProperty() {
    return badField.getReadOnlyProperty();
  }

  /** Checks every field and writes the limit; on success the form is emptied. */
  boolean submit() {
    String p;
    int max;
    Duration cd;
    try {
      p = LimitSpec.checkProvider(provider.get() == null ? "" : provider.get().strip());
    } catch (IllegalArgumentException e) {
      return refuse(Field.PROVIDER, e.getMessage());
    }
    try {
      max = Inputs.limit(limit.get());
    } catch (IllegalArgumentException e) {
      return refuse(Field.LIMIT, e.getMessage());
    }
    try {
      cd = Inputs.cooldown(cooldown.get());
    } catch (IllegalArgumentException e) {
      return refuse(Field.COOLDOWN, e.getMessage());
    }
    write.accept(new LimitSpec(p, max, cd, false, adaptive.get()));
    provider.set("");
    limit.set("");
    cooldown.set("");
    adaptive.set(false);
    clear();
    return true;
  }

  /** Escape: forget the message (the typed text stays). */
  void clear() {
    error.set("");
    badField.set(null);
  }

  private boolean refuse(Field f, String message) {
    error.set(message);
    badField.set(f);
    return false;
  }
}
