package dev.inflight.cli;

import dev.inflight.client.LeaseRequest;
import dev.inflight.client.Limiter;
import dev.inflight.client.Observation;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code inflight observe KEY}: a response's rate-limit headers, shared with every process. */
@Command(
    name = "observe",
    header = "Share what a provider's rate-limit headers say with every process.",
    description = {
      "Reads the headers of one provider response (as 'curl -D -' prints them: 'name: value'"
          + " lines; a status line and anything else are skipped) from FILE, or from standard"
          + " input when FILE is '-' or left out, and shares what they say with every process:"
          + " OpenAI's x-ratelimit-remaining-requests/-tokens with x-ratelimit-reset-*,"
          + " Anthropic's anthropic-ratelimit-*-remaining with their -reset times. Until each"
          + " reset, grants for KEY (a provider, or provider/model) take from what remains and"
          + " stop when nothing does. A retry-after pauses the provider, as 'inflight report-429'"
          + " does. Headers it does not know, or cannot read, are ignored.",
      "Prints what it understood.",
      ""
    },
    footerHeading = "%nExample:%n",
    footer = {
      "  curl -sS -D headers.txt -o body.json \\",
      "    https://api.openai.com/v1/chat/completions ...",
      "  inflight observe openai/gpt-4o headers.txt",
      "",
      "Output:",
      "openai/gpt-4o: 2 requests left until 12:03:41, 89500 tokens left until 12:02:41"
    })
final class ObserveCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "KEY", description = "provider, or provider/model")
  String key;

  @Parameters(index = "1", arity = "0..1", paramLabel = "FILE", description = "default: stdin")
  String file;

  @Option(
      names = "--header",
      paramLabel = "'NAME: VALUE'",
      description = "A header given on the command line instead (repeatable).")
  List<String> headers = new ArrayList<>();

  @Override
  public Integer call() {
    Args.Key k = Args.key("KEY", key); // checks the provider and the model first
    LeaseRequest target = LeaseRequest.of(k.provider(), k.model());
    Map<String, String> parsed = new LinkedHashMap<>();
    for (String line : headers.isEmpty() ? read(file) : headers) {
      int colon = line.indexOf(':');
      if (colon > 0) {
        parsed.put(line.substring(0, colon).strip(), line.substring(colon + 1).strip());
      }
    }
    Observation o;
    Instant now;
    try (Limiter limiter = Inflight.of(spec).open()) {
      o = limiter.observe(target.provider(), target.model(), parsed);
      now = Instant.now();
    }
    System.out.println(target.key() + ": " + describe(o, now));
    return ExitCodes.OK;
  }

  private static List<String> read(String file) {
    try {
      if (file == null || file.equals("-")) {
        BufferedReader in =
            new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        return in.lines().toList();
      }
      return Files.readAllLines(Path.of(file), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the headers from " + file + ": " + e, e);
    }
  }

  static String describe(Observation o, Instant now) {
    List<String> parts = new ArrayList<>();
    if (o.requestsRemaining() >= 0) {
      parts.add(
          o.requestsRemaining()
              + " requests left"
              + o.requestsResetAt().map(t -> " until " + When.local(t, now)).orElse(""));
    }
    if (o.tokensRemaining() >= 0) {
      parts.add(
          o.tokensRemaining()
              + " tokens left"
              + o.tokensResetAt().map(t -> " until " + When.local(t, now)).orElse(""));
    }
    o.pausedUntil()
        .ifPresent(t -> parts.add("paused for every process until " + When.local(t, now)));
    return parts.isEmpty()
        ? "no rate-limit header understood (nothing shared)"
        : String.join(", ", parts);
  }
}
