package dev.inflight.cli;

import dev.inflight.client.LimitSpec;
import dev.inflight.client.Limiter;
import dev.inflight.client.Text;
import java.io.PrintStream;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code inflight limits list|set|unset}: the shared per-provider limits. */
@Command(
    name = "limits",
    header = "List, set and remove the per-provider limits.",
    description = "Lists, sets and removes the per-provider limits (shared by every process).",
    subcommands = {LimitsCommand.List.class, LimitsCommand.Set.class, LimitsCommand.Unset.class},
    commandListHeading = "%nCommands:%n",
    footerHeading = "%nExample:%n",
    footer = "  inflight limits set openai 4 --cooldown 250ms")
final class LimitsCommand implements Runnable {
  @Spec CommandSpec spec;

  @Override
  public void run() {
    throw new ParameterException(spec.commandLine(), "missing command: list, set or unset");
  }

  @Command(
      name = "list",
      header = "List every provider that has a limit.",
      description = "Lists every provider that has a limit.",
      footerHeading = "%nExample:%n",
      footer = {
        "  inflight limits list --json",
        "",
        "JSON: {\"limits\":[{\"provider\",\"max_in_flight\",\"cooldown_ms\",\"paused\","
            + "\"adaptive\"}],\"database\"}"
      })
  static final class List implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--json", description = "Print one JSON object instead of a table.")
    boolean json;

    @Override
    public Integer call() {
      java.util.List<LimitSpec> limits;
      String db;
      try (Limiter limiter = Inflight.of(spec).open()) {
        limits = limiter.limits().list();
        db = limiter.databaseFile().toString();
      }
      PrintStream out = System.out;
      if (json) {
        try (Json j = Json.to(out)) {
          j.write(
              g -> {
                g.writeStartObject();
                g.writeArrayFieldStart("limits");
                for (LimitSpec l : limits) {
                  g.writeStartObject();
                  g.writeStringField("provider", l.provider());
                  g.writeNumberField("max_in_flight", l.maxInFlight());
                  g.writeNumberField("cooldown_ms", l.cooldown().toMillis());
                  g.writeBooleanField("paused", l.paused());
                  g.writeBooleanField("adaptive", l.adaptive());
                  g.writeEndObject();
                }
                g.writeEndArray();
                g.writeStringField("database", db);
                g.writeEndObject();
              });
        }
      } else if (limits.isEmpty()) {
        out.println("No limits set: every provider is unlimited (" + db + ").");
      } else {
        Table t = new Table("PROVIDER", "MAX>", "COOLDOWN>", "PAUSED", "ADAPTIVE");
        for (LimitSpec l : limits) {
          t.row(
              l.provider(),
              l.maxInFlight(),
              Text.duration(l.cooldown()),
              l.paused() ? "paused" : "no",
              l.adaptive() ? "yes" : "no");
        }
        t.print(out);
      }
      return ExitCodes.OK;
    }
  }

  @Command(
      name = "set",
      header = "Set a provider's limit.",
      description = {
        "Allows at most MAX leases of PROVIDER at once, for every process. Takes effect at once:"
            + " raising a limit grants waiting requests immediately; lowering one lets held"
            + " leases finish. A paused provider stays paused.",
        "With --adaptive, each 429 lowers the limit in force by one (never below 1) and"
            + " successes raise it back one step at a time after a quiet period of 30s; MAX itself"
            + " never changes. 'set' replaces the limit: without --adaptive it is not adaptive."
      },
      footerHeading = "%nExample:%n",
      footer = "  inflight limits set anthropic 8 --cooldown 500ms --adaptive")
  static final class Set implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "PROVIDER", description = "1 to 200 characters.")
    String provider;

    @Parameters(index = "1", paramLabel = "MAX", description = "An integer from 1 to 10000.")
    String max;

    @Option(
        names = "--cooldown",
        paramLabel = "DURATION",
        converter = DurationText.class,
        description =
            "Keep each released slot counted this long (0 to 1h, e.g. 250ms, 2s). Default: the"
                + " provider's current cooldown, or 0 for a new limit.")
    Duration cooldown;

    @Option(
        names = "--adaptive",
        negatable = true,
        description =
            "Let 429s lower the limit in force and successes raise it back up to MAX."
                + " Default: --no-adaptive (not kept from the current limit).")
    boolean adaptive;

    @Override
    public Integer call() {
      // Check everything before opening: bad input must not change the database.
      LimitSpec.checkProvider(provider);
      int n = LimitSpec.parseMaxInFlight(max);
      LimitSpec wanted = LimitSpec.of(provider, n).withAdaptive(adaptive);
      if (cooldown != null) {
        wanted = wanted.withCooldown(cooldown);
      }
      LimitSpec set;
      try (Limiter limiter = Inflight.of(spec).open()) {
        if (cooldown == null) {
          wanted =
              wanted.withCooldown(
                  limiter.limits().get(provider).map(LimitSpec::cooldown).orElse(Duration.ZERO));
        }
        set = limiter.limits().set(wanted);
      }
      System.out.println(
          "'"
              + set.provider()
              + "': at most "
              + set.maxInFlight()
              + " in flight"
              + (set.cooldown().isZero()
                  ? ""
                  : ", each slot cooling for " + Text.duration(set.cooldown()))
              + (set.adaptive() ? ", adaptive" : "")
              + (set.paused() ? " (paused)" : ""));
      return ExitCodes.OK;
    }
  }

  @Command(
      name = "unset",
      header = "Remove a provider's limit: it becomes unlimited.",
      description = "Removes PROVIDER's limit: it becomes unlimited and its waiters are granted.",
      footerHeading = "%nExample:%n",
      footer = "  inflight limits unset openai")
  static final class Unset implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "PROVIDER")
    String provider;

    @Override
    public Integer call() {
      LimitSpec.checkProvider(provider);
      boolean had;
      try (Limiter limiter = Inflight.of(spec).open()) {
        had = limiter.limits().unset(provider);
      }
      System.out.println(
          "'" + provider + "' " + (had ? "is now unlimited" : "had no limit (nothing changed)"));
      return ExitCodes.OK;
    }
  }
}
