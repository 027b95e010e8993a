package dev.inflight.app;

import java.util.Optional;
import java.util.function.Consumer;
import javafx.beans.property.ReadOnlyObjectProperty;
import javafx.beans.property.ReadOnlyObjectWrapper;

/**
 * Which theme is shown: the user's choice when they made one, else the desktop's preference, which
 * is re-checked while the app runs (so a desktop switching to dark at dusk is followed). Choosing
 * the theme the desktop prefers goes back to following it. UI thread only; needs no toolkit.
 */
final class ThemeChoice {
  private final ReadOnlyObjectWrapper<Theme> shown = new ReadOnlyObjectWrapper<>();
  private final Consumer<Optional<Theme>> onChosen;
  private Theme desktop;
  private Optional<Theme> chosen;

  /**
   * @param onChosen told of each choice the user makes (empty: follow the desktop), to remember it
   */
  ThemeChoice(Theme desktop, Optional<Theme> chosen, Consumer<Optional<Theme>> onChosen) {
    this.desktop = desktop;
    this.chosen = chosen;
    this.onChosen = onChosen;
    shown.set(chosen.orElse(desktop));
  }

  /** Light, following the desktop, remembering nothing (the UI tests). */
  static ThemeChoice light() {
    return new ThemeChoice(Theme.LIGHT, Optional.empty(), c -> {});
  }

  ReadOnlyObjectProperty<Theme> shownProperty() {
    return shown.getReadOnlyProperty();
  }

  Theme shown() {
    return shown.get();
  }

  /** Whether the desktop decides (no choice of the user's stands). */
  boolean followsDesktop() {
    return chosen.isEmpty();
  }

  /** The other theme, chosen by the user. */
  void toggle() {
    Theme to = shown.get() == Theme.DARK ? Theme.LIGHT : Theme.DARK;
    chosen = to == desktop ? Optional.empty() : Optional.of(to);
    shown.set(to);
    onChosen.accept(chosen);
  }

  /** What the desktop prefers now; shown unless the user chose otherwise. */
  void desktopIs(Theme t) {
    desktop = t;
    if (chosen.isEmpty()) {
      shown.set(t);
    }
  }

  /** The toggle's label: the theme it switches to. */
  String toggleLabel() {
    return shown.get() == Theme.DARK ? "Light" : "Dark";
  }
}
