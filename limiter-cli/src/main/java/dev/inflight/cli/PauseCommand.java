package dev.inflight.cli;

import dev.inflight.client.Limiter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code inflight pause PROVIDER}. */
@Command(
    name = "pause",
    header = "Stop granting leases of a provider until resumed.",
    description = {
      "Stops granting leases for PROVIDER (held leases stay held; new requests queue) until"
          + " 'inflight resume'. The provider must have a limit."
    },
    footerHeading = "%nExample:%n",
    footer = "  inflight pause openai")
final class PauseCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "PROVIDER")
  String provider;

  @Override
  public Integer call() {
    Args.providerOnly("pause", provider);
    try (Limiter limiter = Inflight.of(spec).open()) {
      limiter.limits().pause(provider);
    }
    System.out.println("'" + provider + "' is paused: requests queue until it is resumed");
    return ExitCodes.OK;
  }
}
