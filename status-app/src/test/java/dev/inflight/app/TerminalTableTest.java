package dev.inflight.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.inflight.client.LeaseInfo;
import dev.inflight.client.ProviderStatus;
import dev.inflight.client.StatusSnapshot;
import dev.inflight.client.WaiterInfo;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

/** The demo's table and log line speak {@code inflight status}'s words. */
class TerminalTableTest {
  private static final Instant AT = Instant.parse("2026-11-22T10:00:00Z");

  @Test
  void aLoweredLimitAndA429Pause_readAsInStatus_inTheTableAndTheLine() {
    StatusSnapshot s =
        new StatusSnapshot(
            AT,
            List.of(
                new ProviderStatus(
                    "openai",
                    OptionalInt.of(2),
                    Duration.ZERO,
                    false,
                    0,
                    0,
                    1,
                    Duration.ofMillis(1500),
                    true,
                    OptionalInt.of(1),
                    Optional.of(AT.plusSeconds(25)),
                    "429 from the provider",
                    OptionalInt.empty())),
            List.of(),
            List.of());
    String until =
        DateTimeFormatter.ofPattern("HH:mm:ss")
            .format(AT.plusSeconds(25).atZone(ZoneId.systemDefault()));

    assertThat(TerminalTable.render(s, "title"))
        .contains("PROVIDER   LIMIT  ACTIVE  COOLING  QUEUED  PAUSED")
        .contains(
            "openai    1 of 2       0        0       1  until "
                + until
                + " (25s left, 429 from the provider)");
    assertThat(TerminalTable.line(s))
        .isEqualTo(
            "openai limit 1 of 2, active 0, cooling 0, queued 1, paused until "
                + until
                + " (25s left, 429 from the provider)");
  }

  @Test
  void holdersAndTheQueue_areListedPerProvider() {
    StatusSnapshot s =
        new StatusSnapshot(
            AT,
            List.of(
                new ProviderStatus(
                    "openai",
                    OptionalInt.of(2),
                    Duration.ZERO,
                    false,
                    2,
                    0,
                    1,
                    Duration.ofMillis(1500))),
            List.of(
                new LeaseInfo(7, "openai", 41, "h", "java", "planner", AT, Duration.ofSeconds(3))),
            List.of(
                new WaiterInfo(
                    "openai", 1, 42, "h", "java", "subagent-3", AT, Duration.ofMillis(1500))));

    String table = TerminalTable.render(s, "title");

    assertThat(table)
        .contains("openai        2       2        0       1  no")
        .contains("holding: #7 planner(41) 3s")
        .contains("waiting: 1.subagent-3(42) 1.5s");
    assertThat(TerminalTable.line(s))
        .isEqualTo("openai limit 2, active 2, cooling 0, queued 1, paused no");
  }
}
