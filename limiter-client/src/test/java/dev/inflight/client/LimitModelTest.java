package dev.inflight.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.inflight.testing.MutableClock;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The limit model through the library's front door: model pools, weights, priority classes,
 * per-minute budgets with the real token count reported at release, and the status of each. Time is
 * a {@link MutableClock}.
 */
class LimitModelTest {
  @TempDir Path home;
  final MutableClock clock = new MutableClock();
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
  void aRequestNamedProviderSlashModel_countsAtBothLevels_andStatusShowsTheTree() {
    limiter.limits().set(LimitSpec.of("openai", 3));
    limiter.limits().setModel(ModelLimitSpec.of("openai", "gpt-4o", 1));
    Lease big = limiter.tryAcquire(LeaseRequest.of("openai/gpt-4o")).orElseThrow();
    assertThat(big.model()).isEqualTo("gpt-4o");
    assertThat(limiter.tryAcquire(LeaseRequest.of("openai/gpt-4o"))).isEmpty();
    Lease mini = limiter.tryAcquire(LeaseRequest.of("openai/gpt-4o-mini").weight(2)).orElseThrow();
    assertThat(mini.weight()).isEqualTo(2);
    ProviderStatus openai = limiter.status().providers().get(0);
    assertThat(openai.active()).isEqualTo(3);
    assertThat(openai.models()).containsExactly(new ModelStatus("gpt-4o", 1, 1, 0, Window.NONE));
    assertThat(limiter.status().leases())
        .extracting(LeaseInfo::key, LeaseInfo::weight)
        .containsExactlyInAnyOrder(
            org.assertj.core.groups.Tuple.tuple("openai/gpt-4o", 1),
            org.assertj.core.groups.Tuple.tuple("openai/gpt-4o-mini", 2));
    big.close();
    mini.close();
  }

  @Test
  void anInteractiveRequest_isServedBeforeEarlierBatchOnes_andStatusCountsTheQueueByClass()
      throws Exception {
    limiter.limits().set(LimitSpec.of("openai", 1));
    Lease held = limiter.tryAcquire(LeaseRequest.of("openai")).orElseThrow();
    CompletableFuture<Lease> batch =
        limiter.acquireAsync(LeaseRequest.of("openai").priority(Priority.BATCH), null);
    CompletableFuture<Lease> interactive =
        limiter.acquireAsync(LeaseRequest.of("openai").priority(Priority.INTERACTIVE), null);
    assertThat(limiter.status().providers().get(0).queuedByClass())
        .isEqualTo(Map.of(Priority.BATCH, 1, Priority.INTERACTIVE, 1));
    assertThat(limiter.status().waiters())
        .extracting(WaiterInfo::priority)
        .containsExactly(Priority.INTERACTIVE, Priority.BATCH);
    held.close();
    Lease first = interactive.get();
    assertThat(batch).isNotDone();
    first.close();
    batch.get().close();
  }

  @Test
  void aTokenBudget_isReservedAtGrant_andCorrectedByTheRealCountAtRelease() throws Exception {
    limiter.limits().set(LimitSpec.of("openai", 10).withBudgets(0, 1_000, 0));
    Lease a = limiter.tryAcquire(LeaseRequest.of("openai").tokens(700)).orElseThrow();
    assertThat(limiter.tryAcquire(LeaseRequest.of("openai").tokens(400))).isEmpty();
    CompletableFuture<Lease> b = limiter.acquireAsync(LeaseRequest.of("openai").tokens(400), null);
    assertThat(limiter.status().providers().get(0).window())
        .satisfies(
            w -> {
              assertThat(w.tokensPerMinute()).isEqualTo(1_000);
              assertThat(w.tokens()).isEqualTo(700);
              assertThat(w.requests()).isEqualTo(1);
              assertThat(w.changesAt()).contains(clock.instant().plusSeconds(60));
            });
    a.release(Outcome.SUCCEEDED, 120); // it used less than it reserved: the rest is free again
    Lease granted = b.get();
    assertThat(limiter.status().providers().get(0).window().tokens()).isEqualTo(520);
    granted.close();
  }

  @Test
  void badRequests_areRefusedNamingTheParameterTheRuleAndTheValue_andChangeNothing() {
    limiter.limits().set(LimitSpec.of("openai", 2).withBudgets(0, 1_000, 0));
    assertThatThrownBy(() -> LeaseRequest.of("openai").weight(0))
        .hasMessage("weight must be an integer from 1 to 10000 (was 0)");
    assertThatThrownBy(() -> LeaseRequest.of("openai").tokens(-5))
        .hasMessage("tokens must be an integer from 0 to 100000000 (was -5)");
    assertThatThrownBy(() -> LeaseRequest.of("openai").model("gpt\u001b[2J"))
        .hasMessageContaining("model must be at most 200 characters with no control characters");
    assertThatThrownBy(() -> Priority.parse("urgent"))
        .hasMessage("priority must be interactive, normal or batch (was \"urgent\")");
    assertThatThrownBy(() -> LeaseRequest.of("openai").tokens(Long.MAX_VALUE))
        .hasMessageContaining("tokens must be an integer from 0 to 100000000");
    assertThatThrownBy(() -> limiter.tryAcquire(LeaseRequest.of("openai").weight(3)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("weight must be at most the in-flight limit of openai (2)");
    assertThatThrownBy(
            () -> limiter.acquire(LeaseRequest.of("openai").tokens(5_000), Duration.ofSeconds(1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("tokens_per_minute budget of openai (1000)");
    assertThatThrownBy(() -> limiter.limits().setModel(ModelLimitSpec.of("openai", "openai/x", 1)))
        .hasMessageContaining("model must be the model's own name under its provider");
    assertThatThrownBy(() -> LimitSpec.of("openai", 2).withBudgets(-1, 0, 0))
        .hasMessageContaining("requests_per_minute must be an integer from 1 to 1000000");
    assertThatThrownBy(() -> LimitSpec.of("openai", 2).withBudgets(0, 100, 500))
        .hasMessageContaining("default_tokens must be at most tokens_per_minute (100)");
    assertThat(limiter.status().leases()).isEmpty();
    assertThat(limiter.status().waiters()).isEmpty();
    assertThat(limiter.limits().models()).isEmpty();
  }

  @Test
  void aRateLimitedRelease_reportsItsRealCount_tooAndPausesTheProvider() {
    limiter.limits().set(LimitSpec.of("openai", 10).withBudgets(0, 1_000, 0));
    Lease a = limiter.tryAcquire(LeaseRequest.of("openai").tokens(900)).orElseThrow();
    assertThat(a.releaseRateLimited(Duration.ofSeconds(5), 0)).isEqualTo(ReleaseResult.RELEASED);
    assertThat(limiter.status().providers().get(0).window().tokens()).isZero();
    assertThat(limiter.status().providers().get(0).pausedUntil()).isPresent();
    Lease b = limiter.tryAcquire(LeaseRequest.of("anthropic")).orElseThrow();
    assertThatThrownBy(() -> b.releaseRateLimited(null, -1))
        .hasMessage("usedTokens must be an integer from 0 to 100000000 (was -1)");
    assertThat(limiter.status().leases()).hasSize(1); // a refused release changes nothing
    b.close();
  }
}
