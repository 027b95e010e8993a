package dev.inflight.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.inflight.client.LeaseInfo;
import dev.inflight.client.ProviderStatus;
import dev.inflight.client.StatusSnapshot;
import dev.inflight.client.WaiterInfo;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

/** History, input parsing, formatting and the demo's table: plain Java. */
class PlainModelTest {

  @Test
  void history_keepsHighestCountsPerSecond_andForgetsAfterAnHour() {
    History h = new History();
    h.record(10_100, 1, 0, 2);
    h.record(10_900, 2, 3, 2);
    h.record(11_000, 1, 0, 2);
    assertThat(h.samples())
        .containsExactly(new History.Sample(10_000, 2, 3, 2), new History.Sample(11_000, 1, 0, 2));

    h.record(11_000 + History.WINDOW_MS, 0, 0, 2);
    assertThat(h.samples())
        .extracting(History.Sample::atMs)
        .containsExactly(11_000 + History.WINDOW_MS);
  }

  @Test
  void cooldown_readsUnits_andRefusesInTheLibrarysWords() {
    assertThat(Inputs.cooldown("")).isEqualTo(Duration.ZERO);
    assertThat(Inputs.cooldown("250")).isEqualTo(Duration.ofMillis(250));
    assertThat(Inputs.cooldown("250ms")).isEqualTo(Duration.ofMillis(250));
    assertThat(Inputs.cooldown(" 2s ")).isEqualTo(Duration.ofSeconds(2));
    assertThat(Inputs.cooldown("1.5s")).isEqualTo(Duration.ofMillis(1500));
    assertThat(Inputs.cooldown("1m")).isEqualTo(Duration.ofMinutes(1));
    assertThatThrownBy(() -> Inputs.cooldown("-1"))
        .hasMessage("cooldown must be whole milliseconds from 0 to 1h (was \"-1\")");
    assertThatThrownBy(() -> Inputs.cooldown("0.5ms"))
        .hasMessage("cooldown must be whole milliseconds from 0 to 1h (was \"0.5ms\")");
  }

  @Test
  void durations_areShortAndReadable() {
    assertThat(Fmt.duration(Duration.ofMillis(1234))).isEqualTo("1.2s");
    assertThat(Fmt.duration(Duration.ofSeconds(42))).isEqualTo("42s");
    assertThat(Fmt.duration(Duration.ofSeconds(184))).isEqualTo("3m4s");
    assertThat(Fmt.duration(Duration.ofMinutes(62))).isEqualTo("1h2m");
    assertThat(Fmt.cooldown(Duration.ofMillis(400))).isEqualTo("400ms");
    assertThat(Fmt.cooldown(Duration.ofSeconds(2))).isEqualTo("2s");
  }

  @Test
  void demoLabels_areNamedAfterRoles() {
    assertThat(Demo.label(0)).isEqualTo("planner");
    assertThat(Demo.label(7)).isEqualTo("subagent-4");
  }

  @Test
  void visibleState_ignoresDurationsThatTickByThemselves() {
    Instant at = Instant.parse("2026-11-22T10:00:00Z");
    StatusSnapshot a = snapshot(at, Duration.ofSeconds(1), 2);
    StatusSnapshot later = snapshot(at.plusSeconds(5), Duration.ofSeconds(6), 2);
    StatusSnapshot changed = snapshot(at.plusSeconds(5), Duration.ofSeconds(6), 1);

    assertThat(Snapshots.visible(later)).isEqualTo(Snapshots.visible(a));
    assertThat(Snapshots.visible(changed)).isNotEqualTo(Snapshots.visible(a));
  }

  private static StatusSnapshot snapshot(Instant at, Duration age, int active) {
    return new StatusSnapshot(
        at,
        List.of(
            new ProviderStatus(
                "openai", OptionalInt.of(2), Duration.ZERO, false, active, 0, 1, age)),
        List.of(new LeaseInfo(7, "openai", 41, "h", "java", "planner", at.minus(age), age)),
        List.of(new WaiterInfo("openai", 1, 42, "h", "java", "coder", at.minus(age), age)));
  }

  private static ProviderStatus pausedUntil(Instant until, String reason, OptionalInt effective) {
    return new ProviderStatus(
        "p",
        OptionalInt.of(4),
        Duration.ZERO,
        false,
        0,
        0,
        0,
        Duration.ZERO,
        true,
        effective,
        Optional.ofNullable(until),
        until == null ? "" : reason,
        OptionalInt.empty());
  }

  @Test
  void pauseCountdown_ticksBetweenReads_andSaysResumingOnceItRunsOut() {
    Instant read = Instant.parse("2026-11-22T12:00:00Z");
    ProviderRow row = new ProviderRow("p", new History(), ZoneOffset.UTC);

    row.update(
        pausedUntil(read.plusSeconds(25), "429 from the provider", OptionalInt.of(2)), read, read);
    assertThat(row.pauseProperty().get())
        .isEqualTo("paused until 12:00:25 (25s left, 429 from the provider)");
    assertThat(row.inForceProperty().get()).isEqualTo("2 of 4");
    assertThat(row.loweredProperty().get()).isTrue();

    row.tick(read.plusMillis(10_500));
    assertThat(row.pauseProperty().get()).contains(" (15s left, ");
    row.tick(read.plusSeconds(25));
    assertThat(row.pauseProperty().get()).contains(" (resuming, ");

    row.update(pausedUntil(null, "", OptionalInt.empty()), read, read.plusSeconds(26));
    assertThat(row.pauseProperty().get()).isEmpty();
    assertThat(row.inForceProperty().get()).isEqualTo("4");
    assertThat(row.loweredProperty().get()).isFalse();
  }

  @Test
  void upstreamCount_isShownApartFromTheLimitInForce_whileFresh() {
    Instant read = Instant.parse("2026-11-22T12:00:00Z");
    ProviderRow row = new ProviderRow("p", new History(), ZoneOffset.UTC);
    ProviderStatus lowered = pausedUntil(null, "", OptionalInt.of(2));
    row.update(withUpstream(lowered, OptionalInt.of(3)), read, read);
    assertThat(row.inForceProperty().get()).isEqualTo("2 of 4");
    assertThat(row.upstreamProperty().get()).isEqualTo("provider counts 3 in flight");
    row.update(
        withUpstream(pausedUntil(null, "", OptionalInt.empty()), OptionalInt.of(1)), read, read);
    assertThat(row.inForceProperty().get()).isEqualTo("4");
    assertThat(row.upstreamProperty().get()).isEqualTo("provider counts 1 in flight");
    row.update(pausedUntil(null, "", OptionalInt.empty()), read, read);
    assertThat(row.upstreamProperty().get()).isEmpty();
  }

  @Test
  void limitInForce_ofAnUnlimitedProvider_readsUnlimited_asInTheCli() {
    Instant read = Instant.parse("2026-11-22T12:00:00Z");
    ProviderRow row = new ProviderRow("p", new History(), ZoneOffset.UTC);
    row.update(Rows.idle("p"), read, read);
    assertThat(row.inForceProperty().get()).isEqualTo("unlimited");
    assertThat(row.loweredProperty().get()).isFalse();
  }

  private static ProviderStatus withUpstream(ProviderStatus p, OptionalInt upstream) {
    return new ProviderStatus(
        p.provider(),
        p.limit(),
        p.cooldown(),
        p.paused(),
        p.active(),
        p.cooling(),
        p.queued(),
        p.longestWait(),
        p.adaptive(),
        p.effectiveLimit(),
        p.pausedUntil(),
        p.pauseReason(),
        upstream);
  }

  @Test
  void pauseOfAnotherDay_showsTheDate() {
    Instant read = Instant.parse("2026-11-22T23:00:00Z");
    ProviderRow row = new ProviderRow("p", new History(), ZoneOffset.UTC);
    row.update(
        pausedUntil(read.plus(Duration.ofHours(2)), "429 reported", OptionalInt.empty()),
        read,
        read);
    assertThat(row.pauseProperty().get())
        .isEqualTo("paused until 2026-11-23 01:00:00 (2h left, 429 reported)");
  }

  @Test
  void a429Pause_isAVisibleChange_andItsEndCallsForARead() {
    Instant at = Instant.parse("2026-11-22T12:00:00Z");
    ProviderStatus free = pausedUntil(null, "", OptionalInt.empty());
    ProviderStatus paused = pausedUntil(at.plusSeconds(30), "429 reported", OptionalInt.of(3));
    assertThat(Snapshots.visible(new StatusSnapshot(at, List.of(paused), List.of(), List.of())))
        .isNotEqualTo(
            Snapshots.visible(new StatusSnapshot(at, List.of(free), List.of(), List.of())));

    assertThat(Snapshots.pauseEnded(paused, at.toEpochMilli())).isFalse();
    assertThat(Snapshots.pauseEnded(paused, at.plusSeconds(30).toEpochMilli())).isTrue();
    assertThat(Snapshots.pauseEnded(free, at.toEpochMilli())).isFalse();
    assertThat(Rows.summaryOf(List.of(paused, free)))
        .isEqualTo("0 active · 0 queued · 2 providers (1 paused)");
  }

  @Test
  void countdown_roundsUpToWholeSeconds() {
    assertThat(Fmt.countdown(Duration.ofMillis(1))).isEqualTo("1s");
    assertThat(Fmt.countdown(Duration.ofMillis(24_001))).isEqualTo("25s");
    assertThat(Fmt.countdown(Duration.ofSeconds(65))).isEqualTo("1m5s");
    assertThat(Fmt.countdown(Duration.ZERO)).isEqualTo("0s");
  }
}
