package dev.inflight.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The limit model on the command line: models under their providers, per-minute budgets, weights,
 * priority classes, expected tokens and the token count COMMAND reports.
 */
class ModelLimitsIT {
  @TempDir Path home;
  Cli cli;

  @BeforeEach
  void setUp() {
    cli = new Cli(home);
  }

  @Test
  void limitsSet_modelAndBudgets_listBeneathTheirProvider_andUnsetRemovesTheModelOnly() {
    assertThat(cli.run("limit", "set", "openai", "4", "--cooldown", "250ms").out())
        .isEqualTo("'openai': at most 4 in flight, each slot cooling for 250ms");
    assertThat(cli.run("limit", "set", "openai/gpt-4o", "1", "--rpm", "30").out())
        .isEqualTo(
            "'openai/gpt-4o': at most 1 in flight, 30 requests a minute, within the limit of"
                + " 'openai', if any");
    // Read-modify-write: MAX and the cooldown are kept, the budgets are added.
    assertThat(cli.run("limit", "set", "openai", "--tpm", "30000", "--default-tokens", "500").out())
        .isEqualTo(
            "'openai': at most 4 in flight, each slot cooling for 250ms, 30000 tokens a minute,"
                + " 500 tokens per request by default");
    assertThat(cli.run("limit", "set", "openai", "--aging", "1m").code()).isZero();

    JsonNode limits = cli.run("limits", "list", "--json").json().get("limits");
    assertThat(limits).hasSize(1);
    JsonNode openai = limits.get(0);
    assertThat(openai.get("provider").asText()).isEqualTo("openai");
    assertThat(openai.get("limited").asBoolean()).isTrue();
    assertThat(openai.get("max_in_flight").asInt()).isEqualTo(4);
    assertThat(openai.get("cooldown_ms").asInt()).isEqualTo(250);
    assertThat(openai.get("requests_per_minute").isNull()).isTrue();
    assertThat(openai.get("tokens_per_minute").asLong()).isEqualTo(30000);
    assertThat(openai.get("default_tokens").asLong()).isEqualTo(500);
    assertThat(openai.get("aging_ms").asLong()).isEqualTo(60000);
    JsonNode model = openai.get("models").get(0);
    assertThat(model.get("model").asText()).isEqualTo("gpt-4o");
    assertThat(model.get("key").asText()).isEqualTo("openai/gpt-4o");
    assertThat(model.get("max_in_flight").asInt()).isEqualTo(1);
    assertThat(model.get("requests_per_minute").asInt()).isEqualTo(30);
    assertThat(model.get("tokens_per_minute").isNull()).isTrue();

    assertThat(cli.run("limits", "list").out())
        .contains("PROVIDER  MAX  RPM    TPM  DEFAULT TOKENS  COOLDOWN  AGING  PAUSED  ADAPTIVE")
        .contains("openai      4    -  30000             500     250ms     1m  no      no")
        .endsWith("\n  gpt-4o    1   30      -               -");

    // A budget is removed with "none"; the model keeps its cap.
    assertThat(cli.run("limit", "set", "openai/gpt-4o", "--rpm", "none").out())
        .startsWith("'openai/gpt-4o': at most 1 in flight, within");
    assertThat(cli.run("limit", "set", "openai", "--tpm", "none", "--default-tokens", "0").out())
        .isEqualTo("'openai': at most 4 in flight, each slot cooling for 250ms, aging every 1m");

    assertThat(cli.run("limits", "unset", "openai/gpt-4o").out())
        .isEqualTo("'openai/gpt-4o' has no limit of its own now: it counts against 'openai' alone");
    assertThat(cli.run("limits", "unset", "openai/gpt-4o").out())
        .contains("had no limit of its own (nothing changed)");
    JsonNode after = cli.run("limits", "list", "--json").json().get("limits");
    assertThat(after).hasSize(1);
    assertThat(after.get(0).get("models")).isEmpty();
    assertThat(after.get(0).get("max_in_flight").asInt()).isEqualTo(4);
  }

  @Test
  void limitsSet_budgetWithoutMax_hasNoCapInFlight_andAModelAloneListsItsProviderAsNoLimit() {
    assertThat(cli.run("limit", "set", "q", "--rpm", "10").out())
        .isEqualTo("'q': no cap in flight, 10 requests a minute");
    assertThat(cli.run("limit", "set", "r/m", "2").code()).isZero();

    JsonNode limits = cli.run("limits", "list", "--json").json().get("limits");
    assertThat(limits.get(0).get("provider").asText()).isEqualTo("q");
    assertThat(limits.get(0).get("max_in_flight").isNull()).isTrue();
    assertThat(limits.get(1).get("provider").asText()).isEqualTo("r");
    assertThat(limits.get(1).get("limited").asBoolean()).isFalse();
    assertThat(limits.get(1).get("models").get(0).get("max_in_flight").asInt()).isEqualTo(2);
    assertThat(cli.run("limits", "list").out())
        .contains("\nr (no limit)\n  m             2    -    -               -");
    assertThat(cli.run("status").out()).containsPattern("\nq +no cap +0 +0 +0 +0/10 rpm");
  }

  @Test
  void
      run_withModelWeightPriorityAndTokens_showsInStatus_andTheReportedCountReplacesTheReservation() {
    assertThat(cli.run("limit", "set", "openai", "4", "--tpm", "30000").code()).isZero();
    assertThat(cli.run("limit", "set", "openai/gpt-4o", "2", "--rpm", "30").code()).isZero();
    Cli.Running holder =
        cli.start(
            "run",
            "-p",
            "openai/gpt-4o",
            "--weight",
            "2",
            "--priority",
            "interactive",
            "--tokens",
            "1200",
            "-l",
            "holder",
            "--",
            "sh",
            "-c",
            "echo \"model=$INFLIGHT_MODEL provider=$INFLIGHT_PROVIDER\"; echo \"file=$INFLIGHT_USAGE_FILE\";"
                + " echo holding; read x || true; echo 850 > \"$INFLIGHT_USAGE_FILE\"");
    holder.awaitOut("holding"::equals);
    Cli.Running waiter =
        cli.start(
            "run", "-p", "openai/gpt-4o", "--priority", "batch", "-l", "waiter", "--", "true");
    waiter.awaitErr(
        l -> l.contains("waiting for a lease of 'openai/gpt-4o': queued at position 1"));

    JsonNode s = cli.statusJson();
    JsonNode openai = s.get("providers").get(0);
    assertThat(openai.get("active").asInt()).as("units, not leases").isEqualTo(2);
    assertThat(openai.get("queued").asInt()).isEqualTo(1);
    assertThat(openai.get("queued_by_class").get("batch").asInt()).isEqualTo(1);
    assertThat(openai.get("queued_by_class").get("interactive").asInt()).isZero();
    assertThat(openai.get("window").get("tokens_per_minute").asLong()).isEqualTo(30000);
    assertThat(openai.get("window").get("tokens").asLong()).isEqualTo(1200);
    assertThat(openai.get("window").get("requests").asInt()).isEqualTo(1);
    assertThat(openai.get("window").get("frees_at").asText()).endsWith("Z");
    JsonNode gpt = openai.get("models").get(0);
    assertThat(gpt.get("key").asText()).isEqualTo("openai/gpt-4o");
    assertThat(gpt.get("max_in_flight").asInt()).isEqualTo(2);
    assertThat(gpt.get("in_flight").asInt()).isEqualTo(2);
    assertThat(gpt.get("queued").asInt()).isEqualTo(1);
    assertThat(gpt.get("window").get("requests_per_minute").asInt()).isEqualTo(30);
    assertThat(gpt.get("window").get("requests").asInt()).isEqualTo(1);
    JsonNode lease = s.get("leases").get(0);
    assertThat(lease.get("provider").asText()).isEqualTo("openai");
    assertThat(lease.get("model").asText()).isEqualTo("gpt-4o");
    assertThat(lease.get("key").asText()).isEqualTo("openai/gpt-4o");
    assertThat(lease.get("weight").asInt()).isEqualTo(2);
    assertThat(lease.get("tokens").asLong()).isEqualTo(1200);
    JsonNode queued = s.get("waiters").get(0);
    assertThat(queued.get("model").asText()).isEqualTo("gpt-4o");
    assertThat(queued.get("priority").asText()).isEqualTo("batch");
    assertThat(queued.get("weight").asInt()).isEqualTo(1);

    String text = cli.run("status").out();
    assertThat(text)
        .containsPattern(
            "\nopenai +4 +2 +0 +1 \\(1 batch\\) +1\\.2k/30k tpm, frees in (\\d+s|1m) +no\n")
        .containsPattern("\n  gpt-4o +2 +2 +1 +1/30 rpm, frees in (\\d+s|1m)\n")
        .containsPattern("\n +\\d+ +openai/gpt-4o +2 +1200 +\\d+ +sh.* +holder ")
        .containsPattern("\nopenai/gpt-4o +1 +batch +\\d+ +true +waiter ");

    holder.closeStdin();
    Cli.Result held = holder.await();
    assertThat(held.code()).as(held.describe()).isZero();
    assertThat(held.out()).contains("model=gpt-4o provider=openai");
    assertThat(held.err()).isEmpty();
    Cli.Result waited = waiter.await();
    assertThat(waited.code()).as(waited.describe()).isZero();

    JsonNode after = cli.statusJson().get("providers").get(0);
    assertThat(after.get("window").get("tokens").asLong())
        .as("850 reported by the holder, 0 reserved by the waiter")
        .isEqualTo(850);
    assertThat(after.get("window").get("requests").asInt()).isEqualTo(2);
    assertThat(after.get("models").get(0).get("window").get("requests").asInt()).isEqualTo(2);
    String file = held.out().lines().filter(l -> l.startsWith("file=")).findFirst().orElseThrow();
    Path usage = Path.of(file.substring("file=".length()));
    assertThat(usage.getFileName().toString()).isEqualTo("used-tokens");
    assertThat(usage.getParent()).as("the private directory is deleted").doesNotExist();
  }

  @Test
  void
      run_usageFileWithSomethingElse_warnsNamingTheFileTheRuleAndTheValue_andKeepsTheReservation() {
    assertThat(cli.run("limit", "set", "p", "2", "--tpm", "10000").code()).isZero();
    Cli.Result r =
        cli.run(
            "run",
            "-p",
            "p",
            "--tokens",
            "700",
            "--",
            "sh",
            "-c",
            "echo lots > \"$INFLIGHT_USAGE_FILE\"; echo \"$INFLIGHT_USAGE_FILE\"");

    assertThat(r.code()).as(r.describe()).isZero();
    assertThat(r.err())
        .isEqualTo(
            "inflight: warning: INFLIGHT_USAGE_FILE "
                + r.out()
                + " must hold an integer from 0 to 100000000 (was \"lots\"); lease 1 is released"
                + " without a token count");
    assertThat(cli.statusJson().get("providers").get(0).get("window").get("tokens").asLong())
        .isEqualTo(700);
  }

  @Test
  void run_commandThatReportsNothing_releasesQuietly_andItsModelIsNotInheritedByANestedRun() {
    Cli.Result nested =
        Cli.runRaw(
            java.util.Map.of("INFLIGHT_LAUNCHER", Cli.LAUNCHER.toString(), "H", home.toString()),
            "--home",
            home.toString(),
            "run",
            "-p",
            "p/m",
            "--",
            "sh",
            "-c",
            "test -n \"$INFLIGHT_USAGE_FILE\" && echo \"outer=$INFLIGHT_MODEL\" && \"$INFLIGHT_LAUNCHER\""
                + " --home \"$H\" run -p p -- sh -c 'echo \"inner=${INFLIGHT_MODEL-unset}\"'");
    assertThat(nested.code()).as(nested.describe()).isZero();
    assertThat(nested.out()).isEqualTo("outer=m\ninner=unset");
    assertThat(nested.err()).isEmpty();
  }
}
