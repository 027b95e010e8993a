package dev.inflight.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.inflight.store.Rows.AcquireOutcome;
import dev.inflight.store.Rows.ProviderState;
import dev.inflight.store.Rows.TokenState;
import dev.inflight.store.Rows.WaitCheck;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The limit model of schema V4 through the engine seam: pools per provider and model, weights, the
 * queue's order with its one refinement, priority classes that age, and per-minute budgets. Every
 * engine runs it unchanged.
 */
public abstract class LimitModelConformance extends ConformanceBase {

  /** A request's token when granted at once, else "queued:" + token. */
  protected String ask(String provider, String model, int weight, long tokens, Priority priority) {
    String token = UUID.randomUUID().toString();
    AcquireOutcome o =
        engine.acquire(
            new AcquireRequest(
                owner, 1, provider, "", token, AcquireMode.QUEUE, model, weight, tokens, priority));
    return o.kind() == AcquireOutcome.Kind.GRANTED ? token : "queued:" + token;
  }

  protected String ask(String provider, String model) {
    return ask(provider, model, 1, -1, Priority.NORMAL);
  }

  protected boolean granted(String token) {
    return stateOf(token).kind() == TokenState.Kind.GRANTED;
  }

  protected void modelLimit(String provider, String model, int max, int rpm, long tpm) {
    engine.setModelLimit(new ModelLimitChange(provider, model, max, rpm, tpm, 0));
  }

  protected void providerLimit(String provider, int max, int rpm, long tpm) {
    engine.setLimit(
        new LimitChange(provider, max, 0, false, rpm, tpm, 0, Rows.LimitRow.DEFAULT_AGING_MS));
  }

  protected void done(String token) {
    release(token, Ending.SUCCEEDED, 0);
  }

  // ---------------------------------------------------------------- pools

  @Test
  void aModelAtItsOwnLimit_waits_whileAnotherModelOfTheProviderIsServed() {
    providerLimit("openai", 3, 0, 0);
    modelLimit("openai", "gpt-4o", 1, 0, 0);
    String big = ask("openai", "gpt-4o");
    String bigWaits = queued(ask("openai", "gpt-4o"));
    String mini1 = ask("openai", "gpt-4o-mini");
    String mini2 = ask("openai", "gpt-4o-mini");
    String miniWaits = queued(ask("openai", "gpt-4o-mini")); // the provider's 3 are taken
    assertThat(List.of(big, mini1, mini2)).allSatisfy(t -> assertThat(t).doesNotStartWith("q"));
    ProviderState st = state("openai");
    assertThat(st.active()).isEqualTo(3);
    assertThat(st.model("gpt-4o").orElseThrow().inFlight()).isEqualTo(1);

    done(big); // frees a unit of both levels: the earlier gpt-4o request is served first
    assertThat(granted(bigWaits)).isTrue();
    assertThat(granted(miniWaits)).isFalse();
    done(mini1);
    assertThat(granted(miniWaits)).isTrue();
  }

  @Test
  void aModelWithoutALimitOfItsOwn_countsAgainstItsProvider() {
    providerLimit("openai", 2, 0, 0);
    modelLimit("openai", "gpt-4o", 1, 0, 0);
    ask("openai", "o3");
    ask("openai", "");
    assertThat(ask("openai", "o3")).startsWith("queued:");
    assertThat(state("openai").active()).isEqualTo(2);
  }

  @Test
  void aModelLimit_withNoProviderLimit_holdsAlone() {
    modelLimit("local", "llama", 1, 0, 0);
    ask("local", "llama");
    assertThat(ask("local", "llama")).startsWith("queued:");
    for (int i = 0; i < 5; i++) {
      assertThat(ask("local", "other")).doesNotStartWith("queued:"); // unlimited
    }
  }

  @Test
  void raisingAModelLimit_grantsItsWaitingRequests_atOnce() {
    modelLimit("openai", "gpt-4o", 1, 0, 0);
    ask("openai", "gpt-4o");
    String waits = queued(ask("openai", "gpt-4o"));
    modelLimit("openai", "gpt-4o", 2, 0, 0);
    assertThat(granted(waits)).isTrue();
  }

  // ---------------------------------------------------------------- weights

  @Test
  void aHeavyRequest_takesItsWeightAtEveryLevel_andIsNotStarvedByLightOnes() {
    providerLimit("openai", 4, 0, 0);
    modelLimit("openai", "gpt-4o", 4, 0, 0);
    String three = ask("openai", "gpt-4o", 3, -1, Priority.NORMAL);
    assertThat(state("openai").active()).isEqualTo(3);
    assertThat(state("openai").model("gpt-4o").orElseThrow().inFlight()).isEqualTo(3);
    String two = queued(ask("openai", "gpt-4o", 2, -1, Priority.NORMAL));
    // One unit is free, but the heavier request ahead waits for it: a light one must not take it.
    String light = queued(ask("openai", "gpt-4o-mini", 1, -1, Priority.NORMAL));
    done(three);
    assertThat(granted(two)).isTrue();
    assertThat(granted(light)).isTrue();
    assertThat(state("openai").active()).isEqualTo(3);
  }

  @Test
  void aWeightAboveALevelsLimit_isRefused_namingTheRuleAndTheValue() {
    providerLimit("openai", 4, 0, 0);
    modelLimit("openai", "gpt-4o", 2, 0, 0);
    assertThatThrownBy(() -> ask("openai", "gpt-4o", 3, -1, Priority.NORMAL))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("weight must be at most the in-flight limit of openai/gpt-4o (2)")
        .hasMessageContaining("(was 3)");
    assertThatThrownBy(() -> ask("openai", "", 5, -1, Priority.NORMAL))
        .hasMessageContaining("in-flight limit of openai (4)");
    assertThat(engine.snapshot().leases()).isEmpty();
    assertThat(engine.snapshot().waiters()).isEmpty();
  }

  @Test
  void aLimitLoweredBelowAWaitingWeight_doesNotWedgeTheQueue() {
    providerLimit("openai", 4, 0, 0);
    String held = ask("openai", "", 1, -1, Priority.NORMAL);
    String heavy = queued(ask("openai", "", 4, -1, Priority.NORMAL));
    providerLimit("openai", 2, 0, 0);
    done(held);
    assertThat(granted(heavy)).isTrue(); // it takes the whole (lowered) level
  }

  // ---------------------------------------------------------------- priorities

  @Test
  void higherClasses_areServedFirst_thenArrivalOrder() {
    providerLimit("openai", 1, 0, 0);
    String held = ask("openai", "");
    String batch = queued(ask("openai", "", 1, -1, Priority.BATCH));
    String normal = queued(ask("openai", "", 1, -1, Priority.NORMAL));
    String interactive = queued(ask("openai", "", 1, -1, Priority.INTERACTIVE));
    String interactive2 = queued(ask("openai", "", 1, -1, Priority.INTERACTIVE));
    assertThat(stateOf(interactive).position()).isEqualTo(1);
    assertThat(stateOf(batch).position()).isEqualTo(4);
    done(held);
    assertThat(granted(interactive)).isTrue();
    done(interactive);
    assertThat(granted(interactive2)).isTrue();
    done(interactive2);
    assertThat(granted(normal)).isTrue();
    done(normal);
    assertThat(granted(batch)).isTrue();
  }

  @Test
  void aBatchRequest_risesAClassPerAgingInterval_andIsServedBeforeLaterInteractiveOnes() {
    engine.setLimit(new LimitChange("openai", 1, 0, false, 0, 0, 0, 10_000));
    String held = ask("openai", "");
    String batch = queued(ask("openai", "", 1, -1, Priority.BATCH));
    advance(10_000);
    String normal = queued(ask("openai", "", 1, -1, Priority.NORMAL)); // batch is normal now
    assertThat(stateOf(batch).position()).isEqualTo(1);
    advance(10_000);
    String interactive = queued(ask("openai", "", 1, -1, Priority.INTERACTIVE));
    done(held);
    assertThat(granted(batch)).isTrue(); // aged to interactive, and it came first
    done(batch);
    assertThat(granted(normal)).isTrue(); // it has waited an interval too: interactive, and earlier
    done(normal);
    assertThat(granted(interactive)).isTrue();
  }

  @Test
  void aWaitingCheck_wakesAtTheNextAging_whenARequestCanRise() {
    engine.setLimit(new LimitChange("openai", 1, 0, false, 0, 0, 0, 10_000));
    ask("openai", "");
    String batch = queued(ask("openai", "", 1, -1, Priority.BATCH));
    queued(ask("openai", "", 1, -1, Priority.NORMAL));
    long now = clock.millis();
    WaitCheck wc = engine.check(owner, List.of(batch));
    assertThat(wc.nextChangeAtMs()).isEqualTo(now + 10_000);
  }

  // ---------------------------------------------------------------- budgets

  @Test
  void aRequestsPerMinuteBudget_startsNoMoreInAnyWindow_andTheWaiterSleepsUntilItFrees() {
    providerLimit("openai", 0, 2, 0); // no in-flight cap: the budget alone holds
    long t0 = clock.millis();
    done(ask("openai", ""));
    advance(5_000);
    done(ask("openai", ""));
    advance(1_000);
    String third = queued(ask("openai", ""));
    ProviderState st = state("openai");
    assertThat(st.budget().requests()).isEqualTo(2);
    assertThat(st.limit()).isEmpty();
    WaitCheck wc = engine.check(owner, List.of(third));
    assertThat(wc.settleNeeded()).isFalse();
    assertThat(wc.nextChangeAtMs()).isEqualTo(t0 + 60_000); // the first start leaves the window
    advance(t0 + 60_000 - 1 - clock.millis());
    engine.settle(List.of("openai"));
    assertThat(granted(third)).isFalse();
    advance(1);
    assertThat(engine.check(owner, List.of(third)).settleNeeded()).isTrue();
    engine.settle(List.of("openai"));
    assertThat(granted(third)).isTrue();
  }

  @Test
  void aTokenBudget_reservesAtGrant_andTheReleasesRealCount_freesTheRest() {
    providerLimit("openai", 0, 0, 1000);
    String first = ask("openai", "", 1, 600, Priority.NORMAL);
    String second = queued(ask("openai", "", 1, 600, Priority.NORMAL));
    assertThat(state("openai").budget().tokens()).isEqualTo(600);
    engine.release(new ReleaseRequest(first, Ending.SUCCEEDED, 0, 150));
    assertThat(granted(second)).isTrue();
    assertThat(state("openai").budget().tokens()).isEqualTo(750);
  }

  @Test
  void aTokenBudgetWaiter_sleepsUntilTheWindowHasFreedExactlyWhatItNeeds() {
    providerLimit("openai", 0, 0, 1000);
    long t0 = clock.millis();
    done(ask("openai", "", 1, 300, Priority.NORMAL));
    advance(1_000);
    done(ask("openai", "", 1, 300, Priority.NORMAL));
    advance(1_000);
    done(ask("openai", "", 1, 300, Priority.NORMAL));
    String big = queued(ask("openai", "", 1, 650, Priority.NORMAL)); // needs 550 freed: two rows
    assertThat(engine.check(owner, List.of(big)).nextChangeAtMs()).isEqualTo(t0 + 1_000 + 60_000);
  }

  @Test
  void aModelsBudget_holdsItsModel_only() {
    modelLimit("openai", "gpt-4o", 0, 1, 0);
    ask("openai", "gpt-4o");
    assertThat(ask("openai", "gpt-4o")).startsWith("queued:");
    assertThat(ask("openai", "gpt-4o-mini")).doesNotStartWith("queued:");
    assertThat(state("openai").model("gpt-4o").orElseThrow().budget().requests()).isEqualTo(1);
  }

  @Test
  void tokensAboveALevelsBudget_areRefused_andARequestWithoutACount_takesTheDefault() {
    engine.setLimit(new LimitChange("openai", 4, 0, false, 0, 1000, 200, 30_000));
    assertThatThrownBy(() -> ask("openai", "", 1, 1001, Priority.NORMAL))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(
            "tokens must be at most the tokens_per_minute budget of openai (1000)")
        .hasMessageContaining("(was 1001)");
    ask("openai", "");
    assertThat(state("openai").budget().tokens()).isEqualTo(200);
    assertThat(engine.snapshot().leases().get(0).tokens()).isEqualTo(200);
  }

  @Test
  void handEditsOfTheNewTables_applyToWaitingRequests() {
    assertThat(
            handEdit(
                "INSERT INTO model_limits (provider, model, max_in_flight)"
                    + " VALUES ('openai', 'gpt-4o', 1)"))
        .isNull();
    ask("openai", "gpt-4o");
    String waits = queued(ask("openai", "gpt-4o"));
    assertThat(handEdit("UPDATE model_limits SET max_in_flight = 2")).isNull();
    engine.settle(List.of("openai"));
    assertThat(granted(waits)).isTrue();
    assertThat(
            handEdit("INSERT INTO model_limits (provider, model) VALUES ('openai', 'openai/o3')"))
        .contains("own name");
  }
}
