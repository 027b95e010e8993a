package dev.inflight.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.inflight.client.ModelStatus;
import dev.inflight.client.Priority;
import dev.inflight.client.ProviderStatus;
import dev.inflight.client.StatusSnapshot;
import dev.inflight.client.Window;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

/**
 * The words of the limit model in text: classes, budgets, models; hand-made snapshots, no clock.
 */
class StatusTextTest {
  private static final Instant AT = Instant.parse("2026-11-22T10:00:00Z");

  private static ProviderStatus openai(Window window, List<ModelStatus> models) {
    return new ProviderStatus(
        "openai",
        OptionalInt.of(4),
        Duration.ZERO,
        false,
        4,
        0,
        3,
        Duration.ofSeconds(2),
        false,
        OptionalInt.empty(),
        Optional.empty(),
        "",
        OptionalInt.empty(),
        window,
        models,
        Map.of(Priority.INTERACTIVE, 1, Priority.BATCH, 2));
  }

  @Test
  void counts_truncateTenths_soThatABudgetNeverReadsFullBeforeItIs() {
    assertThat(StatusText.count(850)).isEqualTo("850");
    assertThat(StatusText.count(1_000)).isEqualTo("1k");
    assertThat(StatusText.count(28_560)).isEqualTo("28.5k");
    assertThat(StatusText.count(29_999)).isEqualTo("29.9k");
    assertThat(StatusText.count(30_000)).isEqualTo("30k");
    assertThat(StatusText.count(412_345)).isEqualTo("412k");
    assertThat(StatusText.count(1_250_000)).isEqualTo("1.2M");
  }

  @Test
  void budget_showsEachBudgetsUse_andWhenTheWindowNextFrees() {
    Window w = new Window(500, 412, 30_000, 28_000, Optional.of(AT.plusMillis(11_200)));
    assertThat(StatusText.budget(w, AT)).isEqualTo("412/500 rpm, 28k/30k tpm, frees in 12s");
    assertThat(StatusText.budget(new Window(30, 0, 0, 0, Optional.empty()), AT))
        .isEqualTo("0/30 rpm");
    assertThat(StatusText.budget(Window.NONE, AT)).isEmpty();
  }

  @Test
  void providersTable_showsClassesAndBudgets_withModelsIndentedBeneath() {
    Window w = new Window(500, 412, 30_000, 28_000, Optional.of(AT.plusSeconds(12)));
    ModelStatus gpt =
        new ModelStatus(
            "gpt-4o", 2, 2, 1, new Window(30, 3, 0, 0, Optional.of(AT.plusSeconds(40))));
    StatusSnapshot s =
        new StatusSnapshot(AT, List.of(openai(w, List.of(gpt))), List.of(), List.of());

    assertThat(StatusText.providers(s))
        .isEqualTo(
            "PROVIDER  LIMIT  ACTIVE  COOLING  QUEUED                      BUDGET                "
                + "                  PAUSED\n"
                + "openai        4       4        0  3 (1 interactive, 2 batch)  412/500 rpm, 28k/30k"
                + " tpm, frees in 12s  no\n"
                + "  gpt-4o      2       2           1                           3/30 rpm, frees in"
                + " 40s\n");
    // The line says when, not how long: piped, a line is printed per change, not per second.
    assertThat(StatusText.line(s))
        .isEqualTo(
            "openai limit 4, active 4, cooling 0, queued 3 (1 interactive, 2 batch), paused no,"
                + " 412/500 rpm, 28k/30k tpm, frees at "
                + When.local(AT.plusSeconds(12), AT)
                + "; openai/gpt-4o limit 2, active 2, queued 1, 3/30 rpm, frees at "
                + When.local(AT.plusSeconds(40), AT));
    assertThat(StatusText.providerRows(s)).containsExactly(s.providers().get(0), gpt);
  }
}
