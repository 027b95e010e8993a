package dev.inflight.cli;

import dev.inflight.client.Lease;
import dev.inflight.client.LeaseRequest;
import dev.inflight.client.LeaseTimeoutException;
import dev.inflight.client.Limiter;
import dev.inflight.client.LimiterBuilder;
import dev.inflight.client.LimiterException;
import dev.inflight.client.Outcome;
import dev.inflight.client.Priority;
import dev.inflight.client.ReleaseResult;
import dev.inflight.client.Text;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code inflight run}: waits for a lease, runs COMMAND while holding it, releases it however
 * COMMAND ends, and exits with COMMAND's exit code. This class checks the input, waits and
 * releases; {@link CommandChild} runs COMMAND and passes signals on to it; {@link UsageFile} owns
 * INFLIGHT_USAGE_FILE.
 *
 * <p>Signals: while waiting, SIGINT/SIGTERM/SIGHUP end the JVM normally and a shutdown hook closes
 * the limiter, which takes the request out of the queue. Once the lease is held, handlers replace
 * the JVM's and forward the signal to COMMAND instead; the lease is released when COMMAND exits.
 *
 * <p>The release says how COMMAND ended: exit 0 succeeded; the {@code --rate-limited-exit-code} was
 * a 429 (pausing the provider for every process); after a signal was passed on, cancelled; anything
 * else, including a COMMAND that could not start, failed.
 */
@Command(
    name = "run",
    header = "Run a command while holding a lease of a provider.",
    description = {
      "Waits for a lease of PROVIDER, or of PROVIDER/MODEL (it then counts against the"
          + " model's own limit too), runs COMMAND with this terminal's stdin, stdout and stderr"
          + " while holding it, releases it when COMMAND ends however it ends, and exits with"
          + " COMMAND's exit code (128+N when it died of signal N). Waiting requests are served"
          + " by --priority class, then first come, first served across all processes; a waiting"
          + " request rises one class per aging interval of its provider (30s by default).",
      "COMMAND sees INFLIGHT_PROVIDER, INFLIGHT_MODEL (when a model was named),"
          + " INFLIGHT_LEASE_ID and INFLIGHT_LEASE_TOKEN in its environment; its own requests for"
          + " PROVIDER (through the library or inflight run) join this lease instead of waiting"
          + " for it. SIGINT or SIGTERM while waiting leaves the queue; while COMMAND runs they"
          + " are passed on to it.",
      "--tokens reserves the tokens the request expects in every token budget (--tpm) it counts"
          + " against; without it, the model's --default-tokens, else the provider's. COMMAND"
          + " may report what it really used by writing the count, a decimal integer, to the file"
          + " named by INFLIGHT_USAGE_FILE (in a private directory that run creates and deletes):"
          + " the lease is then released with that count in place of the reservation. A file"
          + " left unwritten or empty reports nothing; any other content is named in a warning"
          + " and ignored.",
      "With --rate-limited-exit-code N, COMMAND exiting with N means the provider answered 429:"
          + " the lease is released as rate-limited, which pauses PROVIDER for every process for"
          + " --retry-after (and lowers an adaptive limit); inflight still exits with N.",
      ""
    },
    footerHeading = "%nExample:%n",
    footer = {
      "  inflight run --provider openai --label summary --timeout 5m -- python sum.py",
      "  inflight run -p openai --rate-limited-exit-code 42 --retry-after 20s ./call.sh",
      "  inflight run -p openai/gpt-4o --weight 2 --priority interactive \\",
      "    --tokens 1200 ./ask.sh",
      "  inflight run -p openai/gpt-4o -- \\",
      "    sh -c './ask.sh && echo 850 > \"$INFLIGHT_USAGE_FILE\"'"
    },
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
      "COMMAND's:COMMAND's own code (128+N when it died of signal N)",
      "75:no lease came within --timeout",
      "127:COMMAND was not found",
      "126:COMMAND cannot be executed",
      "2:bad usage",
      "1:the database cannot be used"
    })
final class RunCommand implements java.util.concurrent.Callable<Integer> {
  @Spec CommandSpec spec;

  /** Set by {@link FastPath}, which parses without picocli; else found through {@link #spec}. */
  Inflight top;

  @Option(
      names = {"-p", "--provider"},
      required = true,
      paramLabel = "PROVIDER[/MODEL]",
      description = "The provider, or its model, to take a lease of (openai, openai/gpt-4o).")
  String provider;

  @Option(
      names = "--weight",
      paramLabel = "N",
      description =
          "Units the lease takes of each in-flight limit it counts against: 1 to 10000, at most"
              + " the limit. Default: 1.")
  String weight;

  @Option(
      names = "--priority",
      paramLabel = "CLASS",
      description =
          "interactive (a person waits), normal or batch (background work): the queue serves"
              + " higher classes first. Default: normal.")
  String priority;

  @Option(
      names = "--tokens",
      paramLabel = "N",
      description =
          "Tokens the request expects (input plus maximum output), reserved in every token"
              + " budget: 0 to 100000000. Default: the model's or provider's --default-tokens.")
  String tokens;

  @Option(
      names = {"-l", "--label"},
      paramLabel = "TEXT",
      defaultValue = "",
      description =
          "Shown to others in 'inflight status' (agent, model, task). Default: COMMAND's name and"
              + " first plain argument, such as 'python agent.py'.")
  String label = "";

  @Option(
      names = {"-t", "--timeout"},
      paramLabel = "DURATION",
      converter = DurationText.class,
      description = "Give up (exit 75) when no lease came within this long. Default: wait forever.")
  Duration timeout;

  @Option(
      names = {"-q", "--quiet"},
      description = "Do not say on stderr that the request is queued.")
  boolean quiet;

  @Option(
      names = "--rate-limited-exit-code",
      paramLabel = "N",
      description =
          "COMMAND's exit code (1 to 255) that means the provider answered 429. Default: none.")
  String rateLimitedExitCode;

  @Option(
      names = "--retry-after",
      paramLabel = "DURATION",
      converter = DurationText.class,
      description =
          "How long a 429 (see --rate-limited-exit-code) pauses the provider, from 0 to 24h."
              + " Default: 30s.")
  Duration retryAfter;

  @Parameters(
      index = "0..*",
      arity = "1..*",
      paramLabel = "COMMAND",
      description = "The command and its arguments (put them after --).")
  List<String> command;

  private CommandChild child; // set in call(), before the shutdown hook is added
  private final UsageFile usage = new UsageFile();

  @Override
  public Integer call() {
    Args.Key key = Args.key("--provider", provider);
    LeaseRequest request =
        LeaseRequest.of(key.provider(), key.model())
            .weight(weight == null ? 1 : (int) Args.integer("--weight", weight, 1, Args.MAX_WEIGHT))
            .tokens(tokens == null ? -1 : Args.integer("--tokens", tokens, 0, Args.MAX_TOKENS))
            .priority(priority == null ? Priority.NORMAL : priority(priority));
    label = Text.checkLabel(label);
    Text.checkTimeout("--timeout", timeout);
    for (int i = 0; i < command.size(); i++) {
      Text.checkValidText(i == 0 ? "COMMAND" : "COMMAND's argument " + i, command.get(i));
    }
    int rateLimitedCode = parseExitCode(rateLimitedExitCode);
    if (retryAfter != null && rateLimitedCode == 0) {
      throw new IllegalArgumentException(
          "--retry-after applies only with --rate-limited-exit-code (was "
              + Text.duration(retryAfter)
              + ", with no exit code meaning 429)");
    }
    Duration retry = Report429Command.checkRetryAfter(retryAfter);
    Inflight top = this.top != null ? this.top : Inflight.of(spec);
    String summary = CommandSummary.of(command);
    if (label.isEmpty()) {
      label = summary; // what runs says more than nothing to whoever reads the status
    }
    LimiterBuilder builder =
        Limiter.builder()
            .home(top.root())
            .processName(summary)
            .listener(new QueueNotice(key.toString(), quiet));
    if (top.db != null) {
      builder.database(top.db);
    }
    Limiter limiter = builder.build();
    child = new CommandChild(command.get(0));
    Thread hook = new Thread(() -> onShutdown(limiter), "inflight-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    try {
      Lease lease = waitForLease(limiter, request.label(label));
      int code;
      OptionalLong used;
      try {
        code = child.run(commandFor(lease));
        used = usage.usedTokens(lease.id());
      } finally {
        usage.delete();
      }
      Outcome outcome = child.outcome(code, rateLimitedCode);
      release(lease, outcome, retry, used);
      return code;
    } catch (LeaseTimeoutException e) {
      System.err.println("inflight: " + e.getMessage());
      return ExitCodes.TIMEOUT;
    } finally {
      limiter.close();
    }
  }

  static Priority priority(String text) {
    try {
      return Priority.parse(text);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "--priority must be interactive, normal or batch (was " + Args.quote(text) + ")");
    }
  }

  private Lease waitForLease(Limiter limiter, LeaseRequest request) {
    CompletableFuture<Lease> f = limiter.acquireAsync(request, timeout);
    try {
      return f.get();
    } catch (InterruptedException e) {
      f.cancel(false);
      Thread.currentThread().interrupt();
      throw new LimiterException("interrupted while waiting for a lease for '" + provider + "'");
    } catch (CancellationException e) {
      throw CommandChild.awaitExit(); // the shutdown hook closed the limiter: the JVM is exiting
    } catch (ExecutionException e) {
      if (e.getCause() instanceof CancellationException) {
        throw CommandChild.awaitExit();
      }
      if (e.getCause() instanceof RuntimeException re) {
        throw re;
      }
      throw new LimiterException("waiting for a lease for '" + provider + "' failed", e.getCause());
    }
  }

  /** COMMAND with the lease's environment, INFLIGHT_USAGE_FILE among it. */
  private ProcessBuilder commandFor(Lease lease) {
    ProcessBuilder pb = new ProcessBuilder(command).inheritIO();
    CallerLocale.restore(pb.environment());
    pb.environment().put("INFLIGHT_PROVIDER", lease.provider());
    pb.environment().put("INFLIGHT_LEASE_ID", Long.toString(lease.id()));
    if (lease.model().isEmpty()) {
      pb.environment().remove("INFLIGHT_MODEL"); // an outer run's model is not this lease's
    } else {
      pb.environment().put("INFLIGHT_MODEL", lease.model());
    }
    Path file = usage.create();
    if (file == null) {
      pb.environment().remove("INFLIGHT_USAGE_FILE");
    } else {
      pb.environment().put("INFLIGHT_USAGE_FILE", file.toString());
    }
    // INFLIGHT_LEASE_TOKEN too: COMMAND's own requests for PROVIDER join this lease, not queue.
    pb.environment().putAll(lease.childEnvironment());
    return pb;
  }

  private void release(Lease lease, Outcome outcome, Duration retry, OptionalLong used) {
    try {
      ReleaseResult r =
          outcome == Outcome.RATE_LIMITED
              ? lease.releaseRateLimited(retry)
              : used.isPresent()
                  ? lease.release(outcome, used.getAsLong())
                  : lease.release(outcome);
      if (r == ReleaseResult.LOST) {
        System.err.println(
            "inflight: warning: lease "
                + lease.id()
                + " for '"
                + lease.provider()
                + "' was force-released or reclaimed before COMMAND ended");
      }
    } catch (LimiterException e) {
      System.err.println(
          "inflight: warning: could not release lease " + lease.id() + ": " + e.getMessage());
    }
  }

  /** 0 when not given; else 1 to 255, or a message naming the option, the rule and the value. */
  static int parseExitCode(String text) {
    if (text == null) {
      return 0;
    }
    String t = text.strip();
    if (t.matches("[+-]?[0-9]{1,9}")) {
      int n = Integer.parseInt(t);
      if (n >= 1 && n <= 255) {
        return n;
      }
      throw new IllegalArgumentException(
          "--rate-limited-exit-code must be an integer from 1 to 255 (was " + n + ")");
    }
    throw new IllegalArgumentException(
        "--rate-limited-exit-code must be an integer from 1 to 255 (was \"" + text + "\")");
  }

  /** The JVM is exiting (a signal while waiting, or SIGHUP/SIGQUIT paths): leave the queue. */
  private void onShutdown(Limiter limiter) {
    child.shutdown(); // only has work when the JVM is killed around our handlers
    usage.delete();
    limiter.close();
  }
}
