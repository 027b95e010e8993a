package dev.inflight.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** {@code inflight man}: the man page, generated from the command model. */
@Command(
    name = "man",
    header = "Print the inflight(1) man page.",
    description = {
      "Prints the inflight(1) man page (roff): every command with its options and examples, from"
          + " the same model as the help."
    },
    footerHeading = "%nExamples:%n",
    footer = {"  inflight man | man -l -", "  inflight man > ~/.local/share/man/man1/inflight.1"})
final class ManCommand implements Callable<Integer> {
  @Override
  public Integer call() {
    System.out.print(ManPage.of(Commands.model(), new BuildInfo().line()));
    return ExitCodes.OK;
  }
}
