package dev.inflight.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.inflight.client.LeaseInfo;
import dev.inflight.client.ProviderStatus;
import dev.inflight.client.StatusSnapshot;
import dev.inflight.client.WaiterInfo;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.OptionalInt;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** While the demo's agents start, the table says so instead of showing bare zeros. */
class DemoStartTest {
  private static final Instant AT = Instant.parse("2026-11-22T10:00:00Z");
  private static final ProviderStatus OPENAI =
      new ProviderStatus("openai", OptionalInt.of(1), Duration.ZERO, false, 1, 0, 1, Duration.ZERO);

  @Test
  void beforeAnyAgentAsked_theTableSaysTheyAreStarting() {
    DemoStart start = new DemoStart(Set.of(41L, 42L, 43L));

    boolean done = start.update(new StatusSnapshot(AT, List.of(OPENAI), List.of(), List.of()));
    String table =
        TerminalTable.render(
            new StatusSnapshot(AT, List.of(OPENAI), List.of(), List.of()), "title", start.note());

    assertThat(done).isFalse();
    assertThat(table)
        .startsWith(
            "title\nstarting 3 agents (a JVM each, a few seconds): 0 of 3 asked for a lease so"
                + " far\n\n");
  }

  @Test
  void agentsSeenHoldingOrWaiting_count_andOtherProcessesDoNot() {
    DemoStart start = new DemoStart(Set.of(41L, 42L, 43L));

    start.update(snapshot(41, 99)); // 41 holds; 99 is someone else
    boolean done = start.update(snapshot(98, 43)); // 43 waits

    assertThat(done).isFalse();
    assertThat(start.note()).endsWith(": 2 of 3 asked for a lease so far");
  }

  @Test
  void onceEveryAgentWasSeen_theNoteGoes_evenWhenTheyAreThinkingNow() {
    DemoStart start = new DemoStart(Set.of(41L, 42L));
    start.update(snapshot(41, 42));

    boolean done = start.update(new StatusSnapshot(AT, List.of(OPENAI), List.of(), List.of()));

    assertThat(done).isTrue();
    assertThat(start.note()).isEmpty();
    assertThat(TerminalTable.render(snapshot(41, 42), "title", start.note()))
        .startsWith("title\n\n");
  }

  /** {@code holder} holds openai's slot and {@code waiter} waits for it. */
  private static StatusSnapshot snapshot(long holder, long waiter) {
    return new StatusSnapshot(
        AT,
        List.of(OPENAI),
        List.of(new LeaseInfo(7, "openai", holder, "h", "java", "planner", AT, Duration.ZERO)),
        List.of(new WaiterInfo("openai", 1, waiter, "h", "java", "coder", AT, Duration.ZERO)));
  }
}
