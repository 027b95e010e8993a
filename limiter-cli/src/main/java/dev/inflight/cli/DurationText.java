package dev.inflight.cli;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * Durations as people type them: {@code 250ms}, {@code 30s}, {@code 1.5s}, {@code 5m}, {@code 1h},
 * {@code 1m30s}, {@code 2d}, or ISO-8601 ({@code PT30S}). Printing goes through the library's
 * {@link dev.inflight.client.Text#duration}, so that a value reads the same everywhere.
 */
final class DurationText implements ITypeConverter<Duration> {
  private static final Pattern PART = Pattern.compile("([0-9]+(?:\\.[0-9]+)?)(ms|s|m|h|d)");
  private static final Pattern WHOLE = Pattern.compile("(?:[0-9]+(?:\\.[0-9]+)?(?:ms|s|m|h|d))+");

  @Override
  public Duration convert(String value) {
    return parse(value);
  }

  /**
   * Parses a duration, or throws with the accepted forms and the value.
   *
   * @throws TypeConversionException naming the forms; picocli prefixes the option's name
   */
  static Duration parse(String value) {
    String t = value == null ? "" : value.strip().toLowerCase(Locale.ROOT);
    try {
      if (t.equals("0")) {
        return Duration.ZERO;
      }
      if (t.startsWith("p") || t.startsWith("-p")) {
        Duration d = Duration.parse(t.toUpperCase(Locale.ROOT));
        if (!d.isNegative()) {
          return d;
        }
      } else if (WHOLE.matcher(t).matches()) {
        BigDecimal nanos = BigDecimal.ZERO;
        Matcher m = PART.matcher(t);
        while (m.find()) {
          BigDecimal n = new BigDecimal(m.group(1));
          long unit =
              switch (m.group(2)) {
                case "ms" -> 1_000_000L;
                case "s" -> 1_000_000_000L;
                case "m" -> 60_000_000_000L;
                case "h" -> 3_600_000_000_000L;
                default -> 86_400_000_000_000L;
              };
          nanos = nanos.add(n.multiply(BigDecimal.valueOf(unit)));
        }
        return Duration.ofNanos(nanos.longValueExact());
      }
    } catch (DateTimeParseException | ArithmeticException e) {
      // fall through to the message below
    }
    throw new TypeConversionException(
        "expected a duration such as 250ms, 30s, 5m, 1h, 2d or PT30S (was \"" + value + "\")");
  }
}
