package dev.inflight.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.inflight.testing.Tools;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** Help, version, completion and the man page, as the real {@code bin/inflight} prints them. */
class HelpIT {
  @TempDir Path tmp;

  @Test
  void help_printsTheCommandList_withAppAndDemo_notASuggestion() {
    Cli.Result r = Cli.runRaw(Map.of(), "help");

    assertThat(r.code()).as(r.describe()).isZero();
    assertThat(r.err()).isEmpty();
    assertThat(r.out()).startsWith("Usage: inflight ").doesNotContain("Did you mean");
    for (picocli.CommandLine c : Commands.model().getSubcommands().values()) {
      assertThat(r.out())
          .contains(
              "\n  "
                  + c.getCommandName()
                  + (c.getCommandName().equals("limits") ? ", limit " : " "));
    }
    assertThat(r.out()).contains("  app ").contains("  demo ");
  }

  @Test
  void helpRun_printsRunsUsage_notItsMissingArgumentError() {
    Cli.Result r = Cli.runRaw(Map.of(), "help", "run");

    assertThat(r.code()).as(r.describe()).isZero();
    assertThat(r.err()).isEmpty();
    assertThat(r.out()).contains("Usage: inflight run ").contains("--provider=PROVIDER");
  }

  @Test
  void helpOfACommandsOwnCommand_printsThatOnesUsage() {
    Cli.Result r = Cli.runRaw(Map.of(), "help", "limits", "set");

    assertThat(r.code()).as(r.describe()).isZero();
    assertThat(r.out()).startsWith("Set the limit of a provider").contains("inflight limits set ");
  }

  @Test
  void helpOfAnUnknownCommand_namesItAndSuggests_exit2() {
    Cli.Result r = Cli.runRaw(Map.of(), "help", "limits", "sett");

    assertThat(r.code()).isEqualTo(ExitCodes.USAGE);
    assertThat(r.err()).startsWith("inflight: unknown command 'sett'\nDid you mean: limits set");
    assertThat(r.out()).isEmpty();
  }

  @Test
  void helpOfTheStatusAppsCommands_comesFromTheSameModel() {
    Cli.Result r = Cli.runRaw(Map.of(), "help", "demo");

    assertThat(r.code()).as(r.describe()).isZero();
    assertThat(r.out())
        .contains("Usage: inflight demo [-h] [--no-gui] [--agents=N] [--duration=DURATION]")
        .contains("private config root");
  }

  @Test
  void bareCommandAndBareLimits_sayWhatIsMissingAndTheHintOnce() {
    Cli.Result bare = Cli.runRaw(Map.of());
    Cli.Result limits = Cli.runRaw(Map.of(), "limits");

    assertThat(bare.code()).isEqualTo(ExitCodes.USAGE);
    assertThat(bare.err()).isEqualTo("inflight: missing command\nSee 'inflight --help'.");
    assertThat(limits.code()).isEqualTo(ExitCodes.USAGE);
    assertThat(limits.err())
        .isEqualTo("inflight: missing command: list, set or unset\nSee 'inflight limits --help'.");
  }

  @Test
  void version_showsTheBuildsVersionAndTheCommitOfThisCheckout() throws Exception {
    Cli.Result r = Cli.runRaw(Map.of(), "--version");

    assertThat(r.code()).as(r.describe()).isZero();
    String first = r.out().lines().findFirst().orElseThrow();
    String head = gitHead();
    if (head != null) { // the build read the same checkout
      assertThat(first)
          .matches(
              "inflight [0-9]+\\.[0-9]+\\.[0-9]+\\S* \\(commit "
                  + head
                  + "(-dirty)?(, built at [0-9a-f]{12}(-dirty)?)?\\)");
    } else { // a source tarball
      assertThat(first).matches("inflight [0-9]+\\.[0-9]+\\.[0-9]+\\S* \\(unknown commit\\)");
    }
  }

  @Test
  void subcommandUsage_showsItsOwnOptions_andTheGlobalOnesOnlyAsAPointer() {
    Cli.Result r = Cli.runRaw(Map.of(), "status", "--help");

    assertThat(r.out())
        .startsWith(
            "What every process holds and waits for, right now.\nUsage: inflight status [-hw] [--json]\n");
    assertThat(r.out())
        .doesNotContain("--home=DIR")
        .doesNotContain("--version")
        .contains("(global options --home DIR, --db URL, --verbose: see 'inflight --help')");
  }

  @Test
  void examples_arePrintedWhole_soTheyCanBePasted() {
    Cli.Result r = Cli.runRaw(Map.of("COLUMNS", "60"), "run", "--help");

    assertThat(r.out())
        .contains(
            "\n  inflight run --provider openai --label summary --timeout 5m -- python sum.py\n")
        .contains("\n  inflight run -p openai/gpt-4o --weight 2 --priority interactive \\\n");
  }

  @Test
  void completionScript_loadsInBash_andCompletesCommandsAndOptions() throws Exception {
    Path script = tmp.resolve("inflight-completion.bash");
    Files.writeString(script, Cli.runRaw(Map.of(), "completion", "bash").out());

    String words =
        bash(
            "source '"
                + script
                + "' 2>/dev/null\n"
                + "complete -p inflight\n"
                + "COMP_WORDS=(inflight st); COMP_CWORD=1; _complete_inflight 2>/dev/null\n"
                + "echo \"1:${COMPREPLY[*]}\"\n"
                + "COMP_WORDS=(inflight de); COMP_CWORD=1; _complete_inflight 2>/dev/null\n"
                + "echo \"2:${COMPREPLY[*]}\"\n"
                + "COMP_WORDS=(inflight limits s); COMP_CWORD=2; _complete_inflight 2>/dev/null\n"
                + "echo \"3:${COMPREPLY[*]}\"\n"
                + "COMP_WORDS=(inflight run --prov); COMP_CWORD=2; _complete_inflight 2>/dev/null\n"
                + "echo \"4:${COMPREPLY[*]}\"\n");

    assertThat(words)
        .contains("-F _complete_inflight inflight")
        .contains("1:status")
        .contains("2:demo")
        .contains("3:set")
        .contains("4:--provider");
  }

  @Test
  void completionScript_loadsInARealZshWithCompinit_andCompletesCommandsAndOptions()
      throws Exception {
    Tools.require("zsh", "zsh");
    Path script = tmp.resolve("inflight-completion.zsh");
    Files.writeString(script, Cli.runRaw(Map.of(), "completion", "zsh").out());
    Path lines = tmp.resolve("completed.txt");
    // An interactive zsh on a pseudo-terminal (zsh's zpty module), so that completion runs as when
    // a user presses Tab. Each case types the start of a line and Tab, then a key (^X r) bound to a
    // widget
    // that writes the line as completion left it to a file and clears it. zle handles keys in
    // order, so no case depends on how fast the shell is.
    Path driver = tmp.resolve("drive.zsh");
    Files.writeString(
        driver,
        String.join(
            "\n",
            "zmodload zsh/zpty",
            "zpty z zsh -f -i",
            "zpty -w z \"PROMPT='%% '; autoload -U compinit && compinit -u -D; source '"
                + script
                + "'; record() { print -r -- \\\"\\$BUFFER\\\" >> '"
                + lines
                + "'; BUFFER= }; zle -N record; bindkey '^Xr' record; echo __rea\\\"\\\"dy__\"",
            "zpty -r z out '*__ready__*'",
            "for c in 'inflight st' 'inflight de' 'inflight run --prov' 'inflight run --pri'"
                + " 'inflight limits s'; do",
            "  zpty -n -w z \"$c\"$'\\t\\C-xr'",
            "done",
            "zpty -w z 'echo __do\"\"ne__'",
            "zpty -r z out '*__done__*'",
            "zpty -d z",
            ""));

    String out = zsh(driver);

    assertThat(out).doesNotContain("command not found");
    assertThat(Files.readAllLines(lines))
        .as(out)
        .map(String::strip)
        .containsExactly(
            "inflight status",
            "inflight demo",
            "inflight run --provider",
            "inflight run --priority",
            "inflight limits set");
  }

  private static String zsh(Path driver) throws IOException, InterruptedException {
    ProcessBuilder pb =
        new ProcessBuilder("zsh", "-f", driver.toString()).redirectErrorStream(true);
    pb.environment().put("TERM", "xterm");
    Process p = pb.start();
    p.getOutputStream().close();
    java.util.concurrent.CompletableFuture<String> out =
        java.util.concurrent.CompletableFuture.supplyAsync(
            () -> {
              try {
                return new String(
                    p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
              } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
              }
            });
    if (!p.waitFor(Cli.HANG_GUARD.toSeconds(), java.util.concurrent.TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("zsh did not finish; it wrote: " + out.getNow("(nothing)"));
    }
    return out.join();
  }

  @Test
  void completion_ofAnotherShell_isRefusedWithTheRule() {
    Cli.Result r = Cli.runRaw(Map.of(), "completion", "fish");

    assertThat(r.code()).isEqualTo(ExitCodes.USAGE);
    assertThat(r.err()).isEqualTo("inflight: SHELL must be bash or zsh (was \"fish\")");
  }

  @Test
  void manPage_hasASectionForEveryCommandAndSubcommand() {
    Cli.Result r = Cli.runRaw(Map.of(), "man");

    assertThat(r.code()).as(r.describe()).isZero();
    assertThat(r.out()).startsWith(".TH INFLIGHT 1 ").contains(".SH EXIT STATUS");
    List<String> names = new ArrayList<>();
    collect(Commands.model(), names);
    assertThat(names).contains("inflight limits set", "inflight demo", "inflight app");
    for (String name : names) {
      assertThat(r.out()).contains(".SS \"" + ManPage.escape(name) + "\"");
    }
    assertThat(r.out()).contains("inflight run \\-\\-provider openai");
  }

  private static void collect(CommandLine cl, List<String> names) {
    for (CommandLine sub : cl.getSubcommands().values()) {
      names.add(sub.getCommandSpec().qualifiedName());
      collect(sub, names);
    }
  }

  private static String bash(String script) throws IOException, InterruptedException {
    Process p = new ProcessBuilder("bash", "-c", script).redirectErrorStream(true).start();
    String out =
        new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    p.waitFor();
    return out;
  }

  /** This checkout's commit as the build records it, or null without git or a .git. */
  private static String gitHead() throws InterruptedException {
    Path root = Cli.LAUNCHER.getParent().getParent();
    if (!Files.exists(root.resolve(".git"))) {
      return null;
    }
    try {
      Process p =
          new ProcessBuilder("git", "-C", root.toString(), "rev-parse", "--short=12", "HEAD")
              .redirectError(ProcessBuilder.Redirect.DISCARD)
              .start();
      String out = new String(p.getInputStream().readAllBytes()).strip();
      return p.waitFor() == 0 ? out : null;
    } catch (IOException e) {
      return null;
    }
  }
}
