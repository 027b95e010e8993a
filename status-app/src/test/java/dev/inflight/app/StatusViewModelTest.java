package dev.inflight.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.inflight.client.Lease;
import dev.inflight.client.LimitSpec;
import dev.inflight.client.Limiter;
import dev.inflight.client.ProviderStatus;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.testfx.util.WaitForAsyncUtils;

/** The view-model against a real database, with no JavaFX toolkit running. */
class StatusViewModelTest {
  @TempDir Path home;
  private Limiter other;
  private StatusViewModel vm;

  @BeforeEach
  void setUp() {
    other = Limiter.builder().home(home).build();
    other.limits().set(LimitSpec.of("openai", 1).withCooldown(Duration.ofMillis(250)));
  }

  @AfterEach
  void tearDown() {
    if (vm != null) {
      vm.close();
    }
    other.close();
  }

  private StatusViewModel start(Path root) throws Exception {
    vm =
        new StatusViewModel(
                () -> Limiter.builder().home(root).build(),
                Executors.newSingleThreadScheduledExecutor(),
                Runnable::run,
                InstantSource.system())
            .retryEvery(Duration.ofMillis(20));
    vm.start();
    return vm;
  }

  private static void await(BooleanSupplier condition) throws Exception {
    WaitForAsyncUtils.waitFor(20, TimeUnit.SECONDS, condition::getAsBoolean);
  }

  private ProviderStatus shown(String provider) {
    return vm.providers().stream()
        .filter(r -> r.provider().equals(provider))
        .findFirst()
        .map(ProviderRow::status)
        .orElse(null);
  }

  @Test
  void snapshot_showsProvidersLeasesAndWaitersOfOtherProcesses() throws Exception {
    Lease held = other.tryAcquire("openai", "planner").orElseThrow();
    CompletableFuture<Lease> waiting = other.acquireAsync("openai", "subagent-3");
    start(home);

    // The summary is set last when a snapshot is applied.
    await(() -> vm.summaryProperty().get().equals("1 active · 1 queued · 1 provider"));
    assertThat(shown("openai").queued()).isEqualTo(1);
    assertThat(shown("openai").limit()).hasValue(1);
    assertThat(shown("openai").active()).isEqualTo(1);
    assertThat(vm.leases())
        .singleElement()
        .satisfies(
            r -> {
              assertThat(r.info().label()).isEqualTo("planner");
              assertThat(r.info().pid()).isEqualTo(ProcessHandle.current().pid());
            });
    assertThat(vm.waiters())
        .singleElement()
        .satisfies(
            w -> {
              assertThat(w.info().label()).isEqualTo("subagent-3");
              assertThat(w.info().position()).isEqualTo(1);
            });
    assertThat(vm.summaryProperty().get()).isEqualTo("1 active · 1 queued · 1 provider");
    assertThat(vm.anyQueuedProperty().get()).isTrue();
    waiting.cancel(true);
    held.close();
  }

  @Test
  void change_byAnotherLimiter_isShownWithoutAskingForIt() throws Exception {
    start(home);
    await(() -> shown("openai") != null);

    other.limits().set(LimitSpec.of("anthropic", 3));

    await(() -> shown("anthropic") != null);
    assertThat(shown("anthropic").limit()).hasValue(3);
  }

  @Test
  void setLimit_toBadValue_returnsLibraryMessageAndWritesNothing() throws Exception {
    start(home);
    await(() -> shown("openai") != null);

    assertThat(vm.setLimit("openai", "2.5"))
        .hasValue("limit must be an integer from 1 to 10000 (was \"2.5\")");
    assertThat(vm.setLimit("openai", "0"))
        .hasValue("limit must be an integer from 1 to 10000 (was 0)");
    assertThat(vm.setLimit("openai", "10001"))
        .hasValue("limit must be an integer from 1 to 10000 (was 10001)");

    vm.refresh().get(20, TimeUnit.SECONDS);
    assertThat(other.limits().get("openai"))
        .hasValue(LimitSpec.of("openai", 1).withCooldown(Duration.ofMillis(250)));
  }

  @Test
  void setLimit_valid_isWrittenKeepingCooldownAndPause() throws Exception {
    other.limits().pause("openai");
    start(home);
    await(() -> shown("openai") != null);

    assertThat(vm.setLimit("openai", " 4 ")).isEmpty();

    vm.refresh().get(20, TimeUnit.SECONDS);
    assertThat(other.limits().get("openai"))
        .hasValue(new LimitSpec("openai", 4, Duration.ofMillis(250), true));
    assertThat(shown("openai").limit()).hasValue(4);
  }

  @Test
  void setCooldown_badValue_returnsLibraryMessage_goodValueIsWritten() throws Exception {
    start(home);
    await(() -> shown("openai") != null);

    assertThat(vm.setCooldown("openai", "2h"))
        .hasValue("cooldown must be whole milliseconds from 0 to 1h (was \"2h\")");
    assertThat(vm.setCooldown("openai", "soon"))
        .hasValue("cooldown must be whole milliseconds from 0 to 1h (was \"soon\")");
    assertThat(vm.setCooldown("openai", "1.5s")).isEmpty();

    vm.refresh().get(20, TimeUnit.SECONDS);
    assertThat(other.limits().get("openai").orElseThrow().cooldown())
        .isEqualTo(Duration.ofMillis(1500));
  }

  @Test
  void addLimit_isWrittenWithItsAdaptiveFlag_andRemoveMakesUnlimited() throws Exception {
    start(home);
    await(() -> shown("openai") != null);

    AddForm form = vm.addForm();
    form.providerProperty().set("groq");
    form.limitProperty().set("5");
    form.cooldownProperty().set("100ms");
    form.adaptiveProperty().set(true);
    assertThat(form.submit()).isTrue();
    await(() -> shown("groq") != null);
    assertThat(other.limits().get("groq"))
        .hasValue(LimitSpec.of("groq", 5).withCooldown(Duration.ofMillis(100)).withAdaptive(true));

    vm.removeLimit("groq");
    await(() -> shown("groq") == null);
    assertThat(other.limits().get("groq")).isEmpty();
  }

  @Test
  void pauseAndResume_areSeenByTheLibrary() throws Exception {
    start(home);
    await(() -> shown("openai") != null);

    vm.pause("openai");
    await(() -> shown("openai").paused());
    assertThat(other.limits().get("openai").orElseThrow().paused()).isTrue();
    assertThat(other.tryAcquire("openai")).isEmpty();

    vm.resume("openai");
    await(() -> !shown("openai").paused());
    assertThat(other.tryAcquire("openai")).isPresent();
  }

  private ProviderRow row(String provider) {
    return vm.providers().stream()
        .filter(r -> r.provider().equals(provider))
        .findFirst()
        .orElse(null);
  }

  @Test
  void pauseAfterA429_showsUntilWhenWhyAndTimeLeft_andResumeLiftsIt() throws Exception {
    start(home);
    await(() -> shown("openai") != null);

    other.report429("openai", Duration.ofMinutes(10));

    // The row's status, its texts and the summary are set one after another: wait for the last.
    await(() -> vm.summaryProperty().get().endsWith("(1 paused)"));
    assertThat(shown("openai").pausedUntil()).isPresent();
    assertThat(row("openai").pauseProperty().get())
        .startsWith("paused until ")
        .contains(" left, 429 reported)");
    assertThat(shown("openai").paused()).as("the flag of a pause by hand").isFalse();

    vm.resume("openai");

    await(() -> !vm.summaryProperty().get().contains("paused"));
    assertThat(shown("openai").pausedUntil()).isEmpty();
    assertThat(row("openai").pauseProperty().get()).isEmpty();
    assertThat(other.tryAcquire("openai")).isPresent();
  }

  @Test
  void adaptiveLimitLoweredByA429_isShownNextToTheConfiguredOne() throws Exception {
    other.limits().set(LimitSpec.of("groq", 4).withAdaptive(true));
    start(home);
    await(() -> shown("groq") != null);
    assertThat(row("groq").inForceProperty().get()).isEqualTo("4");

    other.report429("groq", Duration.ofMinutes(10));

    await(() -> vm.summaryProperty().get().endsWith("(1 paused)"));
    assertThat(shown("groq").effectiveLimit()).hasValue(3);
    assertThat(shown("groq").limit()).hasValue(4);
    assertThat(row("groq").inForceProperty().get()).isEqualTo("3 of 4");
    // The chart's dashed line follows the limit in force.
    await(() -> row("groq").history().samples().stream().anyMatch(x -> x.limit() == 3));
  }

  @Test
  void setAdaptive_isWritten_andEditingLimitOrCooldownKeepsIt() throws Exception {
    start(home);
    await(() -> shown("openai") != null);
    assertThat(vm.setAdaptive("nolimit", true))
        .hasValue("set a limit for 'nolimit' before making it adaptive");

    assertThat(vm.setAdaptive("openai", true)).isEmpty();
    await(() -> shown("openai").adaptive());
    assertThat(vm.setLimit("openai", "3")).isEmpty();
    await(() -> shown("openai").limit().getAsInt() == 3);
    assertThat(vm.setCooldown("openai", "1s")).isEmpty();
    await(() -> shown("openai").cooldown().equals(Duration.ofSeconds(1)));

    assertThat(other.limits().get("openai"))
        .hasValue(LimitSpec.of("openai", 3).withCooldown(Duration.ofSeconds(1)).withAdaptive(true));
    assertThat(vm.setAdaptive("openai", false)).isEmpty();
    await(() -> !shown("openai").adaptive());
  }

  @Test
  void unlimitedProvider_keepsItsRowAtZero_afterItsLastLeaseEnds() throws Exception {
    start(home);
    await(() -> shown("openai") != null);
    Lease lease = other.tryAcquire("bedrock", "planner").orElseThrow();
    await(() -> shown("bedrock") != null && shown("bedrock").active() == 1);
    ProviderRow row = row("bedrock");

    lease.close();

    await(() -> vm.summaryProperty().get().startsWith("0 active"));
    assertThat(shown("bedrock").active()).isZero();
    assertThat(row("bedrock")).isSameAs(row);
    assertThat(vm.providers())
        .extracting(ProviderRow::provider)
        .containsExactly("bedrock", "openai");
  }

  @Test
  void forceRelease_freesAnotherHoldersLease() throws Exception {
    Lease held = other.tryAcquire("openai", "stuck").orElseThrow();
    start(home);
    await(() -> vm.leases().size() == 1);

    vm.forceRelease(held.id());

    await(() -> vm.leases().isEmpty());
    assertThat(other.status().leases()).isEmpty();
  }

  @Test
  void database_thatCannotBeOpened_isNamedWithCause_andRetriedUntilItOpens() throws Exception {
    Path blocked = home.resolve("not-a-dir");
    Files.writeString(blocked, "a file where the config root should be");
    start(blocked);

    await(() -> vm.problemProperty().get() != null);
    assertThat(vm.problemProperty().get())
        .startsWith("Cannot open the database: ")
        .contains(blocked.toString());
    assertThat(vm.connectedProperty().get()).isFalse();

    Files.delete(blocked);
    await(() -> vm.connectedProperty().get() && vm.problemProperty().get() == null);
    assertThat(vm.databaseProperty().get()).isEqualTo(blocked.resolve("limiter.db").toString());
  }
}
