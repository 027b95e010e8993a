package dev.inflight.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class StatsTest {

  @Test
  void quantile_nearestRank_picksAnObservedValue() {
    double[] v = {5, 1, 4, 2, 3};
    assertThat(Stats.median(v)).isEqualTo(3);
    assertThat(Stats.quantile(v, 0.99)).isEqualTo(5);
    assertThat(Stats.quantile(v, 0)).isEqualTo(1);
    assertThat(v).containsExactly(5, 1, 4, 2, 3);
  }

  @Test
  void quantile_empty_isRejected() {
    assertThatThrownBy(() -> Stats.quantile(new double[0], 0.5))
        .hasMessage("values must not be empty");
  }

  @Test
  void replay_withinLimit_countsGrantsAndNoViolation() {
    Stats.Replay r = Stats.replay(List.of("+1", "+2", "-1", "+3", "-2", "-3"), 2);
    assertThat(r).isEqualTo(new Stats.Replay(3, 2, 0, 0));
  }

  @Test
  void replay_aboveLimit_countsEachGrantThatExceeds() {
    Stats.Replay r = Stats.replay(List.of("+1", "+2", "+3", "+4", "-1", "-2", "-3", "-4"), 2);
    assertThat(r.violations()).isEqualTo(2);
    assertThat(r.maxHeld()).isEqualTo(4);
  }

  @Test
  void replay_garbage_isRejected() {
    assertThatThrownBy(() -> Stats.replay(List.of("x"), 1))
        .hasMessage("witness line must start with + or - (was x)");
  }

  @Test
  void format_keepsIntegersWholeAndFractionsShort() {
    assertThat(Stats.line("violations", 0, "count")).isEqualTo("violations 0 count");
    assertThat(Stats.format(0.12345)).isEqualTo("0.123");
    assertThat(Stats.format(12.345)).isEqualTo("12.3");
    assertThat(Stats.format(1234.5)).isEqualTo("1235");
  }
}
