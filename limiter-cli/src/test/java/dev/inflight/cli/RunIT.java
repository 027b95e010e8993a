package dev.inflight.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code inflight run}, driven through the real launcher. */
class RunIT {
  @TempDir Path home;
  @TempDir Path work;
  Cli cli;

  @BeforeEach
  void setUp() {
    cli = new Cli(home);
  }

  @Test
  void run_atLimit_neverOverlapsBeyondIt() throws IOException {
    assertThat(cli.run("limits", "set", "p", "2").code()).isZero();
    Path witness = work.resolve("witness");
    // Each child appends "<ns> +1" once it holds the lease and "<ns> -1" just before it ends.
    String child =
        "echo \"$(date +%s%N) +1\" >> '"
            + witness
            + "'; sleep 0.2; echo \"$(date +%s%N) -1\" >> '"
            + witness
            + "'";
    List<Cli.Running> runs = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      runs.add(cli.start("run", "--provider", "p", "--label", "w" + i, "--", "sh", "-c", child));
    }
    for (Cli.Running r : runs) {
      Cli.Result res = r.await();
      assertThat(res.code()).as(res.describe()).isZero();
    }
    List<long[]> events =
        Files.readAllLines(witness).stream()
            .map(l -> l.split(" "))
            .map(f -> new long[] {Long.parseLong(f[0]), Long.parseLong(f[1])})
            .sorted((a, b) -> a[0] != b[0] ? Long.compare(a[0], b[0]) : Long.compare(a[1], b[1]))
            .collect(Collectors.toList());
    assertThat(events).hasSize(16);
    int held = 0;
    int most = 0;
    for (long[] e : events) {
      held += (int) e[1];
      most = Math.max(most, held);
    }
    assertThat(most).as("most children holding a lease at once").isBetween(1, 2);
    assertThat(cli.statusJson().get("leases")).isEmpty();
  }

  @Test
  void run_killedWithSigkill_freesItsLeaseForTheNextOne() {
    assertThat(cli.run("limits", "set", "p", "1").code()).isZero();
    Cli.Running holder =
        cli.start("run", "-p", "p", "--", "sh", "-c", "echo holding; exec sleep 600");
    holder.awaitOut("holding"::equals);
    List<ProcessHandle> children = holder.process().descendants().toList();
    Cli.Running next = cli.start("run", "-p", "p", "--timeout", "80s", "--", "echo", "granted");
    next.awaitErr(l -> l.contains("queued at position 1"));

    holder.process().destroyForcibly(); // SIGKILL: no shutdown hook, no release
    try {
      Cli.Result res = next.await();
      assertThat(res.code()).as(res.describe()).isZero();
      assertThat(res.out()).isEqualTo("granted");
    } finally {
      children.forEach(ProcessHandle::destroyForcibly); // the orphaned sleep
    }
  }

  @Test
  void run_exitsWithCommandsExitCode() {
    assertThat(cli.run("run", "-p", "p", "--", "sh", "-c", "exit 7").code()).isEqualTo(7);
    assertThat(cli.run("run", "-p", "p", "--", "true").code()).isZero();
  }

  @Test
  void run_commandSeesProviderAndLeaseId_andStatusShowsTheSameLease() {
    assertThat(cli.run("limits", "set", "openai", "1").code()).isZero();
    Cli.Running holder =
        cli.start(
            "run",
            "--provider",
            "openai",
            "--label",
            "planner",
            "--",
            "sh",
            "-c",
            "echo \"$INFLIGHT_PROVIDER $INFLIGHT_LEASE_ID\"; read line || true");
    String[] seen = holder.awaitOut(l -> l.startsWith("openai ")).split(" ");

    JsonNode lease = cli.statusJson().get("leases").get(0);
    assertThat(lease.get("id").asLong()).isEqualTo(Long.parseLong(seen[1]));
    assertThat(lease.get("pid").asLong()).isEqualTo(holder.pid());
    assertThat(lease.get("label").asText()).isEqualTo("planner");

    holder.closeStdin();
    assertThat(holder.await().code()).isZero();
    assertThat(cli.statusJson().get("leases")).isEmpty();
  }

  @Test
  void run_insideRun_forTheSameProviderAtLimitOne_joinsTheOuterLease_insteadOfDeadlocking() {
    assertThat(cli.run("limits", "set", "p", "1").code()).isZero();
    String launcher = Cli.LAUNCHER.toString();
    Cli.Result nested =
        cli.run(
            "run",
            "-p",
            "p",
            "--timeout",
            "1m",
            "--",
            "sh",
            "-c",
            // the inner run waits 5 s at most: were it to queue behind the outer lease, it would
            // time out with 75, and the outer run would exit 75 too
            "echo outer $INFLIGHT_LEASE_ID; INFLIGHT_NO_BUILD=1 \"$0\" --home \"$1\" run -p p"
                + " --timeout 5s -- sh -c 'echo inner $INFLIGHT_LEASE_ID'; echo after",
            launcher,
            home.toString());
    assertThat(nested.code()).as(nested.describe()).isZero();
    String[] lines = nested.out().strip().split("\n");
    assertThat(lines).hasSize(3);
    String outerId = lines[0].substring("outer ".length());
    assertThat(lines[1]).isEqualTo("inner " + outerId); // the same lease
    assertThat(lines[2]).isEqualTo("after");
    assertThat(cli.statusJson().get("leases")).isEmpty();
  }

  @Test
  void run_withoutLabel_isNamedAfterItsCommand_notJava_andStatusShowsItWithTheLeaseId() {
    Cli.Running holder = cli.start("run", "-p", "openai", "--", "sh", "-c", Cli.HOLD);
    holder.awaitOut("holding"::equals);

    JsonNode lease = cli.statusJson().get("leases").get(0);
    Cli.Result table = cli.run("status");

    assertThat(lease.get("process").asText()).isEqualTo("sh …");
    assertThat(lease.get("label").asText()).isEqualTo("sh …");
    assertThat(table.out())
        .containsPattern(
            "ID +PROVIDER +PID +PROCESS +LABEL +HELD FOR\n +"
                + lease.get("id").asLong()
                + " +openai +"
                + holder.pid()
                + " +sh … +sh … ");
    holder.closeStdin();
    assertThat(holder.await().code()).isZero();
  }

  @Test
  void run_noLeaseWithinTimeout_exits75WithTheProvidersState() {
    assertThat(cli.run("limits", "set", "p", "1").code()).isZero();
    Cli.Running holder = cli.start("run", "-p", "p", "--", "sh", "-c", Cli.HOLD);
    holder.awaitOut("holding"::equals);

    Cli.Result late = cli.run("run", "-p", "p", "--timeout", "300ms", "--", "echo", "never");
    assertThat(late.code()).as(late.describe()).isEqualTo(75);
    assertThat(late.out()).isEmpty();
    assertThat(late.err())
        .contains("queued at position 1")
        .contains("no lease for 'p' after 300ms (limit=1, active=1");
    assertThat(cli.statusJson().get("waiters")).isEmpty();

    holder.closeStdin();
    assertThat(holder.await().code()).isZero();
  }

  @Test
  void run_sigtermWhileWaiting_leavesTheQueue() {
    assertThat(cli.run("limits", "set", "p", "1").code()).isZero();
    Cli.Running holder = cli.start("run", "-p", "p", "--", "sh", "-c", Cli.HOLD);
    holder.awaitOut("holding"::equals);
    Cli.Running waiter = cli.start("run", "-p", "p", "--", "echo", "never");
    waiter.awaitErr(l -> l.contains("queued at position 1"));
    assertThat(cli.statusJson().get("waiters")).hasSize(1);

    waiter.process().destroy(); // SIGTERM
    Cli.Result res = waiter.await();
    assertThat(res.code()).isEqualTo(143);
    assertThat(res.out()).isEmpty();
    JsonNode status = cli.statusJson();
    assertThat(status.get("waiters")).isEmpty();
    assertThat(status.get("leases")).hasSize(1);

    holder.closeStdin();
    assertThat(holder.await().code()).isZero();
  }

  @Test
  void run_sigtermWhileRunning_isPassedToTheCommand() {
    // The trap exits 42: had the JVM died of SIGTERM itself, the exit code would be 143.
    Cli.Running run =
        cli.start(
            "run",
            "-p",
            "p",
            "--",
            "sh",
            "-c",
            "trap 'exit 42' TERM; echo ready; sleep 600 >/dev/null 2>&1 & wait");
    run.awaitOut("ready"::equals);
    List<ProcessHandle> children = run.process().descendants().toList();

    run.process().destroy(); // SIGTERM to inflight
    try {
      Cli.Result res = run.await();
      assertThat(res.code()).as(res.describe()).isEqualTo(42);
      assertThat(cli.statusJson().get("leases")).isEmpty();
    } finally {
      children.forEach(ProcessHandle::destroyForcibly); // the backgrounded sleep
    }
  }

  @Test
  void run_commandKilledBySignal_exitsWith128PlusTheSignal() {
    Cli.Result res = cli.run("run", "-p", "p", "--", "sh", "-c", "kill -9 $$");
    assertThat(res.code()).isEqualTo(137);
  }

  @Test
  void run_commandNotFound_exits127AndReleases() {
    Cli.Result res = cli.run("run", "-p", "p", "--", "no-such-command-here");
    assertThat(res.code()).isEqualTo(127);
    assertThat(res.err()).contains("cannot run 'no-such-command-here'");
    assertThat(cli.statusJson().get("leases")).isEmpty();
  }

  @Test
  void run_withoutDoubleDash_passesTheCommandsOwnOptionsThrough() {
    Cli.Result res = cli.run("run", "-p", "p", "sh", "-c", "echo $0-$1", "-x", "@file");
    assertThat(res.code()).as(res.describe()).isZero();
    assertThat(res.out()).isEqualTo("-x-@file");
  }

  @Test
  void run_quiet_saysNothingWhenQueued() {
    assertThat(cli.run("limits", "set", "p", "1").code()).isZero();
    Cli.Running holder = cli.start("run", "-p", "p", "--", "sh", "-c", Cli.HOLD);
    holder.awaitOut("holding"::equals);
    Cli.Running quiet = cli.start("run", "-p", "p", "--quiet", "--", "echo", "done");
    cli.awaitStatus(s -> s.get("waiters").size() == 1);
    Cli.Running loud = cli.start("run", "-p", "p", "--", "echo", "done");
    loud.awaitErr(l -> l.contains("queued at position 2 (1 ahead)"));

    holder.closeStdin();
    Cli.Result q = quiet.await();
    assertThat(q.code()).isZero();
    assertThat(q.err()).isEmpty();
    assertThat(loud.await().code()).isZero();
  }
}
