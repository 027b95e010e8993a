package dev.inflight.cli;

import dev.inflight.client.Limiter;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code inflight report-429 PROVIDER}: a 429 seen outside any lease, from a script. */
@Command(
    name = "report-429",
    header = "Tell every process that a provider answered 429.",
    description = {
      "Tells every process that PROVIDER answered 429 (too many requests): no lease of PROVIDER"
          + " is granted until the Retry-After has passed (held leases stay held; requests queue),"
          + " and an adaptive limit steps down by one. A longer pause already in force is kept."
          + " Works for providers without a limit too. 'inflight resume PROVIDER' lifts the pause"
          + " early.",
      "Prints when the pause ends, in local time and as ISO-8601 UTC.",
      ""
    },
    footerHeading = "%nExample:%n",
    footer = {
      "  inflight report-429 openai --retry-after 20s",
      "",
      "Output: 'openai' is paused for every process until 12:03:41",
      "        (20s from now; 2026-11-22T11:03:41.250Z)"
    })
final class Report429Command implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "PROVIDER")
  String provider;

  /** The pause when the provider gave no Retry-After (the library's default too). */
  static final Duration DEFAULT_RETRY_AFTER = Duration.ofSeconds(30);

  @Option(
      names = "--retry-after",
      paramLabel = "DURATION",
      converter = DurationText.class,
      description =
          "How long the provider asked to wait (its Retry-After header), from 0 to 24h."
              + " Default: 30s.")
  Duration retryAfter;

  @Override
  public Integer call() {
    // Check everything before opening: bad input must not change the database.
    Args.providerOnly("report-429", provider);
    Duration wait = checkRetryAfter(retryAfter);
    Instant until;
    Instant after;
    try (Limiter limiter = Inflight.of(spec).open()) {
      until = limiter.report429(provider, wait);
      after = Instant.now();
    }
    // The library's clock read "now" before we read "after": only an earlier pause ends later.
    boolean longerKept = until.isAfter(after.plus(wait));
    System.out.println(
        "'"
            + provider
            + (longerKept ? "' was already paused" : "' is paused")
            + " for every process until "
            + When.local(until, after)
            + " ("
            + When.left(until, after)
            + " from now; "
            + When.iso(until)
            + ")");
    return ExitCodes.OK;
  }

  /**
   * The Retry-After to pass on ({@link #DEFAULT_RETRY_AFTER} for null), checked by the library's
   * own rule before anything is opened.
   *
   * @throws IllegalArgumentException {@code retryAfter must be from 0 to 24h (was PT25H)}
   */
  static Duration checkRetryAfter(Duration retryAfter) {
    Duration d = retryAfter == null ? DEFAULT_RETRY_AFTER : retryAfter;
    Limiter.builder().defaultRetryAfter(d); // validates; builds nothing
    return d;
  }
}
