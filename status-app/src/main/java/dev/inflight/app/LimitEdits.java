package dev.inflight.app;

import dev.inflight.client.LimitSpec;
import dev.inflight.client.ModelLimitSpec;
import dev.inflight.client.ProviderStatus;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * One field of a provider's or a model's limit changed at a time, the others kept as the window
 * last read them (the stored limit where it was read, so budgets, default tokens and aging survive
 * an edit of the cap). Bad input is refused in the library's words and nothing is written. UI
 * thread only.
 */
final class LimitEdits {
  private final Function<String, ProviderStatus> status;
  private final Supplier<Settings> settings;
  private final Consumer<LimitSpec> write;
  private final Consumer<ModelLimitSpec> writeModel;

  /**
   * @param status the provider's status as shown, or null
   * @param settings the limits as last read
   * @param write writes a limit in the background
   * @param writeModel writes a model limit in the background
   */
  LimitEdits(
      Function<String, ProviderStatus> status,
      Supplier<Settings> settings,
      Consumer<LimitSpec> write,
      Consumer<ModelLimitSpec> writeModel) {
    this.status = status;
    this.settings = settings;
    this.write = write;
    this.writeModel = writeModel;
  }

  LimitEdits(Function<String, ProviderStatus> status, Consumer<LimitSpec> write) {
    this(status, () -> Settings.NONE, write, m -> {});
  }

  /** The provider's limit as stored, or as its status shows it when the settings are not read. */
  private Optional<LimitSpec> stored(String provider) {
    Optional<LimitSpec> spec = settings.get().limit(provider);
    if (spec.isPresent()) {
      return spec;
    }
    ProviderStatus s = status.apply(provider);
    if (s == null || s.limit().isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(
        new LimitSpec(provider, s.limit().getAsInt(), s.cooldown(), s.paused(), s.adaptive()));
  }

  private static boolean hasBudget(LimitSpec s) {
    return s.requestsPerMinute() > 0 || s.tokensPerMinute() > 0;
  }

  private Optional<String> writeChecked(Supplier<LimitSpec> spec) {
    try {
      write.accept(spec.get());
      return Optional.empty();
    } catch (IllegalArgumentException e) {
      return Optional.of(e.getMessage());
    }
  }

  /**
   * Sets the provider's limit from the user's text, keeping its cooldown, paused flag, whether it
   * is adaptive and its budgets. Blank removes the in-flight cap where a budget holds instead.
   *
   * @return the message, in the screen's words, when the text is not a valid limit (nothing is
   *     written)
   */
  Optional<String> setLimit(String provider, String text) {
    Optional<LimitSpec> spec = stored(provider);
    if (text != null && text.isBlank() && spec.isPresent() && hasBudget(spec.get())) {
      return writeChecked(() -> spec.get().withMaxInFlight(0));
    }
    return writeChecked(
        () -> {
          int max = Inputs.limit(text);
          return spec.map(s -> s.withMaxInFlight(max))
              .orElseGet(() -> new LimitSpec(provider, max, Duration.ZERO, false, false));
        });
  }

  /**
   * Sets the provider's cooldown ({@code 500ms}, {@code 2s}, or a number of milliseconds).
   *
   * @return the message when the text is not a valid cooldown or the provider has no limit (nothing
   *     is written)
   */
  Optional<String> setCooldown(String provider, String text) {
    Optional<LimitSpec> spec = stored(provider);
    if (spec.isEmpty()) {
      return Optional.of("set a limit for '" + provider + "' before its cooldown");
    }
    return writeChecked(() -> spec.get().withCooldown(Inputs.cooldown(text)));
  }

  /**
   * Makes the provider's limit adaptive (429s lower the limit in force, successes raise it back) or
   * fixed, keeping its limit and cooldown.
   *
   * @return a message when the provider has no limit (nothing is written)
   */
  Optional<String> setAdaptive(String provider, boolean adaptive) {
    Optional<LimitSpec> spec = stored(provider);
    if (spec.isEmpty()) {
      return Optional.of("set a limit for '" + provider + "' before making it adaptive");
    }
    return writeChecked(() -> spec.get().withAdaptive(adaptive));
  }

  /**
   * Sets the provider's requests-per-minute budget ({@code 500}, {@code 1.5k}; blank for none),
   * keeping everything else. A provider without a limit gets one with this budget and no cap.
   *
   * @return the message when the text is refused (nothing is written)
   */
  Optional<String> setRequestsPerMinute(String provider, String text) {
    return setBudget(provider, text, true);
  }

  /** As {@link #setRequestsPerMinute}, for tokens per minute ({@code 30k}). */
  Optional<String> setTokensPerMinute(String provider, String text) {
    return setBudget(provider, text, false);
  }

  private Optional<String> setBudget(String provider, String text, boolean requests) {
    Optional<LimitSpec> spec = stored(provider);
    long v;
    try {
      v = requests ? Inputs.rpm(text) : Inputs.tpm(text);
    } catch (IllegalArgumentException e) {
      return Optional.of(e.getMessage());
    }
    LimitSpec base =
        spec.orElseGet(
            () ->
                new LimitSpec(
                    provider,
                    0,
                    Duration.ZERO,
                    false,
                    false,
                    requests ? (int) v : 0,
                    requests ? 0 : v,
                    0,
                    LimitSpec.DEFAULT_AGING));
    int rpm = requests ? (int) v : base.requestsPerMinute();
    long tpm = requests ? base.tokensPerMinute() : v;
    if (spec.isEmpty() && v == 0) {
      return Optional.empty(); // no limit and no budget asked for: nothing to write
    }
    if (base.maxInFlight() == 0 && rpm == 0 && tpm == 0) {
      return Optional.of(
          "'"
              + provider
              + "' would be limited by nothing: set its limit first, or use Remove limit");
    }
    return writeChecked(() -> base.withBudgets(rpm, tpm, base.defaultTokens()));
  }

  // ---------------------------------------------------------------- models

  /**
   * Sets a model's own in-flight cap (blank for none while a budget holds), keeping its budgets.
   *
   * @return the message when the text is refused (nothing is written)
   */
  Optional<String> setModelLimit(String provider, String model, String text) {
    Optional<ModelLimitSpec> spec = settings.get().model(provider, model);
    int cap;
    try {
      cap = text == null || text.isBlank() ? 0 : Inputs.limit(text);
    } catch (IllegalArgumentException e) {
      return Optional.of(e.getMessage());
    }
    int rpm = spec.map(ModelLimitSpec::requestsPerMinute).orElse(0);
    long tpm = spec.map(ModelLimitSpec::tokensPerMinute).orElse(0L);
    long def = spec.map(ModelLimitSpec::defaultTokens).orElse(0L);
    return writeModel(provider, model, cap, rpm, tpm, def, spec.isPresent());
  }

  /** Sets a model's requests-per-minute budget, keeping its cap and token budget. */
  Optional<String> setModelRequestsPerMinute(String provider, String model, String text) {
    return setModelBudget(provider, model, text, true);
  }

  /** Sets a model's tokens-per-minute budget, keeping its cap and request budget. */
  Optional<String> setModelTokensPerMinute(String provider, String model, String text) {
    return setModelBudget(provider, model, text, false);
  }

  private Optional<String> setModelBudget(
      String provider, String model, String text, boolean requests) {
    Optional<ModelLimitSpec> spec = settings.get().model(provider, model);
    long v;
    try {
      v = requests ? Inputs.rpm(text) : Inputs.tpm(text);
    } catch (IllegalArgumentException e) {
      return Optional.of(e.getMessage());
    }
    int cap = spec.map(ModelLimitSpec::maxInFlight).orElse(0);
    int rpm = requests ? (int) v : spec.map(ModelLimitSpec::requestsPerMinute).orElse(0);
    long tpm = requests ? spec.map(ModelLimitSpec::tokensPerMinute).orElse(0L) : v;
    long def = spec.map(ModelLimitSpec::defaultTokens).orElse(0L);
    return writeModel(provider, model, cap, rpm, tpm, def, spec.isPresent());
  }

  private Optional<String> writeModel(
      String provider, String model, int cap, int rpm, long tpm, long def, boolean exists) {
    if (cap == 0 && rpm == 0 && tpm == 0) {
      return exists
          ? Optional.of(
              "'"
                  + provider
                  + "/"
                  + model
                  + "' would be limited by nothing: use Remove to drop its own limit")
          : Optional.empty();
    }
    try {
      writeModel.accept(new ModelLimitSpec(provider, model, cap, rpm, tpm, def));
      return Optional.empty();
    } catch (IllegalArgumentException e) {
      return Optional.of(e.getMessage());
    }
  }

  /**
   * Adds (or replaces) a model's own limit under a provider from the add form's fields.
   *
   * @return the message when a field is refused (nothing is written)
   */
  Optional<String> addModel(String provider, String model, String capText, String rpmText) {
    try {
      int cap = capText == null || capText.isBlank() ? 0 : Inputs.limit(capText);
      int rpm = Inputs.rpm(rpmText);
      String m = model == null ? "" : model.strip();
      if (cap == 0 && rpm == 0) {
        return Optional.of(
            "give '" + provider + "/" + m + "' a limit, an rpm budget or both (both were blank)");
      }
      writeModel.accept(new ModelLimitSpec(provider, m, cap, rpm, 0, 0));
      return Optional.empty();
    } catch (IllegalArgumentException e) {
      return Optional.of(e.getMessage());
    }
  }
}
