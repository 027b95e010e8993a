package dev.inflight.app;

import dev.inflight.client.LimitSpec;
import dev.inflight.client.ProviderStatus;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * One field of a provider's limit changed at a time, the others kept as the window last read them.
 * Bad input is refused in the screen's words and nothing is written. UI thread only.
 */
final class LimitEdits {
  private final Function<String, ProviderStatus> status;
  private final Consumer<LimitSpec> write;

  /**
   * @param status the provider's status as shown, or null
   * @param write writes a limit in the background
   */
  LimitEdits(Function<String, ProviderStatus> status, Consumer<LimitSpec> write) {
    this.status = status;
    this.write = write;
  }

  /**
   * Sets the provider's limit from the user's text, keeping its cooldown, paused flag and whether
   * it is adaptive.
   *
   * @return the message, in the screen's words, when the text is not a valid limit (nothing is
   *     written)
   */
  Optional<String> setLimit(String provider, String text) {
    ProviderStatus s = status.apply(provider);
    Duration cooldown = s == null ? Duration.ZERO : s.cooldown();
    boolean adaptive = s != null && s.adaptive();
    boolean paused = s != null && s.paused();
    try {
      LimitSpec spec = new LimitSpec(provider, Inputs.limit(text), cooldown, paused, adaptive);
      write.accept(spec);
      return Optional.empty();
    } catch (IllegalArgumentException e) {
      return Optional.of(e.getMessage());
    }
  }

  /**
   * Sets the provider's cooldown ({@code 500ms}, {@code 2s}, or a number of milliseconds).
   *
   * @return the message when the text is not a valid cooldown or the provider has no limit (nothing
   *     is written)
   */
  Optional<String> setCooldown(String provider, String text) {
    ProviderStatus s = status.apply(provider);
    if (s == null || s.limit().isEmpty()) {
      return Optional.of("set a limit for '" + provider + "' before its cooldown");
    }
    try {
      LimitSpec spec =
          new LimitSpec(
              provider, s.limit().getAsInt(), Inputs.cooldown(text), s.paused(), s.adaptive());
      write.accept(spec);
      return Optional.empty();
    } catch (IllegalArgumentException e) {
      return Optional.of(e.getMessage());
    }
  }

  /**
   * Makes the provider's limit adaptive (429s lower the limit in force, successes raise it back) or
   * fixed, keeping its limit and cooldown.
   *
   * @return a message when the provider has no limit (nothing is written)
   */
  Optional<String> setAdaptive(String provider, boolean adaptive) {
    ProviderStatus s = status.apply(provider);
    if (s == null || s.limit().isEmpty()) {
      return Optional.of("set a limit for '" + provider + "' before making it adaptive");
    }
    LimitSpec spec =
        new LimitSpec(provider, s.limit().getAsInt(), s.cooldown(), s.paused(), adaptive);
    write.accept(spec);
    return Optional.empty();
  }
}
