package dev.inflight.cli;

import dev.inflight.client.LimitSpec;
import dev.inflight.client.Limiter;
import dev.inflight.client.ModelLimitSpec;
import dev.inflight.client.Text;
import java.nio.file.Files;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code inflight limits set}: changes what it is given of a provider's or a model's limit, keeping
 * the rest, after checking all of it before the database is opened.
 */
@Command(
    name = "set",
    header = "Set the limit of a provider or of one of its models.",
    description = {
      "KEY is a provider (openai) or one of its models (openai/gpt-4o). A request for a model"
          + " counts against the model's limit and its provider's. Takes effect at once, for"
          + " every process: raising a limit grants waiting requests immediately; lowering one"
          + " lets held leases finish. A paused provider stays paused.",
      "MAX allows at most MAX units in flight at once (a request takes its --weight, 1 by"
          + " default); it may be left out, or be 'none', when --rpm or --tpm gives a budget"
          + " instead. --rpm and --tpm are per-minute budgets: requests started, and tokens"
          + " they reserved (or, once released, really used), in any 60 seconds.",
      "'set' changes only what it is given: MAX and every option left out keep the limit's"
          + " current value (a new limit starts with no budgets, cooldown 0, aging 30s, not"
          + " adaptive). Give --rpm none or --tpm none (or 0) to remove a budget.",
      "With --adaptive, each 429 lowers the limit in force by one (never below 1) and"
          + " successes raise it back one step at a time after a quiet period of 30s; MAX itself"
          + " never changes. --cooldown, --adaptive and --aging are a provider's only."
    },
    footerHeading = "%nExamples:%n",
    footer = {
      "  inflight limits set anthropic 8 --cooldown 500ms --adaptive",
      "  inflight limits set openai 4 --rpm 500 --tpm 30000 --default-tokens 1000",
      "  inflight limits set openai/gpt-4o 1 --rpm 30",
      "  inflight limits set openai --tpm none --aging 1m"
    })
final class LimitsSetCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Parameters(
      index = "0",
      paramLabel = "KEY",
      description = "A provider (openai) or PROVIDER/MODEL (openai/gpt-4o).")
  String key;

  @Parameters(
      index = "1",
      arity = "0..1",
      paramLabel = "MAX",
      description =
          "An integer from 1 to 10000, or none for no in-flight cap (with a budget)."
              + " Default: the current MAX.")
  String max;

  @Option(
      names = "--rpm",
      paramLabel = "N",
      description =
          "Requests started in any 60 seconds: 1 to 1000000, or none. Default: the current.")
  String rpm;

  @Option(
      names = "--tpm",
      paramLabel = "N",
      description = "Tokens in any 60 seconds: 1 to 1000000000, or none. Default: the current.")
  String tpm;

  @Option(
      names = "--default-tokens",
      paramLabel = "N",
      description =
          "Tokens a request reserves when it says none (run --tokens): 0 to 100000000, at most"
              + " --tpm. Default: the current, or 0.")
  String defaultTokens;

  @Option(
      names = "--cooldown",
      paramLabel = "DURATION",
      converter = DurationText.class,
      description =
          "Keep each released slot counted this long (0 to 1h, e.g. 250ms, 2s). Default: the"
              + " current cooldown, or 0.")
  Duration cooldown;

  @Option(
      names = "--aging",
      paramLabel = "DURATION",
      converter = DurationText.class,
      description =
          "A queued request rises one priority class after waiting this long (1s to 1h)."
              + " Default: the current, or 30s.")
  Duration aging;

  @Option(
      names = "--adaptive",
      negatable = true,
      description =
          "Let 429s lower the limit in force and successes raise it back up to MAX."
              + " Default: as it is (not adaptive for a new limit).")
  Boolean adaptive;

  /** What was given, checked; null where left out. */
  private record Wanted(
      Integer max, Integer rpm, Long tpm, Long defaultTokens, Duration cooldown) {}

  @Override
  public Integer call() {
    // Check everything before opening: bad input must not change the database.
    Args.Key k = Args.key("KEY", key);
    Wanted w = wanted(k);
    Inflight top = Inflight.of(spec);
    if (top.databaseUrl() == null && !Files.exists(top.databaseFile())) {
      if (k.isModel()) { // no row yet: check it whole, as a new one
        applyModel(k, w, Optional.empty());
      } else {
        apply(k, w, Optional.empty());
      }
    }
    String said;
    try (Limiter limiter = top.open()) {
      if (k.isModel()) {
        Optional<ModelLimitSpec> now =
            limiter.limits().models().stream()
                .filter(m -> m.provider().equals(k.provider()) && m.model().equals(k.model()))
                .findFirst();
        said = describe(limiter.limits().setModel(applyModel(k, w, now)));
      } else {
        Optional<LimitSpec> now = limiter.limits().get(k.provider());
        said = describe(limiter.limits().set(apply(k, w, now)));
      }
    }
    System.out.println(said);
    return ExitCodes.OK;
  }

  private Wanted wanted(Args.Key k) {
    if (k.isModel()) {
      String only = cooldown != null ? "--cooldown" : aging != null ? "--aging" : null;
      String given =
          cooldown != null
              ? "--cooldown " + Text.duration(cooldown)
              : aging != null ? "--aging " + Text.duration(aging) : null;
      if (only == null && adaptive != null) {
        only = adaptive ? "--adaptive" : "--no-adaptive";
        given = only;
      }
      if (only != null) {
        throw new IllegalArgumentException(
            only
                + " applies to a provider's limit only, not to a model's (was "
                + given
                + " for "
                + Args.quote(k.toString())
                + "; set it on "
                + Args.quote(k.provider())
                + ")");
      }
    }
    if (aging != null
        && (aging.compareTo(Duration.ofSeconds(1)) < 0
            || aging.compareTo(Duration.ofHours(1)) > 0
            || aging.toNanos() % 1_000_000 != 0)) {
      throw new IllegalArgumentException(
          "--aging must be whole milliseconds from 1s to 1h (was " + Text.duration(aging) + ")");
    }
    Integer m = null;
    if (max != null) {
      m =
          max.strip().equalsIgnoreCase("none")
              ? 0
              : LimitSpec.parseMaxInFlight(max); // its message, as before budgets
    }
    Integer r = rpm == null ? null : (int) Args.budget("--rpm", rpm, Args.MAX_RPM);
    Long t = tpm == null ? null : Args.budget("--tpm", tpm, Args.MAX_TPM);
    Long d =
        defaultTokens == null
            ? null
            : Args.integer("--default-tokens", defaultTokens, 0, Args.MAX_TOKENS);
    if (m == null
        && r == null
        && t == null
        && d == null
        && cooldown == null
        && aging == null
        && adaptive == null) {
      throw new IllegalArgumentException(
          "limits set needs MAX or an option to change: MAX (1 to 10000), --rpm, --tpm,"
              + " --default-tokens"
              + (k.isModel() ? "" : ", --cooldown, --aging or --adaptive")
              + " (was only "
              + Args.quote(k.toString())
              + ")");
    }
    return new Wanted(m, r, t, d, cooldown);
  }

  /** The provider's limit after this change: {@code now}'s values where none was given. */
  private LimitSpec apply(Args.Key k, Wanted w, Optional<LimitSpec> now) {
    LimitSpec base = now.orElse(null); // no row: no cap, no budgets, the defaults
    Level l = changed(k, w, now.map(Level::of));
    return new LimitSpec(
        k.provider(),
        l.max(),
        w.cooldown() != null ? w.cooldown() : base == null ? Duration.ZERO : base.cooldown(),
        base != null && base.paused(),
        adaptive != null ? adaptive : base != null && base.adaptive(),
        l.rpm(),
        l.tpm(),
        l.defaultTokens(),
        aging != null ? aging : base == null ? LimitSpec.DEFAULT_AGING : base.aging());
  }

  private static ModelLimitSpec applyModel(Args.Key k, Wanted w, Optional<ModelLimitSpec> now) {
    Level l = changed(k, w, now.map(Level::of));
    return new ModelLimitSpec(
        k.provider(), k.model(), l.max(), l.rpm(), l.tpm(), l.defaultTokens());
  }

  /** What a provider's and a model's limit share: the cap and the budgets (0: none). */
  private record Level(int max, int rpm, long tpm, long defaultTokens) {
    static Level of(LimitSpec s) {
      return new Level(
          s.maxInFlight(), s.requestsPerMinute(), s.tokensPerMinute(), s.defaultTokens());
    }

    static Level of(ModelLimitSpec s) {
      return new Level(
          s.maxInFlight(), s.requestsPerMinute(), s.tokensPerMinute(), s.defaultTokens());
    }
  }

  /** The level after this change: {@code now}'s values where none was given; checked whole. */
  private static Level changed(Args.Key k, Wanted w, Optional<Level> now) {
    Level base = now.orElse(new Level(0, 0, 0, 0));
    Level l =
        new Level(
            w.max() != null ? w.max() : base.max(),
            w.rpm() != null ? w.rpm() : base.rpm(),
            w.tpm() != null ? w.tpm() : base.tpm(),
            w.defaultTokens() != null ? w.defaultTokens() : base.defaultTokens());
    checkCap(k, l.max(), l.rpm(), l.tpm(), now.isPresent());
    checkDefault(k, l.defaultTokens(), l.tpm());
    return l;
  }

  private static void checkCap(Args.Key k, int max, int rpm, long tpm, boolean existed) {
    if (max == 0 && rpm == 0 && tpm == 0) {
      throw new IllegalArgumentException(
          existed
              ? "MAX may be none only while --rpm or --tpm gives a budget: "
                  + Args.quote(k.toString())
                  + " would limit nothing (to remove its limit: inflight limits unset "
                  + k
                  + ")"
              : "MAX is needed for a new limit unless --rpm or --tpm gives a budget (was no MAX"
                  + " and no budget for "
                  + Args.quote(k.toString())
                  + ")");
    }
  }

  private static void checkDefault(Args.Key k, long defaultTokens, long tpm) {
    if (tpm > 0 && defaultTokens > tpm) {
      throw new IllegalArgumentException(
          "--default-tokens must be at most --tpm ("
              + tpm
              + " for "
              + Args.quote(k.toString())
              + "), or a request that names no --tokens could never be granted (was "
              + defaultTokens
              + ")");
    }
  }

  static String describe(LimitSpec set) {
    StringBuilder sb = new StringBuilder("'").append(set.provider()).append("': ");
    sb.append(
        set.maxInFlight() == 0
            ? "no cap in flight"
            : "at most " + set.maxInFlight() + " in flight");
    if (!set.cooldown().isZero()) {
      sb.append(", each slot cooling for ").append(Text.duration(set.cooldown()));
    }
    budgets(sb, set.requestsPerMinute(), set.tokensPerMinute(), set.defaultTokens());
    if (!set.aging().equals(LimitSpec.DEFAULT_AGING)) {
      sb.append(", aging every ").append(Text.duration(set.aging()));
    }
    if (set.adaptive()) {
      sb.append(", adaptive");
    }
    if (set.paused()) {
      sb.append(" (paused)");
    }
    return sb.toString();
  }

  static String describe(ModelLimitSpec set) {
    StringBuilder sb = new StringBuilder("'").append(set.key()).append("': ");
    sb.append(
        set.maxInFlight() == 0
            ? "no cap in flight of its own"
            : "at most " + set.maxInFlight() + " in flight");
    budgets(sb, set.requestsPerMinute(), set.tokensPerMinute(), set.defaultTokens());
    sb.append(", within the limit of '").append(set.provider()).append("', if any");
    return sb.toString();
  }

  private static void budgets(StringBuilder sb, int rpm, long tpm, long defaultTokens) {
    if (rpm > 0) {
      sb.append(", ").append(rpm).append(" requests a minute");
    }
    if (tpm > 0) {
      sb.append(", ").append(tpm).append(" tokens a minute");
    }
    if (defaultTokens > 0) {
      sb.append(", ").append(defaultTokens).append(" tokens per request by default");
    }
  }
}
