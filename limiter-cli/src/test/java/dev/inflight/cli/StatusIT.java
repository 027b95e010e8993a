package dev.inflight.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code status}, {@code limits}, {@code pause}/{@code resume} and {@code release}. */
class StatusIT {
  @TempDir Path home;
  Cli cli;

  @BeforeEach
  void setUp() {
    cli = new Cli(home);
  }

  @Test
  void statusJson_matchesWhatIsReallyHeldAndQueued() {
    assertThat(cli.run("limits", "set", "openai", "1").code()).isZero();
    Cli.Running holder =
        cli.start("run", "-p", "openai", "-l", "holder", "--", "sh", "-c", Cli.HOLD);
    holder.awaitOut("holding"::equals);
    Cli.Running first = cli.start("run", "-p", "openai", "-l", "first", "--", "true");
    first.awaitErr(l -> l.contains("queued at position 1"));
    Cli.Running second = cli.start("run", "-p", "openai", "-l", "second", "--", "true");
    second.awaitErr(l -> l.contains("queued at position 2"));
    Cli.Running unlimited = cli.start("run", "-p", "local", "--", "sh", "-c", Cli.HOLD);
    unlimited.awaitOut("holding"::equals);

    JsonNode s = cli.statusJson();

    assertThat(s.get("providers")).hasSize(2);
    JsonNode local = s.get("providers").get(0);
    assertThat(local.get("provider").asText()).isEqualTo("local");
    assertThat(local.get("limit").isNull()).isTrue();
    assertThat(local.get("active").asInt()).isEqualTo(1);
    JsonNode openai = s.get("providers").get(1);
    assertThat(openai.get("provider").asText()).isEqualTo("openai");
    assertThat(openai.get("limit").asInt()).isEqualTo(1);
    assertThat(openai.get("active").asInt()).isEqualTo(1);
    assertThat(openai.get("cooling").asInt()).isZero();
    assertThat(openai.get("queued").asInt()).isEqualTo(2);
    assertThat(openai.get("paused").asBoolean()).isFalse();

    assertThat(s.get("leases")).hasSize(2);
    JsonNode held = leaseOf(s, "openai");
    assertThat(held.get("id").isIntegralNumber()).isTrue();
    assertThat(held.get("pid").asLong()).isEqualTo(holder.pid());
    assertThat(held.get("label").asText()).isEqualTo("holder");
    assertThat(held.get("held_ms").asLong()).isNotNegative();
    assertThat(leaseOf(s, "local").get("pid").asLong()).isEqualTo(unlimited.pid());

    assertThat(s.get("waiters")).hasSize(2);
    JsonNode w1 = s.get("waiters").get(0);
    JsonNode w2 = s.get("waiters").get(1);
    assertThat(w1.get("provider").asText()).isEqualTo("openai");
    assertThat(w1.get("position").asInt()).isEqualTo(1);
    assertThat(w1.get("pid").asLong()).isEqualTo(first.pid());
    assertThat(w1.get("label").asText()).isEqualTo("first");
    assertThat(w1.get("waited_ms").asLong()).isNotNegative();
    assertThat(w2.get("position").asInt()).isEqualTo(2);
    assertThat(w2.get("pid").asLong()).isEqualTo(second.pid());

    holder.closeStdin();
    unlimited.closeStdin();
    for (Cli.Running r : new Cli.Running[] {holder, first, second, unlimited}) {
      assertThat(r.await().code()).isZero();
    }
    JsonNode after = cli.statusJson();
    assertThat(after.get("providers")).hasSize(1); // "local" has no limit and nothing held
    assertThat(after.get("leases")).isEmpty();
    assertThat(after.get("waiters")).isEmpty();
  }

  private static JsonNode leaseOf(JsonNode status, String provider) {
    for (JsonNode l : status.get("leases")) {
      if (l.get("provider").asText().equals(provider)) {
        return l;
      }
    }
    throw new AssertionError("no lease of " + provider + " in " + status);
  }

  @Test
  void status_human_showsAlignedTablesOfProvidersLeasesAndWaiters() {
    assertThat(cli.run("limits", "set", "openai", "1").code()).isZero();
    Cli.Running holder =
        cli.start("run", "-p", "openai", "-l", "planner", "--", "sh", "-c", Cli.HOLD);
    holder.awaitOut("holding"::equals);
    Cli.Running waiter = cli.start("run", "-p", "openai", "-l", "writer", "--", "true");
    waiter.awaitErr(l -> l.contains("queued at position 1"));

    Cli.Result r = cli.run("status");

    assertThat(r.code()).isZero();
    assertThat(r.out())
        .contains("PROVIDER  LIMIT  ACTIVE  COOLING  QUEUED  PAUSED")
        .contains("openai        1       1        0       1  no")
        .contains("Active leases:")
        .contains("planner")
        .contains("Waiting:")
        .contains("writer");
    holder.closeStdin();
    assertThat(holder.await().code()).isZero();
    assertThat(waiter.await().code()).isZero();
  }

  @Test
  void status_emptyDatabase_saysSoAndNamesTheFile() {
    Cli.Result r = cli.run("status");
    assertThat(r.code()).isZero();
    assertThat(r.out()).contains("No limits set").contains(home.resolve("limiter.db").toString());
  }

  @Test
  void limits_setListUnset_roundTrip() {
    assertThat(cli.run("limits", "set", "openai", "4", "--cooldown", "250ms").out())
        .isEqualTo("'openai': at most 4 in flight, each slot cooling for 250ms");
    assertThat(cli.run("limits", "set", "anthropic", "2").code()).isZero();
    assertThat(cli.run("limits", "set", "openai", "5").code()).isZero(); // keeps its cooldown

    JsonNode limits = cli.run("limits", "list", "--json").json().get("limits");
    assertThat(limits).hasSize(2);
    assertThat(limits.get(0).get("provider").asText()).isEqualTo("anthropic");
    assertThat(limits.get(1).get("max_in_flight").asInt()).isEqualTo(5);
    assertThat(limits.get(1).get("cooldown_ms").asInt()).isEqualTo(250);
    assertThat(cli.run("limits", "list").out())
        .contains("PROVIDER   MAX  COOLDOWN  PAUSED")
        .contains("openai       5     250ms  no");

    assertThat(cli.run("limits", "unset", "anthropic").out()).contains("is now unlimited");
    assertThat(cli.run("limits", "unset", "anthropic").out()).contains("had no limit");
    assertThat(cli.run("limits", "list", "--json").json().get("limits")).hasSize(1);
  }

  @Test
  void pauseAndResume_showInStatusAndHoldBackGrants() {
    assertThat(cli.run("limits", "set", "p", "3").code()).isZero();
    assertThat(cli.run("pause", "p").code()).isZero();
    assertThat(cli.statusJson().get("providers").get(0).get("paused").asBoolean()).isTrue();
    Cli.Result held = cli.run("run", "-p", "p", "--timeout", "200ms", "--", "true");
    assertThat(held.code()).isEqualTo(75);
    assertThat(held.err()).contains("paused");

    assertThat(cli.run("resume", "p").code()).isZero();
    assertThat(cli.statusJson().get("providers").get(0).get("paused").asBoolean()).isFalse();
    assertThat(cli.run("run", "-p", "p", "--timeout", "60s", "--", "true").code()).isZero();
  }

  @Test
  void release_freesAStuckLeaseAndSaysWhatItReleased() {
    Cli.Running holder =
        cli.start(
            "run",
            "-p",
            "p",
            "-l",
            "stuck",
            "--",
            "sh",
            "-c",
            "echo $INFLIGHT_LEASE_ID; read x || true");
    String id = holder.awaitOut(l -> l.matches("[0-9]+"));

    Cli.Result r = cli.run("release", id);

    assertThat(r.code()).as(r.describe()).isZero();
    assertThat(r.out())
        .startsWith("released lease " + id + " for 'p' held by pid " + holder.pid() + " ('stuck')");
    assertThat(cli.statusJson().get("leases")).isEmpty();
    holder.closeStdin();
    Cli.Result end = holder.await();
    assertThat(end.code()).isZero();
    assertThat(end.err()).contains("was force-released or reclaimed before COMMAND ended");
  }

  @Test
  void home_comesFromInflightHomeWhenNoOptionIsGiven() {
    Cli.Result set =
        Cli.runRaw(Map.of("INFLIGHT_HOME", home.toString()), "limits", "set", "e", "3");
    assertThat(set.code()).as(set.describe()).isZero();
    assertThat(
            cli.run("limits", "list", "--json")
                .json()
                .get("limits")
                .get(0)
                .get("provider")
                .asText())
        .isEqualTo("e");
    // --home also works after the command name
    assertThat(
            Cli.runRaw(Map.of(), "status", "--json", "--home", home.toString())
                .json()
                .get("providers"))
        .hasSize(1);
  }

  @Test
  void help_everyCommand_hasAnExample() {
    String[][] commands = {
      {},
      {"status"},
      {"limits"},
      {"limits", "list"},
      {"limits", "set"},
      {"limits", "unset"},
      {"pause"},
      {"resume"},
      {"report-429"},
      {"run"},
      {"release"}
    };
    for (String[] c : commands) {
      String[] args = java.util.Arrays.copyOf(c, c.length + 1);
      args[c.length] = "--help";
      Cli.Result r = Cli.runRaw(Map.of(), args);
      assertThat(r.code()).as(r.describe()).isZero();
      assertThat(r.out()).as(r.describe()).contains("Usage: inflight").contains("Example");
    }
  }

  @Test
  void rowsWrittenBeforeTheDatabaseRefusedThem_neverReachTheTerminalRaw_andListingsAgree() {
    Cli cli = new Cli(home);
    assertThat(cli.run("limits", "set", "openai", "2").code()).isZero();
    java.nio.file.Path db = home.resolve("limiter.db");
    long now = System.currentTimeMillis();
    // What a foreign client could write before schema version 3 refused it.
    String sql =
        "DROP TRIGGER limits_text_insert; DROP TRIGGER leases_text_insert;"
            + " INSERT INTO limits (provider, max_in_flight) VALUES (CAST(x'ff' AS TEXT), 1);"
            + " INSERT INTO processes (id, host, host_id, pid, start_token, name, started_at_ms,"
            + " heartbeat_at_ms, expires_at_ms) VALUES (77, 'elsewhere', 'another-host', 4242,"
            + " 's', 'python3', "
            + now
            + ", "
            + now
            + ", "
            + (now + 3_600_000)
            + ");"
            + " INSERT INTO leases (token, provider, owner_id, pid, label, queued_at_ms,"
            + " acquired_at_ms) VALUES ('cccccccccccccccccccccccc', 'openai', 77, 4242,"
            + " 'x' || char(27) || '[2J', "
            + now
            + ", "
            + now
            + ")";
    assertThat(dev.inflight.testing.Tools.sqlite3(db, sql).code()).isZero();

    Cli.Result status = cli.run("status");
    Cli.Result list = cli.run("limits", "list");

    assertThat(status.code()).as(status.describe()).isZero();
    assertThat(status.out()).doesNotContain("\u001b").contains("x\\u001b[2J");
    assertThat(status.out()).doesNotContain("\ufffd");
    assertThat(list.out()).doesNotContain("\ufffd").contains("openai");
    assertThat(status.err() + list.err())
        .contains("whose provider is not valid UTF-8 (bytes FF); it is ignored");
  }
}
