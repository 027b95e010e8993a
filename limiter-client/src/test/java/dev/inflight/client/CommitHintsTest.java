package dev.inflight.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** When a commit hint is worth a read: confirming it, and backing off under traffic. */
class CommitHintsTest {
  static final long MS = 1_000_000L;
  final AtomicLong count = new AtomicLong(1);
  final CommitHints hints = new CommitHints(count::get);
  long now = 1_000 * MS;

  /** A read that began now and found nothing to write (a glance that saw no change). */
  private void uselessRead() {
    hints.passing();
    hints.passed(now, false, true, true);
  }

  @Test
  void aVisibleCommit_isWorthAReadAtOnce() {
    uselessRead();
    count.incrementAndGet();
    hints.seen(now);
    assertThat(hints.due(now)).isTrue();
  }

  @Test
  void aCommitNotVisibleYet_isConfirmedAfter1_1_2_4ms_andReadWhenItShows() {
    uselessRead();
    hints.seen(now); // the writer wrote; its commit is not visible yet
    assertThat(hints.due(now)).isFalse();
    long[] after = {1, 1, 2, 4};
    for (long a : after) {
      assertThat(hints.dueNanos()).isEqualTo(now + a * MS);
      now += a * MS;
      assertThat(hints.due(now)).isFalse();
    }
    now += 8 * MS;
    count.incrementAndGet(); // visible now
    assertThat(hints.due(now)).isTrue();
  }

  @Test
  void aHintWhoseCommitNeverShows_isDropped_afterHalfASecondOfConfirming() {
    uselessRead();
    hints.seen(now);
    int looks = 0;
    while (hints.dueNanos() != Long.MAX_VALUE) {
      now = Math.max(now, hints.dueNanos());
      assertThat(hints.due(now)).isFalse();
      looks++;
    }
    assertThat(looks).isEqualTo(11); // at once, then 1, 1, 2 … 256 ms
    assertThat(now).isEqualTo(1_000 * MS + 512 * MS);
  }

  @Test
  void aFewUnrelatedCommits_doNotDelayTheNextHint() {
    for (int i = 0; i < CommitHints.UNBACKED_READS; i++) {
      now += 2 * MS;
      uselessRead();
    }
    assertThat(hints.backingOff(now)).isFalse();
    count.incrementAndGet();
    hints.seen(now);
    assertThat(hints.due(now)).isTrue(); // the hand edit after a limit set back and a re-queue
  }

  @Test
  void aStreamOfUselessReads_backsOff_doublingTo100ms_untilAReadIsUseful() {
    long gap = 0;
    for (int i = 0; i < CommitHints.UNBACKED_READS + 12; i++) {
      now += Math.max(gap, MS);
      uselessRead();
      gap = hints.backOffEndsNanos() - now;
    }
    assertThat(gap).isEqualTo(CommitHints.MAX_GAP_NANOS);
    assertThat(hints.backingOff(now)).isTrue();
    count.incrementAndGet();
    hints.seen(now);
    assertThat(hints.due(now)).isFalse(); // waits for the gap
    assertThat(hints.due(now + gap)).isTrue();

    hints.passed(now + gap, true, true, true); // a read that granted something
    assertThat(hints.backingOff(now + gap)).isFalse();
    now += gap + MS;
    uselessRead(); // still in the traffic: backs off again at once
    assertThat(hints.backingOff(now)).isTrue();
  }

  @Test
  void aProcessThatCannotBeWoken_neverBacksOff() {
    for (int i = 0; i < 20; i++) {
      now += MS;
      hints.passing();
      hints.passed(now, false, false, true);
    }
    assertThat(hints.backingOff(now)).isFalse();
  }

  @Test
  void aQuarterSecondWithoutAnyRead_endsTheBackOff() {
    for (int i = 0; i < CommitHints.UNBACKED_READS + 5; i++) {
      now += MS;
      uselessRead();
    }
    assertThat(hints.backingOff(now)).isTrue();
    now += 300 * MS;
    uselessRead();
    assertThat(hints.backingOff(now)).isFalse();
  }
}
