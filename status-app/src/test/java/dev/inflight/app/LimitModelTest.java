package dev.inflight.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.inflight.client.LeaseInfo;
import dev.inflight.client.LimitSpec;
import dev.inflight.client.ModelLimitSpec;
import dev.inflight.client.ModelStatus;
import dev.inflight.client.Priority;
import dev.inflight.client.ProviderStatus;
import dev.inflight.client.StatusSnapshot;
import dev.inflight.client.WaiterInfo;
import dev.inflight.client.Window;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The limit model as the window shows and edits it, without a database or a toolkit: models beneath
 * their provider, budget gauges, queue classes, and edits that keep what they do not change.
 */
class LimitModelTest {
  private static final Instant T0 = Instant.parse("2026-12-01T12:00:00Z");

  private static Window rpm(int budget, int used, Instant changesAt) {
    return new Window(budget, used, 0, 0, Optional.ofNullable(changesAt));
  }

  private static ProviderStatus provider(
      String p,
      int limit,
      int active,
      Window w,
      List<ModelStatus> models,
      int interactive,
      int batch) {
    Map<Priority, Integer> byClass = new java.util.EnumMap<>(Priority.class);
    if (interactive > 0) {
      byClass.put(Priority.INTERACTIVE, interactive);
    }
    if (batch > 0) {
      byClass.put(Priority.BATCH, batch);
    }
    return new ProviderStatus(
        p,
        OptionalInt.of(limit),
        Duration.ZERO,
        false,
        active,
        0,
        interactive + batch,
        Duration.ZERO,
        false,
        OptionalInt.empty(),
        Optional.empty(),
        "",
        OptionalInt.empty(),
        w,
        models,
        byClass);
  }

  private static LeaseInfo lease(long id, String p, String model, int weight, long tokens) {
    return new LeaseInfo(
        id, p, 42, "host", "agent", "coder", T0, Duration.ZERO, model, weight, tokens);
  }

  private static WaiterInfo waiter(String p, String model, Priority priority) {
    return new WaiterInfo(
        p, 1, 43, "host", "agent", "planner", T0, Duration.ZERO, model, 1, 0, priority);
  }

  // ---------------------------------------------------------------- gauges

  @Test
  void gauge_showsUseAgainstBudget_inShortUnits_andFullWhenNothingIsLeft() {
    Window w = new Window(500, 412, 30_000, 28_000, Optional.of(T0.plusSeconds(12)));

    assertThat(Gauge.requests(w).text()).isEqualTo("412/500 rpm");
    assertThat(Gauge.tokens(w).text()).isEqualTo("28k/30k tpm");
    assertThat(Gauge.requests(w).fraction()).isEqualTo(412 / 500.0);
    assertThat(Gauge.requests(w).full()).isFalse();
    assertThat(Gauge.requests(rpm(15, 15, T0)).full()).isTrue();
    assertThat(Gauge.frees(w, T0)).isEqualTo("frees in 12s");
    assertThat(Gauge.frees(w, T0.plusMillis(11_200))).isEqualTo("frees in 1s");
  }

  @Test
  void gauge_isHidden_withoutThatBudget_andSaysNothingOfAnEmptyWindow() {
    Window requestsOnly = rpm(20, 0, null);

    assertThat(Gauge.tokens(requestsOnly).shown()).isFalse();
    assertThat(Gauge.requests(Window.NONE).shown()).isFalse();
    assertThat(Gauge.frees(requestsOnly, T0)).isEmpty();
  }

  @Test
  void amount_isShort_andNeverRoundedUpToTheBudget() {
    assertThat(Fmt.amount(412)).isEqualTo("412");
    assertThat(Fmt.amount(1500)).isEqualTo("1.5k");
    assertThat(Fmt.amount(29_999)).isEqualTo("29k");
    assertThat(Fmt.amount(9_999)).isEqualTo("9.9k");
    assertThat(Fmt.amount(30_000)).isEqualTo("30k");
    assertThat(Fmt.amount(2_400_000)).isEqualTo("2.4M");
  }

  @Test
  void windowFreed_onlyOnceItsOldestStartHasLeft_soTheTickReReadsThen() {
    ProviderStatus p = provider("anthropic", 3, 0, rpm(15, 15, T0.plusSeconds(5)), List.of(), 0, 0);

    assertThat(Snapshots.windowFreed(p, T0.toEpochMilli())).isFalse();
    assertThat(Snapshots.windowFreed(p, T0.plusSeconds(5).toEpochMilli())).isTrue();
  }

  @Test
  void visible_changesWhenABudgetsUseOrAQueuesClassChanges() {
    StatusSnapshot a =
        new StatusSnapshot(
            T0,
            List.of(provider("a", 3, 0, rpm(15, 3, T0), List.of(), 1, 0)),
            List.of(),
            List.of());
    StatusSnapshot used =
        new StatusSnapshot(
            T0,
            List.of(provider("a", 3, 0, rpm(15, 4, T0), List.of(), 1, 0)),
            List.of(),
            List.of());
    StatusSnapshot batch =
        new StatusSnapshot(
            T0,
            List.of(provider("a", 3, 0, rpm(15, 3, T0), List.of(), 0, 1)),
            List.of(),
            List.of());

    assertThat(Snapshots.visible(used)).isNotEqualTo(Snapshots.visible(a));
    assertThat(Snapshots.visible(batch)).isNotEqualTo(Snapshots.visible(a));
  }

  // ---------------------------------------------------------------- the tree

  @Test
  void tree_showsLimitedModelsAndModelsInUse_beneathTheirProvider_withUnitsAgainstCaps() {
    Rows rows = new Rows(new Histories()::of, ProviderRow.Saves.READ_ONLY, ZoneOffset.UTC);
    ModelStatus gpt4o = new ModelStatus("gpt-4o", 1, 1, 1, Window.NONE);
    StatusSnapshot s =
        new StatusSnapshot(
            T0,
            List.of(provider("openai", 3, 3, Window.NONE, List.of(gpt4o), 1, 1)),
            List.of(lease(1, "openai", "gpt-4o", 1, 0), lease(2, "openai", "gpt-4o-mini", 2, 1500)),
            List.of(
                waiter("openai", "gpt-4o", Priority.INTERACTIVE),
                waiter("openai", "gpt-4o-mini", Priority.BATCH)));
    Settings settings =
        new Settings(
            List.of(LimitSpec.of("openai", 3)), List.of(ModelLimitSpec.of("openai", "gpt-4o", 1)));

    rows.apply(s, settings, T0);

    ProviderRow openai = rows.row("openai");
    assertThat(openai.inFlightProperty().get()).isEqualTo("3/3");
    assertThat(openai.classesProperty().get()).isEqualTo("queued 2 (1 interactive, 1 batch)");
    assertThat(openai.models())
        .extracting(ModelRow::model)
        .containsExactly("gpt-4o", "gpt-4o-mini");
    assertThat(openai.models().get(0).inFlightProperty().get()).isEqualTo("1/1");
    assertThat(openai.models().get(0).specProperty().get()).isPresent();
    assertThat(openai.models().get(1).inFlightProperty().get()).isEqualTo("2 (no cap)");
    assertThat(openai.models().get(1).status().queued()).isEqualTo(1);
  }

  @Test
  void tree_keepsAModelSeenInUse_atZero_soRowsDoNotComeAndGoWithEachRequest() {
    Rows rows = new Rows(new Histories()::of, ProviderRow.Saves.READ_ONLY, ZoneOffset.UTC);
    rows.apply(
        new StatusSnapshot(
            T0,
            List.of(provider("openai", 3, 1, Window.NONE, List.of(), 0, 0)),
            List.of(lease(1, "openai", "gpt-4o-mini", 1, 0)),
            List.of()),
        Settings.NONE,
        T0);
    ModelRow mini = rows.row("openai").models().get(0);

    rows.apply(
        new StatusSnapshot(
            T0.plusSeconds(1),
            List.of(provider("openai", 3, 0, Window.NONE, List.of(), 0, 0)),
            List.of(),
            List.of()),
        Settings.NONE,
        T0.plusSeconds(1));

    assertThat(rows.row("openai").models()).containsExactly(mini);
    assertThat(mini.inFlightProperty().get()).isEqualTo("0 (no cap)");
  }

  @Test
  void tree_budgetOfAModel_isShownOnItsRow_andItsFreesInTicksBetweenReads() {
    Rows rows = new Rows(new Histories()::of, ProviderRow.Saves.READ_ONLY, ZoneOffset.UTC);
    ModelStatus mini = new ModelStatus("gpt-4o-mini", 0, 0, 0, rpm(20, 20, T0.plusSeconds(30)));
    rows.apply(
        new StatusSnapshot(
            T0,
            List.of(
                provider("openai", 3, 0, rpm(100, 20, T0.plusSeconds(30)), List.of(mini), 0, 0)),
            List.of(),
            List.of()),
        Settings.NONE,
        T0);
    ModelRow row = rows.row("openai").models().get(0);
    assertThat(row.requestsProperty().get().text()).isEqualTo("20/20 rpm");
    assertThat(row.requestsProperty().get().full()).isTrue();
    assertThat(rows.row("openai").requestsProperty().get().text()).isEqualTo("20/100 rpm");
    assertThat(row.freesProperty().get()).isEqualTo("frees in 30s");

    rows.tick(T0.plusSeconds(20));

    assertThat(row.freesProperty().get()).isEqualTo("frees in 10s");
    assertThat(rows.row("openai").freesProperty().get()).isEqualTo("frees in 10s");
  }

  @Test
  void size_showsWeightWhenNotOne_andReservedTokens() {
    assertThat(TablesPane.size(1, 0)).isEmpty();
    assertThat(TablesPane.size(2, 0)).isEqualTo("×2");
    assertThat(TablesPane.size(1, 1500)).isEqualTo("1.5k tok");
    assertThat(TablesPane.size(2, 1500)).isEqualTo("×2 · 1.5k tok");
  }

  // ---------------------------------------------------------------- edits

  private final List<LimitSpec> written = new ArrayList<>();
  private final List<ModelLimitSpec> writtenModels = new ArrayList<>();
  private final AtomicReference<Settings> settings =
      new AtomicReference<>(
          new Settings(
              List.of(
                  LimitSpec.of("anthropic", 3)
                      .withCooldown(Duration.ofMillis(400))
                      .withBudgets(15, 30_000, 500)),
              List.of(new ModelLimitSpec("openai", "gpt-4o", 1, 60, 0, 0))));
  private final LimitEdits edits =
      new LimitEdits(p -> null, settings::get, written::add, writtenModels::add);

  @Test
  void setLimit_keepsTheBudgetsCooldownAndDefaultTokens() {
    assertThat(edits.setLimit("anthropic", "5")).isEmpty();

    assertThat(written)
        .containsExactly(
            LimitSpec.of("anthropic", 5)
                .withCooldown(Duration.ofMillis(400))
                .withBudgets(15, 30_000, 500));
  }

  @Test
  void setRequestsPerMinute_acceptsShortUnits_andKeepsTheRest() {
    assertThat(edits.setTokensPerMinute("anthropic", "1.5k")).isEmpty();
    assertThat(edits.setRequestsPerMinute("openai", "20")).isEmpty();

    assertThat(written.get(0).tokensPerMinute()).isEqualTo(1500);
    assertThat(written.get(0).maxInFlight()).isEqualTo(3);
    assertThat(written.get(0).requestsPerMinute()).isEqualTo(15);
    // A provider without a limit gets one: the budget, no in-flight cap.
    assertThat(written.get(1).maxInFlight()).isZero();
    assertThat(written.get(1).requestsPerMinute()).isEqualTo(20);
  }

  @Test
  void setRequestsPerMinute_bad_isRefusedInTheLibrarysWords_andNothingIsWritten() {
    assertThat(edits.setRequestsPerMinute("anthropic", "ten"))
        .contains(
            "requests_per_minute must be an integer from 1 to 1000000, or 0 for none (was \"ten\")");
    assertThat(edits.setRequestsPerMinute("anthropic", "2000000"))
        .contains(
            "requests_per_minute must be an integer from 1 to 1000000, or 0 for none (was 2000000)");
    // The library's own rule: default tokens above the token budget could never be granted.
    assertThat(edits.setTokensPerMinute("anthropic", "100"))
        .hasValueSatisfying(m -> assertThat(m).startsWith("default_tokens must be at most"));
    assertThat(written).isEmpty();
  }

  @Test
  void setModelLimit_keepsItsBudget_andBlankLeavesTheBudgetAlone() {
    assertThat(edits.setModelLimit("openai", "gpt-4o", "2")).isEmpty();
    assertThat(edits.setModelLimit("openai", "gpt-4o", "")).isEmpty();

    assertThat(writtenModels)
        .containsExactly(
            new ModelLimitSpec("openai", "gpt-4o", 2, 60, 0, 0),
            new ModelLimitSpec("openai", "gpt-4o", 0, 60, 0, 0));
  }

  @Test
  void addModel_withTheProviderInItsName_isRefusedInTheLibrarysWords_andNothingIsWritten() {
    assertThat(edits.addModel("openai", "openai/gpt-4o", "1", ""))
        .contains(
            "model must be the model's own name under its provider (was \"openai/gpt-4o\" under"
                + " \"openai\"; give \"gpt-4o\")");
    assertThat(edits.addModel("openai", "gpt-4o-mini", "", ""))
        .contains("give 'openai/gpt-4o-mini' a limit, an rpm budget or both (both were blank)");
    assertThat(edits.addModel("openai", "gpt-4o-mini", "0", ""))
        .contains("limit must be an integer from 1 to 10000 (was 0)");
    assertThat(writtenModels).isEmpty();

    assertThat(edits.addModel("openai", "gpt-4o-mini", "2", "30")).isEmpty();
    assertThat(writtenModels)
        .containsExactly(new ModelLimitSpec("openai", "gpt-4o-mini", 2, 30, 0, 0));
  }
}
