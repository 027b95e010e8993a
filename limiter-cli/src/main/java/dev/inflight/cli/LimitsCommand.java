package dev.inflight.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code inflight limits list|set|unset}: the shared limits of providers and their models. Each
 * subcommand is a class of its own ({@link LimitsListCommand}, {@link LimitsSetCommand}, {@link
 * LimitsUnsetCommand}).
 */
@Command(
    name = "limits",
    aliases = "limit",
    header = "List, set and remove the limits of providers and models.",
    description =
        "Lists, sets and removes the limits of providers (openai) and of their models"
            + " (openai/gpt-4o), shared by every process.",
    subcommands = {LimitsListCommand.class, LimitsSetCommand.class, LimitsUnsetCommand.class},
    commandListHeading = "%nCommands:%n",
    footerHeading = "%nExamples:%n",
    footer = {
      "  inflight limits set openai 4 --cooldown 250ms",
      "  inflight limits set openai/gpt-4o 1 --rpm 30 --tpm 30000"
    })
final class LimitsCommand implements Runnable {
  @Spec CommandSpec spec;

  @Override
  public void run() {
    throw new ParameterException(spec.commandLine(), "missing command: list, set or unset");
  }
}
