package dev.inflight.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * 429s from scripts ({@code report-429}, {@code run --rate-limited-exit-code}), lifting them with
 * {@code resume}, and adaptive limits. Pauses here are minutes long, so nothing depends on time
 * passing; short timeouts are only deadlines.
 */
class UpstreamIT {
  /** An ISO-8601 UTC instant with milliseconds, as status --json and report-429 print it. */
  private static final String ISO = "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z";

  @TempDir Path home;
  Cli cli;

  @BeforeEach
  void setUp() {
    cli = new Cli(home);
  }

  private JsonNode provider(String name) {
    for (JsonNode p : cli.statusJson().get("providers")) {
      if (p.get("provider").asText().equals(name)) {
        return p;
      }
    }
    throw new AssertionError("no provider " + name + " in status");
  }

  @Test
  void report429_pausesEveryProcess_andStatusSaysUntilWhenAndWhy() {
    assertThat(cli.run("limits", "set", "p", "2").code()).isZero();

    Cli.Result r = cli.run("report-429", "p", "--retry-after", "10m");

    assertThat(r.code()).as(r.describe()).isZero();
    assertThat(r.out()).startsWith("'p' is paused for every process until ").containsPattern(ISO);
    JsonNode p = provider("p");
    assertThat(p.get("paused_until").asText()).matches(ISO);
    assertThat(r.out()).contains(p.get("paused_until").asText());
    assertThat(p.get("paused_reason").asText()).isEqualTo("429 reported");
    assertThat(p.get("paused_left_ms").asLong()).isBetween(1L, 600_000L);
    assertThat(p.get("paused").asBoolean()).as("the flag of 'inflight pause'").isFalse();
    assertThat(p.get("effective_limit").asInt()).isEqualTo(2);
    assertThat(p.get("adaptive").asBoolean()).isFalse();
    assertThat(p.get("upstream_in_flight").isNull()).isTrue();
    assertThat(cli.run("status").out())
        .containsPattern("p +2 +0 +0 +0  until .* left, 429 reported\\)");

    Cli.Result held = cli.run("run", "-p", "p", "--timeout", "300ms", "--", "echo", "never");
    assertThat(held.code()).as(held.describe()).isEqualTo(75);
    assertThat(held.out()).isEmpty();
  }

  @Test
  void resume_liftsA429PauseEarly_andWaitersAreGranted() {
    assertThat(cli.run("limits", "set", "p", "2").code()).isZero();
    assertThat(cli.run("report-429", "p", "--retry-after", "10m").code()).isZero();
    Cli.Running waiter = cli.start("run", "-p", "p", "--", "echo", "granted");
    waiter.awaitErr(l -> l.contains("queued at position 1"));

    Cli.Result r = cli.run("resume", "p");

    assertThat(r.code()).as(r.describe()).isZero();
    assertThat(r.out()).startsWith("'p' is resumed (the 429 pause until ").endsWith(" is lifted)");
    Cli.Result granted = waiter.await();
    assertThat(granted.code()).as(granted.describe()).isZero();
    assertThat(granted.out()).isEqualTo("granted");
    JsonNode p = provider("p");
    assertThat(p.get("paused_until").isNull()).isTrue();
    assertThat(p.get("paused_reason").isNull()).isTrue();
    assertThat(p.get("paused_left_ms").asLong()).isZero();
  }

  @Test
  void report429_ofAnUnlimitedProvider_holdsItBack_untilResumed() {
    assertThat(cli.run("report-429", "local", "--retry-after", "1h").code()).isZero();
    JsonNode p = provider("local");
    assertThat(p.get("limit").isNull()).isTrue();
    assertThat(p.get("effective_limit").isNull()).isTrue();
    assertThat(p.get("paused_until").asText()).matches(ISO);
    assertThat(cli.run("run", "-p", "local", "--timeout", "300ms", "--", "true").code())
        .isEqualTo(75);

    assertThat(cli.run("resume", "local").code()).isZero();
    assertThat(cli.statusJson().get("providers")).isEmpty();
    assertThat(cli.run("run", "-p", "local", "--timeout", "60s", "--", "true").code()).isZero();
  }

  @Test
  void report429_shorterThanAPauseInForce_keepsTheLongerOne() {
    assertThat(cli.run("report-429", "p", "--retry-after", "1h").code()).isZero();
    String until = provider("p").get("paused_until").asText();

    Cli.Result r = cli.run("report-429", "p", "--retry-after", "5m");

    assertThat(r.code()).isZero();
    assertThat(r.out())
        .startsWith("'p' was already paused for every process until ")
        .contains(until);
    assertThat(provider("p").get("paused_until").asText()).isEqualTo(until);
  }

  @Test
  void run_rateLimitedExitCode_pausesTheProvider_lowersAnAdaptiveLimit_andExitsWithTheCode() {
    assertThat(cli.run("limits", "set", "p", "2", "--adaptive").code()).isZero();

    Cli.Result r =
        cli.run(
            "run",
            "-p",
            "p",
            "--rate-limited-exit-code",
            "42",
            "--retry-after",
            "10m",
            "--",
            "sh",
            "-c",
            "exit 42");

    assertThat(r.code()).as(r.describe()).isEqualTo(42);
    JsonNode s = cli.statusJson();
    assertThat(s.get("leases")).isEmpty();
    JsonNode p = s.get("providers").get(0);
    assertThat(p.get("paused_reason").asText()).isEqualTo("429 from the provider");
    assertThat(p.get("paused_left_ms").asLong()).isBetween(1L, 600_000L);
    assertThat(p.get("limit").asInt()).isEqualTo(2);
    assertThat(p.get("effective_limit").asInt()).isEqualTo(1);
    assertThat(cli.run("status").out())
        .contains("1 of 2")
        .contains("left, 429 from the provider)")
        .contains("\"N of M\"");
    Cli.Result held = cli.run("run", "-p", "p", "--timeout", "300ms", "--", "true");
    assertThat(held.code()).as(held.describe()).isEqualTo(75);
  }

  @Test
  void run_rateLimitedExitCode_withoutRetryAfter_pausesForTheDefault30s() {
    Cli.Result r =
        cli.run("run", "-p", "p", "--rate-limited-exit-code", "3", "--", "sh", "-c", "exit 3");

    assertThat(r.code()).as(r.describe()).isEqualTo(3);
    JsonNode p = provider("p");
    assertThat(p.get("paused_until").asText()).matches(ISO);
    assertThat(p.get("paused_left_ms").asLong()).isBetween(1L, 30_000L);
  }

  @Test
  void run_otherExitCodes_doNotPause() {
    assertThat(cli.run("limits", "set", "p", "2", "--adaptive").code()).isZero();

    assertThat(
            cli.run("run", "-p", "p", "--rate-limited-exit-code", "42", "--", "sh", "-c", "exit 7")
                .code())
        .isEqualTo(7);
    assertThat(cli.run("run", "-p", "p", "--rate-limited-exit-code", "42", "--", "true").code())
        .isZero();

    JsonNode p = provider("p");
    assertThat(p.get("paused_until").isNull()).isTrue();
    assertThat(p.get("effective_limit").asInt()).isEqualTo(2);
  }

  @Test
  void limitsSet_adaptive_isListed_keptBySetWithoutIt_andEndedByNoAdaptive() {
    Cli.Result set = cli.run("limits", "set", "openai", "4", "--adaptive");
    assertThat(set.out()).isEqualTo("'openai': at most 4 in flight, adaptive");
    JsonNode l = cli.run("limits", "list", "--json").json().get("limits").get(0);
    assertThat(l.get("adaptive").asBoolean()).isTrue();
    assertThat(cli.run("limits", "list").out())
        .contains("PROVIDER  MAX  COOLDOWN  PAUSED  ADAPTIVE")
        .contains("openai      4       0ms  no      yes");
    assertThat(provider("openai").get("adaptive").asBoolean()).isTrue();

    // 'set' changes only what it is given: a new MAX keeps the limit adaptive.
    assertThat(cli.run("limits", "set", "openai", "5").out())
        .isEqualTo("'openai': at most 5 in flight, adaptive");
    assertThat(
            cli.run("limits", "list", "--json")
                .json()
                .get("limits")
                .get(0)
                .get("adaptive")
                .asBoolean())
        .isTrue();
    assertThat(cli.run("limits", "set", "openai", "4", "--no-adaptive").out())
        .isEqualTo("'openai': at most 4 in flight");
    assertThat(provider("openai").get("adaptive").asBoolean()).isFalse();
  }
}
