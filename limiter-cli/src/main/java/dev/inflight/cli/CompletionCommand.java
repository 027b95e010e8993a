package dev.inflight.cli;

import java.util.concurrent.Callable;
import picocli.AutoComplete;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code inflight completion bash|zsh}: a completion script generated from the command model. */
@Command(
    name = "completion",
    header = "Print a bash or zsh completion script.",
    description = {
      "Prints a shell completion script for inflight: its commands, their options and the"
          + " values those take. One script serves bash and zsh (zsh loads it through"
          + " bashcompinit, which the script sets up)."
    },
    footerHeading = "%nExamples (add the line to ~/.bashrc or ~/.zshrc):%n",
    footer = {"  source <(inflight completion bash)", "  source <(inflight completion zsh)"})
final class CompletionCommand implements Callable<Integer> {
  @Parameters(
      index = "0",
      paramLabel = "SHELL",
      arity = "0..1",
      description = "bash or zsh. Default: bash.")
  String shell = "bash";

  @Override
  public Integer call() {
    if (!shell.equals("bash") && !shell.equals("zsh")) {
      throw new IllegalArgumentException(
          "SHELL must be bash or zsh (was \"" + dev.inflight.client.Text.printable(shell) + "\")");
    }
    System.out.print(AutoComplete.bash("inflight", Commands.model()));
    return ExitCodes.OK;
  }
}
