package dev.inflight.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Every bad input is refused with parameter, rule and value, and changes nothing. */
class LimitsValidationTest {
  @TempDir Path home;
  Limiter limiter;
  List<LimitSpec> before;

  @BeforeEach
  void open() {
    limiter = Limiter.builder().home(home).build();
    limiter.limits().set(LimitSpec.of("openai", 4));
    before = limiter.limits().list();
  }

  @AfterEach
  void close() {
    assertThat(limiter.limits().list()).isEqualTo(before);
    limiter.close();
  }

  @ParameterizedTest
  @ValueSource(ints = {0, -1, 10001, Integer.MIN_VALUE})
  void limitsSet_outOfRange_isRejectedAndNothingChanges(int max) {
    assertThatThrownBy(
            () -> limiter.limits().set(new LimitSpec("openai", max, Duration.ZERO, false)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("max_in_flight must be an integer from 1 to 10000 (was " + max + ")");
  }

  @ParameterizedTest
  @ValueSource(strings = {"2.5", "abc", "", " ", "1e3", "0x10", "99999999999"})
  void parseMaxInFlight_notAnInteger_isRejected(String text) {
    assertThatThrownBy(() -> LimitSpec.parseMaxInFlight(text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("max_in_flight must be an integer from 1 to 10000 (was \"" + text + "\")");
  }

  @Test
  void parseMaxInFlight_zero_namesTheRangeRule() {
    assertThatThrownBy(() -> LimitSpec.parseMaxInFlight("0"))
        .hasMessage("max_in_flight must be an integer from 1 to 10000 (was 0)");
    assertThat(LimitSpec.parseMaxInFlight(" 7 ")).isEqualTo(7);
  }

  @Test
  void provider_empty_tooLong_orControlCharacters_isRejected() {
    assertThatThrownBy(() -> LimitSpec.of("", 1))
        .hasMessage("provider must be 1 to 200 characters with no control characters (was \"\")");
    assertThatThrownBy(() -> LimitSpec.of("open\nai", 1))
        .hasMessage(
            "provider must be 1 to 200 characters with no control characters (was \"open\\u000aai\")");
    assertThatThrownBy(() -> LimitSpec.of("a\u0085", 1)).hasMessageContaining("\\u0085");
    assertThatThrownBy(() -> LimitSpec.of("x".repeat(201), 1))
        .hasMessageStartingWith(
            "provider must be 1 to 200 characters with no control characters (was \"xxx")
        .hasMessageEndingWith("(201 characters))");
    assertThatThrownBy(() -> limiter.tryAcquire("bad\u0000id")).hasMessageContaining("\\u0000");
    assertThatThrownBy(() -> limiter.acquireAsync(null, "x")).hasMessageContaining("(was null)");
  }

  @Test
  void provider_anyUnicodeWithoutControls_isAccepted_asOpaqueData() {
    String id = "o'pen; DROP TABLE limits;-- ✓ 模型 😀";
    limiter.limits().set(LimitSpec.of(id, 2));
    assertThat(limiter.limits().get(id))
        .hasValueSatisfying(s -> assertThat(s.maxInFlight()).isEqualTo(2));
    assertThat(LimitSpec.of("x".repeat(200), 1).provider()).hasSize(200);
    limiter.limits().unset(id);
  }

  @Test
  void cooldown_negative_orOverAnHour_isRejected() {
    assertThatThrownBy(() -> LimitSpec.of("openai", 2).withCooldown(Duration.ofMillis(-1)))
        .hasMessage("cooldown must be whole milliseconds from 0 to 1h (was PT-0.001S)");
    assertThatThrownBy(() -> LimitSpec.of("openai", 2).withCooldown(Duration.ofHours(2)))
        .hasMessage("cooldown must be whole milliseconds from 0 to 1h (was PT2H)");
  }

  @Test
  void label_tooLong_orWithControls_isRejected_andNothingQueued() {
    assertThatThrownBy(() -> limiter.tryAcquire("openai", "a\tb"))
        .hasMessage(
            "label must be at most 200 characters with no control characters (was \"a\\u0009b\")");
    assertThat(limiter.status().leases()).isEmpty();
  }

  @Test
  void timeout_negative_isRejected_andNothingQueued() {
    assertThatThrownBy(() -> limiter.acquire("openai", Duration.ofSeconds(-1)))
        .hasMessage("timeout must be from 0 to 30d (was PT-1S); leave it out to wait for ever");
    assertThat(limiter.status().waiters()).isEmpty();
  }

  @Test
  void pause_providerWithoutLimit_isRejected() {
    assertThatThrownBy(() -> limiter.limits().pause("anthropic"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "provider must have a limit to pause (was \"anthropic\", which is unlimited); set one first");
  }

  @Test
  void forceRelease_nonPositiveId_isRejected() {
    assertThatThrownBy(() -> limiter.forceRelease(0))
        .hasMessage("lease id must be a positive integer (was 0)");
    assertThat(limiter.forceRelease(12345)).isEmpty();
  }

  @Test
  void builder_badDurations_areRejected() {
    assertThatThrownBy(() -> Limiter.builder().heartbeatInterval(Duration.ZERO))
        .hasMessage("heartbeatInterval must be a positive duration (was PT0S)");
    assertThatThrownBy(() -> Limiter.builder().home(home).staleAfter(Duration.ofSeconds(5)).build())
        .hasMessage(
            "staleAfter must be at least twice heartbeatInterval (was PT5S with heartbeatInterval PT5S)");
  }

  @Test
  void builder_emptyHome_isRefused_insteadOfMeaningTheCurrentDirectory() {
    assertThatThrownBy(() -> Limiter.builder().home(Path.of("")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("home must name a directory (was \"\")");
  }

  @Test
  void timeout_longerThan30Days_isRefused_beforeAnythingOverflows() {
    try (Limiter l = Limiter.builder().home(home).build()) {
      assertThatThrownBy(() -> l.acquire("openai", "x", Duration.ofHours(9_999_999_999_999L)))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage(
              "timeout must be from 0 to 30d (was PT9999999999999H); leave it out to wait for"
                  + " ever");
    }
  }

  @Test
  void providerAndLabel_thatWereNotValidText_areRefused() {
    try (Limiter l = Limiter.builder().home(home).build()) {
      assertThatThrownBy(() -> l.tryAcquire("caf\uFFFD", "x"))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageStartingWith("provider must be valid UTF-8 text (was \"caf\\ufffd\"");
      assertThatThrownBy(() -> l.tryAcquire("openai", "\uFFFD"))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageStartingWith("label must be valid UTF-8 text");
    }
  }
}
