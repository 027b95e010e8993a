package dev.inflight.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.inflight.store.Rows.AcquireOutcome;
import dev.inflight.store.Rows.Ending;
import dev.inflight.store.Rows.ProviderState;
import java.nio.file.Path;
import java.util.OptionalInt;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Upstream-aware admission at the store level: 429 pauses, adaptive limits, usage samples. */
class AdmissionTest {
  @TempDir Path dir;
  LeaseStore store;
  long owner;
  long now = 1_000_000;

  @BeforeEach
  void open() {
    store = LeaseStore.open(dir.resolve("limiter.db"));
    owner = store.register(ProcessIdentity.current(), now, 3_600_000, null);
  }

  @AfterEach
  void close() {
    store.close();
  }

  String take(String provider) {
    String token = UUID.randomUUID().toString();
    AcquireOutcome o = store.acquire(owner, 1, provider, "", token, now, true);
    return o.kind() == AcquireOutcome.Kind.GRANTED ? token : "queued:" + token;
  }

  ProviderState state(String provider) {
    return store.snapshot(now).providers().stream()
        .filter(p -> p.provider().equals(provider))
        .findFirst()
        .orElseThrow();
  }

  @Test
  void rateLimitedRelease_pausesTheProviderUntilRetryAfter_thenTheQueueMoves() {
    store.setLimit("openai", 2, 0, now);
    String a = take("openai");
    String waiting = take("openai");
    assertThat(waiting).doesNotStartWith("queued:");
    String third = take("openai");
    assertThat(third).startsWith("queued:");

    store.release(a, now, Ending.RATE_LIMITED, 20_000);
    ProviderState st = state("openai");
    assertThat(st.pausedUntilMs()).isEqualTo(now + 20_000);
    assertThat(st.pauseReason()).isEqualTo(LeaseStore.RATE_LIMITED_REASON);
    assertThat(st.free()).isZero();
    assertThat(st.queued()).isEqualTo(1);

    now += 19_999;
    store.settle(java.util.List.of("openai"), now);
    assertThat(state("openai").queued()).isEqualTo(1);

    now += 1;
    store.settle(java.util.List.of("openai"), now);
    st = state("openai");
    assertThat(st.queued()).isZero();
    assertThat(st.active()).isEqualTo(2);
    assertThat(st.pausedUntilMs()).isZero();
    assertThat(st.pauseReason()).isEmpty();
  }

  @Test
  void laterPauseWins_anEarlierRetryAfterNeverShortensIt() {
    store.report429("openai", now, 60_000, "first");
    store.report429("openai", now, 5_000, "second");
    assertThat(state("openai").pausedUntilMs()).isEqualTo(now + 60_000);
    assertThat(state("openai").pauseReason()).isEqualTo("first");
  }

  @Test
  void resume_liftsA429PauseEarly() {
    store.setLimit("openai", 1, 0, now);
    store.report429("openai", now, 60_000, "429 from a script");
    String q = take("openai");
    assertThat(q).startsWith("queued:");

    assertThat(store.setPaused("openai", false, now)).isTrue();

    ProviderState st = state("openai");
    assertThat(st.pausedUntilMs()).isZero();
    assertThat(st.active()).isEqualTo(1);
  }

  @Test
  void pauseOfAnUnlimitedProvider_isShownAndHolds() {
    store.report429("local", now, 1_000, "429 from a script");
    assertThat(take("local")).startsWith("queued:");
    assertThat(state("local").limit()).isEmpty();
    now += 1_000;
    store.settle(java.util.List.of("local"), now);
    assertThat(state("local").active()).isEqualTo(1);
  }

  @Test
  void adaptiveLimit_stepsDownOncePerGenerationOfLeases_neverBelowOne() {
    store.setLimit("openai", 3, 0, true, now);
    String a = take("openai");
    String b = take("openai");
    String c = take("openai");

    now += 10;
    store.release(a, now, Ending.RATE_LIMITED, 0);
    // b and c were admitted at the old limit: their 429s are the same signal.
    store.release(b, now + 1, Ending.RATE_LIMITED, 0);
    store.release(c, now + 2, Ending.RATE_LIMITED, 0);
    now += 10;
    assertThat(state("openai").effectiveLimit()).hasValue(2);
    assertThat(state("openai").limit()).hasValue(3);
    assertThat(store.limit("openai").orElseThrow().maxInFlight()).isEqualTo(3);

    for (int i = 0; i < 5; i++) {
      now += 10;
      String t = take("openai");
      store.release(t, now, Ending.RATE_LIMITED, 0);
    }
    assertThat(state("openai").effectiveLimit()).hasValue(1);
    assertThat(state("openai").limitInForce()).hasValue(1);
  }

  @Test
  void adaptiveLimit_limitsGrants_thenStepsBackUpAfterQuietSuccesses() {
    store.setLimit("openai", 3, 0, true, now);
    String a = take("openai");
    store.release(a, now, Ending.RATE_LIMITED, 0);
    now += 1;
    a = take("openai");
    store.release(a, now, Ending.RATE_LIMITED, 0);
    assertThat(state("openai").effectiveLimit()).hasValue(1);

    now += 1;
    String held = take("openai");
    assertThat(held).doesNotStartWith("queued:");
    assertThat(take("openai")).startsWith("queued:");
    // A success inside the quiet period counts, but does not raise the limit yet.
    store.release(held, now, Ending.SUCCEEDED, 0);
    assertThat(state("openai").effectiveLimit()).hasValue(1);
    assertThat(state("openai").active()).isEqualTo(1); // the waiter got the slot

    now += LeaseStore.ADAPTIVE_QUIET_MS;
    releaseAllSucceeded("openai");
    assertThat(state("openai").effectiveLimit()).hasValue(2);

    now += LeaseStore.ADAPTIVE_QUIET_MS;
    assertThat(take("openai")).doesNotStartWith("queued:");
    assertThat(take("openai")).doesNotStartWith("queued:");
    assertThat(take("openai")).startsWith("queued:");
    releaseAllSucceeded("openai");
    // Two successes at limit 2 after a quiet period: back to the configured limit.
    assertThat(state("openai").effectiveLimit()).isEmpty();
    assertThat(state("openai").limitInForce()).hasValue(3);
  }

  /** Releases, with success, every lease this test's owner holds on {@code provider}. */
  void releaseAllSucceeded(String provider) {
    try (var c = java.sql.DriverManager.getConnection("jdbc:sqlite:" + store.path());
        var ps =
            c.prepareStatement(
                "SELECT token FROM leases WHERE provider = ? AND released_at_ms IS NULL")) {
      ps.setString(1, provider);
      var tokens = new java.util.ArrayList<String>();
      try (var rs = ps.executeQuery()) {
        while (rs.next()) {
          tokens.add(rs.getString(1));
        }
      }
      for (String t : tokens) {
        store.release(t, now, Ending.SUCCEEDED, 0);
      }
    } catch (java.sql.SQLException e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void adaptiveState_isIgnoredWhenTheProviderIsNotAdaptive() {
    store.setLimit("openai", 3, 0, true, now);
    store.report429("openai", now, 0, "429");
    assertThat(state("openai").effectiveLimit()).hasValue(2);
    store.setLimit("openai", 3, 0, false, now);
    assertThat(state("openai").effectiveLimit()).isEmpty();
    assertThat(state("openai").limitInForce()).hasValue(3);
  }

  @Test
  void turningAdaptationOn_startsFromTheConfiguredLimit() {
    store.setLimit("openai", 3, 0, true, now);
    store.report429("openai", now, 0, "429");
    store.setLimit("openai", 3, 0, true, now); // still adaptive: the step is kept
    assertThat(state("openai").effectiveLimit()).hasValue(2);
    store.setLimit("openai", 3, 0, false, now);
    store.setLimit("openai", 3, 0, true, now);
    assertThat(state("openai").effectiveLimit()).isEmpty();
  }

  @Test
  void upstreamAtTheLimit_admitsNothing_evenWithNoLocalLeases() {
    store.setLimit("openai", 2, 0, now);
    store.recordUpstream("openai", OptionalInt.of(2), Integer.MAX_VALUE, now, now + 3_000);
    assertThat(take("openai")).startsWith("queued:");

    var r = store.recordUpstream("openai", OptionalInt.of(1), Integer.MAX_VALUE, now, now + 3_000);
    assertThat(r.state().active()).isEqualTo(1);
    assertThat(r.state().queued()).isZero();
  }

  @Test
  void hiddenUpstreamUsers_shrinkLocalGrants_byTheLeastSeenRecently() {
    store.setLimit("openai", 4, 0, now);
    String mine = take("openai");
    // Upstream counts 3: ours plus 2 we cannot see; the least seen before was 1.
    var r = store.recordUpstream("openai", OptionalInt.of(3), 1, now, now + 3_000);
    assertThat(r.hiddenNow()).isEqualTo(2);
    ProviderState st = r.state();
    assertThat(st.upstreamHidden()).isEqualTo(1);
    assertThat(st.upstreamInFlight()).hasValue(3);
    assertThat(st.free()).isEqualTo(1); // min(4 - 1 hidden - 1 ours, 4 - 3 upstream)
    assertThat(mine).doesNotStartWith("queued:");
  }

  @Test
  void upstreamSample_stopsCountingWhenItExpires_orIsCleared() {
    store.setLimit("openai", 2, 0, now);
    store.recordUpstream("openai", OptionalInt.of(2), Integer.MAX_VALUE, now, now + 3_000);
    assertThat(state("openai").free()).isZero();
    now += 3_000;
    assertThat(state("openai").upstreamInFlight()).isEmpty();
    assertThat(state("openai").free()).isEqualTo(2);

    store.recordUpstream("openai", OptionalInt.of(2), Integer.MAX_VALUE, now, now + 3_000);
    store.recordUpstream("openai", OptionalInt.empty(), Integer.MAX_VALUE, now, 0);
    assertThat(state("openai").upstreamInFlight()).isEmpty();
    assertThat(state("openai").free()).isEqualTo(2);
  }

  @Test
  void waitCheck_wakesWhenAPauseEnds() {
    store.setLimit("openai", 1, 0, now);
    store.report429("openai", now, 7_000, "429");
    String q = take("openai").substring("queued:".length());
    var wc = store.check(owner, java.util.List.of(q), now);
    assertThat(wc.nextChangeAtMs()).isLessThanOrEqualTo(now + 7_000);
    assertThat(wc.settleNeeded()).isFalse();
    var later = store.check(owner, java.util.List.of(q), now + 7_000);
    assertThat(later.settleNeeded()).isTrue();
  }
}
