package dev.inflight.cli;

import dev.inflight.client.LimitSpec;
import dev.inflight.client.Limiter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code inflight resume PROVIDER}. */
@Command(
    name = "resume",
    mixinStandardHelpOptions = true,
    description = "Grants leases for PROVIDER again; waiting requests get free slots at once.",
    footerHeading = "%nExample:%n",
    footer = "  inflight resume openai")
final class ResumeCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "PROVIDER")
  String provider;

  @Override
  public Integer call() {
    LimitSpec.checkProvider(provider);
    try (Limiter limiter = Inflight.of(spec).open()) {
      limiter.limits().resume(provider);
    }
    System.out.println("'" + provider + "' is resumed");
    return ExitCodes.OK;
  }
}
