package dev.inflight.cli;

import dev.inflight.client.Limiter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code inflight limits unset}: removes a provider's or a model's own limit. */
@Command(
    name = "unset",
    header = "Remove the limit of a provider or of one of its models.",
    description = {
      "Removes PROVIDER's limit: it becomes unlimited and its waiters are granted (its models'"
          + " own limits stay).",
      "Removes PROVIDER/MODEL's own limit: the model's requests then count against its"
          + " provider's limit alone."
    },
    footerHeading = "%nExamples:%n",
    footer = {"  inflight limits unset openai", "  inflight limits unset openai/gpt-4o"})
final class LimitsUnsetCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "KEY", description = "PROVIDER or PROVIDER/MODEL.")
  String key;

  @Override
  public Integer call() {
    Args.Key k = Args.key("KEY", key);
    boolean had;
    try (Limiter limiter = Inflight.of(spec).open()) {
      had =
          k.isModel()
              ? limiter.limits().unsetModel(k.provider(), k.model())
              : limiter.limits().unset(k.provider());
    }
    if (k.isModel()) {
      System.out.println(
          "'"
              + k
              + "' "
              + (had
                  ? "has no limit of its own now: it counts against '" + k.provider() + "' alone"
                  : "had no limit of its own (nothing changed)"));
    } else {
      System.out.println(
          "'" + key + "' " + (had ? "is now unlimited" : "had no limit (nothing changed)"));
    }
    return ExitCodes.OK;
  }
}
