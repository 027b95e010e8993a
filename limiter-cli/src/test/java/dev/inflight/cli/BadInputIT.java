package dev.inflight.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Exit codes and messages for bad input (2, nothing changed) and for failures (1). */
class BadInputIT {
  /** Shared by the bad-input cases: none of them may change it, which each case checks. */
  @TempDir static Path shared;

  @TempDir Path home;

  @BeforeAll
  static void limitsToKeep() {
    Cli.Result r = new Cli(shared).run("limits", "set", "p", "3", "--cooldown", "1s");
    assertThat(r.code()).as(r.describe()).isZero();
  }

  static Stream<Arguments> badInput() {
    return Stream.of(
        bad("max_in_flight must be an integer from 1 to 10000 (was 0)", "limits", "set", "p", "0"),
        bad(
            "max_in_flight must be an integer from 1 to 10000 (was -1)",
            "limits",
            "set",
            "p",
            "-1"),
        bad(
            "max_in_flight must be an integer from 1 to 10000 (was \"2.5\")",
            "limits",
            "set",
            "p",
            "2.5"),
        bad(
            "max_in_flight must be an integer from 1 to 10000 (was \"abc\")",
            "limits",
            "set",
            "p",
            "abc"),
        bad(
            "max_in_flight must be an integer from 1 to 10000 (was 10001)",
            "limits",
            "set",
            "p",
            "10001"),
        bad("provider must be 1 to 200 characters", "limits", "set", "", "2"),
        bad("provider must be 1 to 200 characters", "limits", "set", "x".repeat(201), "2"),
        bad(
            "cooldown must be whole milliseconds from 0 to 1h (was PT2H)",
            "limits",
            "set",
            "p",
            "2",
            "--cooldown",
            "2h"),
        bad("--cooldown", "limits", "set", "p", "2", "--cooldown", "soon"),
        bad("limits set needs MAX or an option to change", "limits", "set", "p"),
        bad(
            "--rpm must be an integer from 1 to 1000000, or 0 or none for no budget (was -5)",
            "limits",
            "set",
            "p",
            "--rpm",
            "-5"),
        bad(
            "--tpm must be an integer from 1 to 1000000000, or 0 or none for no budget (was"
                + " \"1.5\")",
            "limit",
            "set",
            "p",
            "--tpm",
            "1.5"),
        bad(
            "--default-tokens must be an integer from 0 to 100000000 (was \"many\")",
            "limits",
            "set",
            "p",
            "--default-tokens",
            "many"),
        bad(
            "--default-tokens must be at most --tpm (100 for \"p\")",
            "limits",
            "set",
            "p",
            "--tpm",
            "100",
            "--default-tokens",
            "200"),
        bad(
            "--aging must be whole milliseconds from 1s to 1h (was 10ms)",
            "limits",
            "set",
            "p",
            "--aging",
            "10ms"),
        bad(
            "--aging applies to a provider's limit only, not to a model's (was --aging 10s for"
                + " \"p/m\"; set it on \"p\")",
            "limits",
            "set",
            "p/m",
            "2",
            "--aging",
            "10s"),
        bad(
            "--cooldown applies to a provider's limit only",
            "limits",
            "set",
            "p/m",
            "--cooldown",
            "1s"),
        bad(
            "MAX may be none only while --rpm or --tpm gives a budget",
            "limits",
            "set",
            "p",
            "none"),
        bad(
            "MAX is needed for a new limit unless --rpm or --tpm gives a budget",
            "limits",
            "set",
            "p/m",
            "--default-tokens",
            "5"),
        bad(
            "KEY must be PROVIDER or PROVIDER/MODEL, with a model after the slash (was \"p/\")",
            "limits",
            "set",
            "p/",
            "2"),
        bad(
            "KEY must be PROVIDER or PROVIDER/MODEL, with a provider before the slash (was"
                + " \"/m\")",
            "limits",
            "unset",
            "/m"),
        bad(
            "model must be the model's own name under its provider (was \"p/m\" under \"p\";"
                + " give \"m\")",
            "limits",
            "set",
            "p/p/m",
            "2"),
        bad(
            "model must be at most 200 characters with no control characters (was"
                + " \"a\\u0009b\")",
            "limits",
            "set",
            "p/a\tb",
            "2"),
        bad(
            "--weight must be an integer from 1 to 10000 (was 0)",
            "run",
            "-p",
            "p",
            "--weight",
            "0",
            "--",
            "true"),
        bad(
            "--weight must be an integer from 1 to 10000 (was \"2.5\")",
            "run",
            "-p",
            "p",
            "--weight",
            "2.5",
            "--",
            "true"),
        bad(
            "weight must be at most the in-flight limit of p (3), or the request for p could"
                + " never be granted (was 4)",
            "run",
            "-p",
            "p",
            "--weight",
            "4",
            "--",
            "true"),
        bad(
            "--priority must be interactive, normal or batch (was \"urgent\")",
            "run",
            "-p",
            "p",
            "--priority",
            "urgent",
            "--",
            "true"),
        bad(
            "--tokens must be an integer from 0 to 100000000 (was -1)",
            "run",
            "-p",
            "p",
            "--tokens",
            "-1",
            "--",
            "true"),
        bad(
            "--tokens must be an integer from 0 to 100000000 (was 99999999999)",
            "run",
            "-p",
            "p",
            "--tokens",
            "99999999999",
            "--",
            "true"),
        bad(
            "--provider must be PROVIDER or PROVIDER/MODEL, with a model after the slash (was"
                + " \"p/\")",
            "run",
            "-p",
            "p/",
            "--",
            "true"),
        bad(
            "model must be at most 200 characters with no control characters",
            "run",
            "-p",
            "p/a\u001bb",
            "--",
            "true"),
        bad("provider must have a limit to pause", "pause", "nolimit"),
        bad(
            "PROVIDER must be a provider: 'pause' applies to a provider as a whole, not to one of"
                + " its models (was \"p/m\"; give \"p\")",
            "pause",
            "p/m"),
        bad("'report-429' applies to a provider as a whole", "report-429", "p/m"),
        bad("provider must have a limit to resume", "resume", "nolimit"),
        bad("provider must be 1 to 200 characters", "pause", "bad\tname"),
        bad("LEASE_ID must be a positive integer", "release", "abc"),
        bad("LEASE_ID must be a positive integer", "release", "0"),
        bad("Missing required option: '--provider=PROVIDER[/MODEL]'", "run", "--", "true"),
        bad("Missing required parameter: 'COMMAND'", "run", "--provider", "p"),
        bad(
            "Invalid value for option '--timeout': expected a duration such as 250ms, 30s, 5m, 1h, 2d or PT30S (was \"soon\")",
            "run",
            "-p",
            "p",
            "--timeout",
            "soon",
            "--",
            "true"),
        bad(
            "Invalid value for option '--timeout'",
            "run",
            "-p",
            "p",
            "--timeout",
            "-5s",
            "--",
            "true"),
        bad("provider must be 1 to 200 characters", "run", "-p", "", "--", "true"),
        bad("label must be at most 200 characters", "run", "-p", "p", "-l", "a\nb", "--", "true"),
        bad("should be specified only once", "run", "-p", "p", "-p", "q", "--", "true"),
        bad("provider must be 1 to 200 characters", "report-429", ""),
        bad("Missing required parameter: 'PROVIDER'", "report-429"),
        bad(
            "retryAfter must be from 0 to 24h (was PT25H)",
            "report-429",
            "p",
            "--retry-after",
            "25h"),
        bad("Invalid value for option '--retry-after'", "report-429", "p", "--retry-after", "-1s"),
        bad("Invalid value for option '--retry-after'", "report-429", "p", "--retry-after", "soon"),
        bad(
            "--rate-limited-exit-code must be an integer from 1 to 255 (was 0)",
            "run",
            "-p",
            "p",
            "--rate-limited-exit-code",
            "0",
            "--",
            "true"),
        bad(
            "--rate-limited-exit-code must be an integer from 1 to 255 (was 256)",
            "run",
            "-p",
            "p",
            "--rate-limited-exit-code",
            "256",
            "--",
            "true"),
        bad(
            "--rate-limited-exit-code must be an integer from 1 to 255 (was \"4x\")",
            "run",
            "-p",
            "p",
            "--rate-limited-exit-code=4x",
            "--",
            "true"),
        bad(
            "--retry-after applies only with --rate-limited-exit-code",
            "run",
            "-p",
            "p",
            "--retry-after",
            "5s",
            "--",
            "true"),
        bad(
            "retryAfter must be from 0 to 24h (was PT25H)",
            "run",
            "-p",
            "p",
            "--rate-limited-exit-code",
            "42",
            "--retry-after",
            "25h",
            "--",
            "true"),
        bad(
            "should be specified only once",
            "limits",
            "set",
            "p",
            "3",
            "--adaptive",
            "--no-adaptive"),
        bad(
            "--timeout must be from 0 to 30d (was PT2562047788015215H",
            "run",
            "-p",
            "p",
            "--timeout",
            "PT2562047788015215H",
            "--",
            "true"),
        bad(
            "--timeout must be from 0 to 30d (was PT744H)",
            "run",
            "-p",
            "p",
            "--timeout",
            "31d",
            "--",
            "true"),
        bad("provider must be valid UTF-8 text", "limits", "set", "caf\uFFFD", "2"),
        bad("label must be valid UTF-8 text", "run", "-p", "p", "-l", "\uFFFD", "--", "true"),
        bad(
            "COMMAND's argument 1 must be valid UTF-8 text",
            "run",
            "-p",
            "p",
            "--",
            "echo",
            "\uFFFD"),
        bad("Unknown option: '--bogus'", "status", "--bogus"),
        bad("inflight: unknown command 'frobnicate'", "frobnicate"),
        bad("inflight: unknown command 'sett'\nDid you mean", "limits", "sett"),
        bad("inflight: unexpected argument 'extra'", "limits", "list", "extra"),
        bad("missing command", "limits"));
  }

  private static Arguments bad(String message, String... args) {
    return Arguments.of(String.join(" ", args), message, args);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badInput")
  void badInput_exits2_namesTheProblem_andChangesNothing(
      String name, String message, String[] args) {
    Cli cli = new Cli(shared);
    String before = cli.run("status", "--json").out(); // limits, cooldowns, pauses, leases, waiters
    assertThat(before).contains("\"provider\":\"p\",\"limit\":3");

    Cli.Result r = cli.run(args);

    assertThat(r.code()).as(r.describe()).isEqualTo(2);
    assertThat(r.err()).as(r.describe()).contains(message).doesNotContain("\tat ");
    assertThat(r.out()).isEmpty();
    assertThat(cli.run("status", "--json").out()).isEqualTo(before);
  }

  @Test
  void badInput_onAFreshHome_doesNotEvenCreateTheDatabase() {
    Path fresh = home.resolve("fresh");
    Cli cli = new Cli(fresh);
    assertThat(cli.run("limits", "set", "p", "2.5").code()).isEqualTo(2);
    assertThat(cli.run("run", "-p", "", "--", "true").code()).isEqualTo(2);
    assertThat(cli.run("release", "x").code()).isEqualTo(2);
    assertThat(cli.run("report-429", "p", "--retry-after", "25h").code()).isEqualTo(2);
    assertThat(cli.run("run", "-p", "p", "--rate-limited-exit-code", "0", "--", "true").code())
        .isEqualTo(2);
    assertThat(cli.run("limit", "set", "p/m", "--rpm", "-5").code()).isEqualTo(2);
    assertThat(cli.run("limit", "set", "p/m", "--default-tokens", "5").code()).isEqualTo(2);
    assertThat(cli.run("limit", "set", "p", "--tpm", "10", "--default-tokens", "50").code())
        .isEqualTo(2);
    assertThat(cli.run("run", "-p", "p/", "--weight", "0", "--", "true").code()).isEqualTo(2);
    assertThat(fresh).doesNotExist();
  }

  @Test
  void releaseOfAnUnknownLease_exits1AndNamesTheDatabase() {
    Cli.Result r = new Cli(home).run("release", "424242");
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err()).contains("no active lease has id 424242").contains(home.toString());
  }

  @Test
  void homeThatIsAFile_exits1WithThePathAndTheCause_andNoStackTrace() throws IOException {
    Path file = Files.writeString(home.resolve("not-a-dir"), "x");
    Cli.Result r = new Cli(file).run("status");
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err()).contains(file.resolve("limiter.db").toString()).doesNotContain("\tat ");
  }

  @Test
  void corruptDatabase_exits1WithThePathAndTheCause_andStackTraceOnlyWhenVerbose()
      throws IOException {
    Files.writeString(
        home.resolve("limiter.db"), "this is not an SQLite database, not at all ".repeat(50));
    Cli cli = new Cli(home);

    Cli.Result r = cli.run("limits", "list");
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err())
        .startsWith("inflight: ")
        .contains(home.resolve("limiter.db").toString())
        .contains("not an SQLite database")
        .doesNotContain("\tat ");

    Cli.Result verbose = cli.run("--verbose", "limits", "list");
    assertThat(verbose.code()).isEqualTo(1);
    assertThat(verbose.err()).contains("\tat ");
  }

  @Test
  void emptyHome_isRefused_insteadOfUsingTheCurrentDirectory() {
    Cli.Result r = Cli.runRaw(java.util.Map.of(), "--home", "", "status");
    assertThat(r.code()).as(r.describe()).isEqualTo(2);
    assertThat(r.err()).contains("--home must name a directory (was \"\"");
  }

  @Test
  void homeWhereNoFileCanBeCreated_namesTheCause() {
    Cli.Result r = Cli.runRaw(java.util.Map.of(), "--home", "/proc", "status");
    assertThat(r.code()).as(r.describe()).isEqualTo(1);
    assertThat(r.err())
        .contains("cannot create the database /proc/limiter.db: ")
        .contains("/proc does not take new files")
        .doesNotContain("\tat ");
  }

  @Test
  void danglingSymlinkInPlaceOfTheDatabase_isNamedAsSuch() throws IOException {
    Files.createSymbolicLink(home.resolve("limiter.db"), home.resolve("gone.db"));
    Cli.Result r = new Cli(home).run("status");
    assertThat(r.code()).as(r.describe()).isEqualTo(1);
    assertThat(r.err())
        .contains("it is a symbolic link to " + home.resolve("gone.db") + ", which does not exist");
  }

  @Test
  void outputToAFullDisk_exits1AndSaysSo() {
    for (String cmd : new String[] {"status", "limits list", "status --json"}) {
      Cli.Result r = Cli.shell("exec \"$0\" --home '" + shared + "' " + cmd + " > /dev/full");
      assertThat(r.code()).as(cmd + ": " + r.describe()).isEqualTo(1);
      assertThat(r.err()).contains("inflight: cannot write the output: No space left on device");
    }
  }

  @Test
  void providerIds_typedUnderTheCLocale_keepTheirCharacters_andStayDistinct() {
    java.util.Map<String, String> c = java.util.Map.of("LC_ALL", "C", "LANG", "C");
    Cli.Result e = Cli.runRaw(c, "--home", home.toString(), "limits", "set", "café", "1");
    Cli.Result u = Cli.runRaw(c, "--home", home.toString(), "limits", "set", "cafü", "2");
    assertThat(e.code()).as(e.describe()).isZero();
    assertThat(u.code()).as(u.describe()).isZero();
    Cli.Result list = Cli.runRaw(c, "--home", home.toString(), "limits", "list", "--json");
    assertThat(list.out()).contains("\"café\"").contains("\"cafü\"");
  }

  @Test
  void runUnderTheCLocale_givesCommandTheCallersLocale() {
    java.util.Map<String, String> c = java.util.Map.of("LC_ALL", "C");
    Cli.Result r =
        Cli.runRaw(
            c,
            "--home",
            home.toString(),
            "run",
            "-p",
            "p",
            "--",
            "sh",
            "-c",
            "echo \"LC_ALL=$LC_ALL saved=${INFLIGHT_SAVED_LC_ALL-none}\"");
    assertThat(r.code()).as(r.describe()).isZero();
    assertThat(r.out()).isEqualTo("LC_ALL=C saved=none");
  }

  @Test
  void invalidUtf8InAProviderId_isRefused_notTurnedIntoAnotherName() {
    Cli.Result r =
        Cli.shell("exec \"$0\" --home '" + home + "' limits set \"$(printf 'caf\\377')\" 2");
    assertThat(r.code()).as(r.describe()).isEqualTo(2);
    assertThat(r.err()).contains("provider must be valid UTF-8 text");
    assertThat(home.resolve("limiter.db")).doesNotExist();
  }

  @Test
  void underUmask277_theDatabaseIsStillCreatedReadableAndWritable() throws IOException {
    Path fresh = home.resolve("umask");
    for (int i = 0; i < 2; i++) {
      Cli.Result r = Cli.shell("umask 277; exec \"$0\" --home '" + fresh + "' run -p p -- true");
      assertThat(r.code()).as(r.describe()).isZero();
    }
    assertThat(Files.getPosixFilePermissions(fresh.resolve("limiter.db")))
        .isEqualTo(java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
    assertThat(Files.getPosixFilePermissions(fresh))
        .isEqualTo(java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
  }

  @Test
  void aHostNameWithControlCharacters_isRecordedWithoutThem_andRunStillWorks() {
    Cli.Result r =
        Cli.runRaw(
            java.util.Map.of("HOSTNAME", "box\u001b[31mred"),
            "--home",
            home.toString(),
            "run",
            "-p",
            "p",
            "--",
            "true");
    assertThat(r.code()).as(r.describe()).isZero();
    assertThat(r.err()).doesNotContain("RAISE");
  }
}
