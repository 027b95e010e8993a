package dev.inflight.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.inflight.testing.Tools;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One process's wall clock is off (libfaketime moves it; the monotonic clock stays true, as after
 * an NTP step or a wrong {@code date}): limits still hold across processes. A live holder on this
 * host is never reclaimed by time, and a cooldown lasts its own length.
 */
class ClockStepIT {
  @TempDir Path home;
  Cli cli;

  @BeforeEach
  void setUp() {
    Tools.require("faketime", "faketime");
    cli = new Cli(home);
  }

  /** {@code inflight ARGS} with this process's wall clock moved by {@code offset} ("+120s"). */
  Cli.Running skewed(String offset, String... args) {
    return cli.startUnder(
        List.of("faketime", "-f", offset), Map.of("FAKETIME_DONT_FAKE_MONOTONIC", "1"), args);
  }

  @Test
  void aWaiterWhoseClockIsTwoMinutesAhead_neverReclaimsALiveHolder() {
    assertThat(cli.run("limits", "set", "p", "1").code()).isZero();
    Cli.Running holder = cli.start("run", "-p", "p", "--", "sh", "-c", Cli.HOLD);
    holder.awaitOut(l -> l.equals("holding"));

    Cli.Result late = skewed("+120s", "run", "-p", "p", "--timeout", "2s", "--", "true").await();

    assertThat(late.code()).as(late.describe()).isEqualTo(ExitCodes.TIMEOUT);
    assertThat(late.err()).contains("no lease for 'p' after 2s");
    assertThat(cli.statusJson().get("leases")).hasSize(1);
    holder.closeStdin();
    assertThat(holder.await().code()).isZero();
  }

  @Test
  void aHolderWhoseClockIsAnHourBehind_isNotReclaimedByOthers() {
    assertThat(cli.run("limits", "set", "p", "1").code()).isZero();
    Cli.Running holder = skewed("-1h", "run", "-p", "p", "--", "sh", "-c", Cli.HOLD);
    holder.awaitOut(l -> l.equals("holding"));

    Cli.Result other = cli.run("run", "-p", "p", "--timeout", "2s", "--", "true");

    assertThat(other.code()).as(other.describe()).isEqualTo(ExitCodes.TIMEOUT);
    assertThat(cli.statusJson().get("leases")).hasSize(1);
    holder.closeStdin();
    assertThat(holder.await().code()).isZero();
  }

  @Test
  void aSlotReleasedByAProcessAnHourAhead_coolsForItsCooldown_notForAnHour() {
    assertThat(cli.run("limits", "set", "p", "1", "--cooldown", "500ms").code()).isZero();
    Cli.Result ahead = skewed("+1h", "run", "-p", "p", "--", "true").await();
    assertThat(ahead.code()).as(ahead.describe()).isZero();

    // The guard: an hour-long cooldown would time out here.
    Cli.Result next = cli.run("run", "-p", "p", "--timeout", "60s", "--", "true");

    assertThat(next.code()).as(next.describe()).isZero();
  }
}
