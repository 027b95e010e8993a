package dev.inflight.client;

import static org.assertj.core.api.Assertions.assertThat;

import dev.inflight.testing.MutableClock;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The provider's own word: rate-limit headers shared with every process, as a budget until reset.
 */
class ObserveTest {
  @TempDir Path home;
  final MutableClock clock = new MutableClock(Instant.parse("2026-12-01T12:00:00Z"));
  Limiter limiter;

  @BeforeEach
  void open() {
    limiter =
        Limiter.builder()
            .home(home)
            .clock(clock)
            .ticker(clock)
            .staleAfter(Duration.ofHours(1))
            .build();
  }

  @AfterEach
  void close() {
    limiter.close();
  }

  @Test
  void openAisRemainingRequests_gateGrantsAtTheModelLevel_untilTheReset() {
    Observation o =
        limiter.observe(
            "openai",
            "gpt-4o",
            Map.of(
                "X-RateLimit-Remaining-Requests", List.of("2"),
                "x-ratelimit-reset-requests", "6m0.5s",
                "x-ratelimit-remaining-tokens", "90000",
                "x-ratelimit-reset-tokens", "20ms"));
    assertThat(o.requestsRemaining()).isEqualTo(2);
    assertThat(o.requestsResetAt()).contains(clock.instant().plusMillis(360_500));
    assertThat(o.tokensRemaining()).isEqualTo(90_000);
    limiter.tryAcquire(LeaseRequest.of("openai/gpt-4o")).orElseThrow().close();
    limiter.tryAcquire(LeaseRequest.of("openai/gpt-4o")).orElseThrow().close();
    assertThat(limiter.tryAcquire(LeaseRequest.of("openai/gpt-4o"))).isEmpty();
    assertThat(limiter.tryAcquire(LeaseRequest.of("openai/gpt-4o-mini"))).isPresent();
    clock.advance(Duration.ofMillis(360_500));
    assertThat(limiter.tryAcquire(LeaseRequest.of("openai/gpt-4o"))).isPresent();
  }

  @Test
  void anthropicsTightestTokenLimit_standsForTheTokenBudget() {
    Observation o =
        limiter.observe(
            "anthropic",
            "",
            Map.of(
                "anthropic-ratelimit-requests-remaining", "49",
                "anthropic-ratelimit-requests-reset", "2026-12-01T12:00:30Z",
                "anthropic-ratelimit-input-tokens-remaining", "500",
                "anthropic-ratelimit-input-tokens-reset", "2026-12-01T12:00:10Z",
                "anthropic-ratelimit-output-tokens-remaining", "8000",
                "anthropic-ratelimit-output-tokens-reset", "2026-12-01T12:00:40Z"));
    assertThat(o.requestsRemaining()).isEqualTo(49);
    assertThat(o.requestsResetAt()).contains(Instant.parse("2026-12-01T12:00:30Z"));
    assertThat(o.tokensRemaining()).isEqualTo(500);
    assertThat(o.tokensResetAt()).contains(Instant.parse("2026-12-01T12:00:10Z"));
    assertThat(limiter.tryAcquire(LeaseRequest.of("anthropic").tokens(600))).isEmpty();
    assertThat(limiter.tryAcquire(LeaseRequest.of("anthropic").tokens(400))).isPresent();
  }

  @Test
  void retryAfter_pausesTheProviderForEveryone() {
    Observation o = limiter.observe("openai", "", Map.of("retry-after", "7"));
    assertThat(o.pausedUntil()).contains(clock.instant().plusSeconds(7));
    assertThat(limiter.tryAcquire("openai")).isEmpty();
  }

  @Test
  void unknownOrMalformedHeaders_areIgnored_neverThrown() {
    Observation o =
        limiter.observe(
            "openai",
            "",
            Map.of(
                "x-ratelimit-remaining-requests", "lots",
                "x-ratelimit-remaining-tokens", "-3",
                "anthropic-ratelimit-requests-remaining", "12",
                "anthropic-ratelimit-requests-reset", "tomorrow",
                "retry-after", "soon",
                "content-type", "application/json"));
    assertThat(o.tokensRemaining()).isEqualTo(-1);
    assertThat(o.pausedUntil()).isEmpty();
    assertThat(o.requestsRemaining()).isEqualTo(12); // its reset is unreadable: in force for 0 ms
    assertThat(limiter.tryAcquire("openai")).isPresent();
    assertThat(limiter.observe("openai", "", Map.of()).understood()).isFalse();
  }
}
