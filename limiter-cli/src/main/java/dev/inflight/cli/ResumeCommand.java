package dev.inflight.cli;

import dev.inflight.client.Limiter;
import dev.inflight.client.ProviderStatus;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code inflight resume PROVIDER}: ends a pause by hand and a 429 pause alike. */
@Command(
    name = "resume",
    header = "Grant leases of a provider again (also ends a 429 pause).",
    description = {
      "Grants leases for PROVIDER again; waiting requests get free slots at once. Ends both a"
          + " pause by 'inflight pause' and a pause after a 429 (which would otherwise last until"
          + " its Retry-After has passed). The provider must have a limit or be paused after a"
          + " 429."
    },
    footerHeading = "%nExample:%n",
    footer = "  inflight resume openai")
final class ResumeCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "PROVIDER")
  String provider;

  @Override
  public Integer call() {
    Args.providerOnly("resume", provider);
    Optional<Instant> lifted;
    try (Limiter limiter = Inflight.of(spec).open()) {
      // Only for the message: what the resume is about to lift.
      lifted =
          limiter.status().providers().stream()
              .filter(p -> p.provider().equals(provider))
              .findFirst()
              .flatMap(ProviderStatus::pausedUntil);
      limiter.limits().resume(provider);
    }
    System.out.println(
        "'"
            + provider
            + "' is resumed"
            + lifted
                .map(t -> " (the 429 pause until " + When.local(t, Instant.now()) + " is lifted)")
                .orElse(""));
    return ExitCodes.OK;
  }
}
