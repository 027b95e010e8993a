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
  void quantileOrNaN_empty_isNotANumber() {
    assertThat(Stats.quantileOrNaN(new double[0], 0.5)).isNaN();
    assertThat(Stats.line("x", Double.NaN, "ms")).isEqualTo("x NaN ms");
  }

  @Test
  void replay_withinLimit_countsGrantsAndNoViolation() {
    Stats.Replay r =
        Stats.replay(List.of("E a", "Q a", "+ a 1", "+ b 2", "- a", "+ c 3", "- b", "- c"), 2);
    assertThat(r).isEqualTo(new Stats.Replay(3, 2, 0, 0));
  }

  @Test
  void replay_aboveLimit_countsEachGrantThatExceeds() {
    Stats.Replay r =
        Stats.replay(List.of("+ a 1", "+ b 2", "+ c 3", "+ d 4", "- a", "- b", "- c", "- d"), 2);
    assertThat(r.violations()).isEqualTo(2);
    assertThat(r.maxHeld()).isEqualTo(4);
  }

  @Test
  void replay_garbage_isRejected() {
    assertThatThrownBy(() -> Stats.replay(List.of("x"), 1))
        .hasMessage("witness line must be 'E label', 'Q label', '+ label id' or '- label' (was x)");
  }

  @Test
  void fifo_grantsInQueueOrder_noViolation_andTheWaitingOnesAreChecked() {
    // a holds; b queues; c asks after b is queued; b is granted before c.
    Stats.Fifo f =
        Stats.fifo(
            List.of(
                "E a", "Q a", "+ a 1", "E b", "Q b", "E c", "Q c", "- a", "+ b 2", "- b", "+ c 3",
                "- c"));
    assertThat(f).isEqualTo(new Stats.Fifo(1, 0));
  }

  @Test
  void fifo_laterRequestGrantedFirst_isAViolation() {
    // b was queued before c asked, but c got the lower lease id: c overtook b.
    Stats.Fifo f =
        Stats.fifo(
            List.of(
                "E a", "Q a", "+ a 1", "E b", "Q b", "E c", "Q c", "- a", "+ c 2", "- c", "+ b 3",
                "- b"));
    assertThat(f.violations()).isEqualTo(1);
  }

  @Test
  void fifo_overlappingAsks_areNeverCompared() {
    // b and c asked at the same time (their E..Q spans overlap): either order is FIFO.
    Stats.Fifo f =
        Stats.fifo(
            List.of(
                "E a", "Q a", "+ a 1", "E b", "E c", "Q c", "Q b", "- a", "+ c 2", "- c", "+ b 3",
                "- b"));
    assertThat(f.violations()).isZero();
  }

  @Test
  void fifo_grantedAtOnce_comesBeforeEveryLaterAsker() {
    // a is granted inside its own call (no queueing): anyone asking after it gets a later id.
    Stats.Fifo ok = Stats.fifo(List.of("E a", "+ x 1", "Q a", "+ a 2", "E b", "Q b", "+ b 3"));
    assertThat(ok.violations()).isZero();
    // b asked after a's call returned, yet b's id is lower: impossible unless order was broken.
    Stats.Fifo broken = Stats.fifo(List.of("E a", "Q a", "E b", "Q b", "+ b 2", "+ a 3"));
    assertThat(broken.violations()).isEqualTo(1);
  }

  @Test
  void fifo_witnessWithoutQueueLines_comparesNothing() {
    Stats.Fifo f = Stats.fifo(List.of("+ a 2", "+ b 1", "- a", "- b"));
    assertThat(f).isEqualTo(new Stats.Fifo(0, 0));
  }

  @Test
  void format_keepsIntegersWholeAndFractionsShort() {
    assertThat(Stats.line("violations", 0, "count")).isEqualTo("violations 0 count");
    assertThat(Stats.format(0.12345)).isEqualTo("0.123");
    assertThat(Stats.format(12.345)).isEqualTo("12.3");
    assertThat(Stats.format(1234.5)).isEqualTo("1235");
  }
}
