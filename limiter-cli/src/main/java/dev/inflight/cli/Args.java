package dev.inflight.cli;

import dev.inflight.client.LimitSpec;
import dev.inflight.client.ModelLimitSpec;
import dev.inflight.client.Text;

/**
 * Checks of the command line's own values, before anything is opened: each message names the option
 * as typed, the rule and the value, so that bad input fails fast and changes nothing.
 */
final class Args {
  static final int MAX_WEIGHT = 10_000;
  static final long MAX_TOKENS = 100_000_000L;
  static final int MAX_RPM = 1_000_000;
  static final long MAX_TPM = 1_000_000_000L;

  private Args() {}

  /**
   * A provider ({@code openai}) or a provider's model ({@code openai/gpt-4o}), split at the first
   * slash as the library splits it.
   *
   * @param model "" for the provider as a whole
   */
  record Key(String provider, String model) {
    boolean isModel() {
      return !model.isEmpty();
    }

    @Override
    public String toString() {
      return isModel() ? provider + "/" + model : provider;
    }
  }

  /**
   * Parses {@code text} as PROVIDER or PROVIDER/MODEL; {@code name} is how the command line calls
   * it ({@code KEY}, {@code --provider}). A model repeating its provider ({@code
   * openai/openai/gpt-4o}) is refused: the database would refuse it as a model's limit, and as a
   * request it would count apart from the model it means.
   */
  static Key key(String name, String text) {
    if (text == null || text.indexOf('/') < 0) {
      return new Key(LimitSpec.checkProvider(text), "");
    }
    int slash = text.indexOf('/');
    String provider = text.substring(0, slash);
    String model = text.substring(slash + 1);
    if (provider.isEmpty() || model.isEmpty()) {
      throw new IllegalArgumentException(
          name
              + " must be PROVIDER or PROVIDER/MODEL, with a "
              + (provider.isEmpty() ? "provider before" : "model after")
              + " the slash (was "
              + quote(text)
              + ")");
    }
    LimitSpec.checkProvider(provider);
    ModelLimitSpec.of(provider, model, 1); // the model's own rules: length, text, no repeated key
    return new Key(provider, model);
  }

  /**
   * A provider alone, for commands that act on a provider as a whole ({@code pause}, {@code
   * resume}, {@code report-429}): a model key is refused rather than taken for a provider whose
   * name holds a slash, which no request could name any more.
   */
  static String providerOnly(String command, String text) {
    Key k = key("PROVIDER", text);
    if (k.isModel()) {
      throw new IllegalArgumentException(
          "PROVIDER must be a provider: '"
              + command
              + "' applies to a provider as a whole, not to one of its models (was "
              + quote(text)
              + "; give "
              + quote(k.provider())
              + ")");
    }
    return k.provider();
  }

  /** A whole number from {@code min} to {@code max}, written in decimal digits only. */
  static long integer(String name, String text, long min, long max) {
    String t = text == null ? "" : text.strip();
    if (t.matches("[+-]?[0-9]{1,18}")) {
      long n = Long.parseLong(t);
      if (n >= min && n <= max) {
        return n;
      }
      throw new IllegalArgumentException(
          name + " must be an integer from " + min + " to " + max + " (was " + n + ")");
    }
    throw new IllegalArgumentException(
        name + " must be an integer from " + min + " to " + max + " (was " + quote(text) + ")");
  }

  /**
   * A per-minute budget: 1 to {@code max}, or {@code 0} or {@code none} for no budget (returned as
   * 0).
   */
  static long budget(String name, String text, long max) {
    if (text != null && text.strip().equalsIgnoreCase("none")) {
      return 0;
    }
    String t = text == null ? "" : text.strip();
    if (t.matches("[+-]?[0-9]{1,18}")) {
      long n = Long.parseLong(t);
      if (n >= 0 && n <= max) {
        return n;
      }
    }
    throw new IllegalArgumentException(
        name
            + " must be an integer from 1 to "
            + max
            + ", or 0 or none for no budget (was "
            + (t.matches("[+-]?[0-9]{1,18}") ? t : quote(text))
            + ")");
  }

  static String quote(String s) {
    return s == null ? "null" : "\"" + Text.printable(s) + "\"";
  }
}
