package dev.inflight.cli;

import dev.inflight.client.LimitSpec;
import dev.inflight.client.Limiter;
import dev.inflight.client.ModelLimitSpec;
import dev.inflight.client.Text;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code inflight limits list}: every limit of providers and models, as a table or JSON. */
@Command(
    name = "list",
    header = "List every provider and model that has a limit.",
    description = {
      "Lists every provider that has a limit, with the models that have a limit of their own"
          + " beneath it. RPM and TPM are the per-minute budgets of requests and tokens;"
          + " DEFAULT TOKENS is what a request that names none reserves; '-' is none.",
      "A provider shown as 'openai (no limit)' has no limit of its own: only its models are"
          + " limited."
    },
    footerHeading = "%nExample:%n",
    footer = {
      "  inflight limits list --json",
      "",
      "JSON: {\"limits\":[{\"provider\",\"limited\" (false: only its models have limits),",
      "         \"max_in_flight\" (null: no in-flight cap),\"cooldown_ms\",\"paused\",",
      "         \"adaptive\",\"requests_per_minute\",\"tokens_per_minute\" (null: no budget),",
      "         \"default_tokens\",\"aging_ms\",\"models\":[{\"model\",\"key\",\"max_in_flight\",",
      "           \"requests_per_minute\",\"tokens_per_minute\",\"default_tokens\"}]}],",
      "       \"database\"}"
    })
final class LimitsListCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--json", description = "Print one JSON object instead of a table.")
  boolean json;

  /** A provider's own limit (empty when only its models have limits) and its models'. */
  record Entry(String provider, Optional<LimitSpec> limit, List<ModelLimitSpec> models) {}

  @Override
  public Integer call() {
    List<LimitSpec> limits;
    List<ModelLimitSpec> models;
    String db;
    try (Limiter limiter = Inflight.of(spec).open()) {
      limits = limiter.limits().list();
      models = limiter.limits().models();
      db = limiter.database();
    }
    List<Entry> entries = entries(limits, models);
    PrintStream out = System.out;
    if (json) {
      printJson(entries, db, out);
    } else if (entries.isEmpty()) {
      out.println("No limits set: every provider is unlimited (" + db + ").");
    } else {
      printTable(entries, out);
    }
    return ExitCodes.OK;
  }

  static List<Entry> entries(List<LimitSpec> limits, List<ModelLimitSpec> models) {
    Map<String, Entry> byProvider = new TreeMap<>();
    for (LimitSpec l : limits) {
      byProvider.put(l.provider(), new Entry(l.provider(), Optional.of(l), new ArrayList<>()));
    }
    for (ModelLimitSpec m : models) {
      byProvider
          .computeIfAbsent(m.provider(), p -> new Entry(p, Optional.empty(), new ArrayList<>()))
          .models()
          .add(m);
    }
    return new ArrayList<>(byProvider.values());
  }

  private static void printJson(List<Entry> entries, String db, PrintStream out) {
    try (Json j = Json.to(out)) {
      j.write(
          g -> {
            g.writeStartObject();
            g.writeArrayFieldStart("limits");
            for (Entry e : entries) {
              g.writeStartObject();
              g.writeStringField("provider", e.provider());
              g.writeBooleanField("limited", e.limit().isPresent());
              LimitSpec l = e.limit().orElse(null);
              nullable(g, "max_in_flight", l == null ? 0 : l.maxInFlight());
              g.writeNumberField("cooldown_ms", l == null ? 0 : l.cooldown().toMillis());
              g.writeBooleanField("paused", l != null && l.paused());
              g.writeBooleanField("adaptive", l != null && l.adaptive());
              nullable(g, "requests_per_minute", l == null ? 0 : l.requestsPerMinute());
              nullable(g, "tokens_per_minute", l == null ? 0 : l.tokensPerMinute());
              g.writeNumberField("default_tokens", l == null ? 0 : l.defaultTokens());
              g.writeNumberField(
                  "aging_ms", (l == null ? LimitSpec.DEFAULT_AGING : l.aging()).toMillis());
              g.writeArrayFieldStart("models");
              for (ModelLimitSpec m : e.models()) {
                g.writeStartObject();
                g.writeStringField("model", m.model());
                g.writeStringField("key", m.key());
                nullable(g, "max_in_flight", m.maxInFlight());
                nullable(g, "requests_per_minute", m.requestsPerMinute());
                nullable(g, "tokens_per_minute", m.tokensPerMinute());
                g.writeNumberField("default_tokens", m.defaultTokens());
                g.writeEndObject();
              }
              g.writeEndArray();
              g.writeEndObject();
            }
            g.writeEndArray();
            g.writeStringField("database", db);
            g.writeEndObject();
          });
    }
  }

  /** {@code value}, or null for 0 (none). */
  private static void nullable(com.fasterxml.jackson.core.JsonGenerator g, String name, long v)
      throws java.io.IOException {
    if (v == 0) {
      g.writeNullField(name);
    } else {
      g.writeNumberField(name, v);
    }
  }

  /**
   * The table keeps the columns of a limit in flight alone; budget and aging columns appear once
   * any limit has one, and models are indented beneath their provider.
   */
  private static void printTable(List<Entry> entries, PrintStream out) {
    boolean budgets = false;
    boolean aging = false;
    for (Entry e : entries) {
      if (e.limit().isPresent()) {
        LimitSpec l = e.limit().get();
        budgets |= l.requestsPerMinute() > 0 || l.tokensPerMinute() > 0 || l.defaultTokens() > 0;
        aging |= !l.aging().equals(LimitSpec.DEFAULT_AGING);
      }
      for (ModelLimitSpec m : e.models()) {
        budgets |= m.requestsPerMinute() > 0 || m.tokensPerMinute() > 0 || m.defaultTokens() > 0;
      }
    }
    List<String> headers = new ArrayList<>(List.of("PROVIDER", "MAX>"));
    if (budgets) {
      headers.addAll(List.of("RPM>", "TPM>", "DEFAULT TOKENS>"));
    }
    headers.add("COOLDOWN>");
    if (aging) {
      headers.add("AGING>");
    }
    headers.addAll(List.of("PAUSED", "ADAPTIVE"));
    Table t = new Table(headers.toArray(String[]::new));
    for (Entry e : entries) {
      List<Object> row = new ArrayList<>();
      if (e.limit().isEmpty()) {
        row.add(e.provider() + " (no limit)");
      } else {
        row.add(e.provider());
        LimitSpec l = e.limit().get();
        row.add(none(l.maxInFlight()));
        if (budgets) {
          row.addAll(
              List.of(
                  none(l.requestsPerMinute()), none(l.tokensPerMinute()), none(l.defaultTokens())));
        }
        row.add(Text.duration(l.cooldown()));
        if (aging) {
          row.add(Text.duration(l.aging()));
        }
        row.add(l.paused() ? "paused" : "no");
        row.add(l.adaptive() ? "yes" : "no");
      }
      t.row(row.toArray());
      for (ModelLimitSpec m : e.models()) {
        List<Object> mrow = new ArrayList<>();
        mrow.add("  " + m.model());
        mrow.add(none(m.maxInFlight()));
        if (budgets) {
          mrow.addAll(
              List.of(
                  none(m.requestsPerMinute()), none(m.tokensPerMinute()), none(m.defaultTokens())));
        }
        t.row(mrow.toArray());
      }
    }
    t.print(out);
  }

  private static String none(long v) {
    return v == 0 ? "-" : Long.toString(v);
  }
}
