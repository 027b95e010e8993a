package dev.inflight.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.inflight.client.Text;
import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine.TypeConversionException;

class DurationTextTest {

  @ParameterizedTest
  @CsvSource({
    "250ms, PT0.25S",
    "30s, PT30S",
    "1.5s, PT1.5S",
    "5m, PT5M",
    "1h, PT1H",
    "1m30s, PT1M30S",
    "2d, PT48H",
    "PT30S, PT30S",
    "pt2m, PT2M",
    "0, PT0S",
    "0s, PT0S",
    "' 10s ', PT10S"
  })
  void parse_acceptsUnitsAndIso8601(String text, String iso) {
    assertThat(DurationText.parse(text)).isEqualTo(Duration.parse(iso));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "abc", "10", "-5s", "5 s", "5w", "PT-1S", "1.s", "ms"})
  void parse_rejectsAnythingElse_namingTheFormsAndTheValue(String text) {
    assertThatThrownBy(() -> DurationText.parse(text))
        .isInstanceOf(TypeConversionException.class)
        .hasMessage(
            "expected a duration such as 250ms, 30s, 5m, 1h, 2d or PT30S (was \"" + text + "\")");
  }

  @ParameterizedTest
  @CsvSource({
    "PT0.25S, 250ms",
    "PT1.5S, 1.5s",
    "PT1.95S, 1.9s",
    "PT30S, 30s",
    "PT5M30S, 5m30s",
    "PT1H5M, 1h5m",
    "PT48H, 2d"
  })
  void printed_theLibrarysWay_readsBackAsTheSameDuration(String iso, String text) {
    assertThat(Text.duration(Duration.parse(iso))).isEqualTo(text);
    if (!text.equals("1.9s")) {
      assertThat(DurationText.parse(text)).isEqualTo(Duration.parse(iso));
    }
  }
}
