package dev.inflight.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProcessNameTest {
  @TempDir Path home;

  @Test
  void processName_isWhatOtherProcessesSeeForItsLeases() {
    try (Limiter named = Limiter.builder().home(home).processName("python agent.py").build();
        Lease lease = named.acquire("openai", "planner", Duration.ofSeconds(10));
        Limiter other = Limiter.builder().home(home).build()) {
      assertThat(other.status().leases())
          .singleElement()
          .satisfies(
              l -> {
                assertThat(l.id()).isEqualTo(lease.id());
                assertThat(l.processName()).isEqualTo("python agent.py");
              });
    }
  }

  @Test
  void processName_withControlCharactersOrBlankOrTooLong_isRefusedWithTheRule() {
    String rule = "processName must be 1 to 200 characters of text without control characters";

    assertThatThrownBy(() -> Limiter.builder().processName("evil\u001b[2J"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(rule + " (was \"evil\\u001b[2J\")");
    assertThatThrownBy(() -> Limiter.builder().processName(" ")).hasMessage(rule + " (was \" \")");
    assertThatThrownBy(() -> Limiter.builder().processName("x".repeat(201)))
        .hasMessageStartingWith(rule);
    assertThatThrownBy(() -> Limiter.builder().processName(null)).hasMessage(rule + " (was null)");
  }
}
