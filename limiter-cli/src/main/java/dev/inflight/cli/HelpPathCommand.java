package dev.inflight.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Help;
import picocli.CommandLine.IHelpCommandInitializable2;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * {@code inflight help [COMMAND…]}: the help of inflight, of a command, or of a command's own
 * command ({@code inflight help limits set}), which picocli's help command cannot reach.
 */
@Command(
    name = "help",
    helpCommand = true,
    header = "Show the help of inflight or of one of its commands.",
    description = {
      "Shows the help of COMMAND, of a command's own command ('inflight help limits set'), or"
          + " of inflight itself without one."
    },
    footerHeading = "%nExamples:%n",
    footer = {"  inflight help run", "  inflight help limits set"})
final class HelpPathCommand implements Runnable, IHelpCommandInitializable2 {
  @Parameters(
      paramLabel = "COMMAND",
      arity = "0..*",
      description = "A command, and one of its commands (limits set).")
  List<String> path = new ArrayList<>();

  private CommandLine self;
  private Help.ColorScheme colours;
  private PrintWriter out;

  @Override
  public void init(
      CommandLine helpCommandLine,
      Help.ColorScheme colorScheme,
      PrintWriter outStream,
      PrintWriter errStream) {
    this.self = helpCommandLine;
    this.colours = colorScheme;
    this.out = outStream;
  }

  @Override
  public void run() {
    CommandLine target = self.getParent();
    for (int i = 0; i < path.size(); i++) {
      CommandLine next = target.getSubcommands().get(path.get(i));
      if (next == null) {
        throw new UnmatchedArgumentException(target, path.subList(i, path.size()));
      }
      target = next;
    }
    target.usage(out, colours);
  }
}
