package dev.inflight.cli;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.inflight.client.LeaseInfo;
import dev.inflight.client.Limiter;
import dev.inflight.client.ModelStatus;
import dev.inflight.client.Priority;
import dev.inflight.client.ProviderStatus;
import dev.inflight.client.StatusSnapshot;
import dev.inflight.client.WaiterInfo;
import dev.inflight.client.Window;
import java.io.IOException;
import java.io.PrintStream;
import java.time.Instant;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code inflight status}: what every process holds and waits for right now. */
@Command(
    name = "status",
    header = "What every process holds and waits for, right now.",
    description = {
      "Shows each provider (limit, active, cooling, queued, paused), every active lease and every"
          + " waiting request, across all processes. Leases of processes that died are reclaimed"
          + " first.",
      "LIMIT shows '2 of 4' while 429s hold an adaptive limit of 4 down at 2. PAUSED shows"
          + " 'paused' for 'inflight pause', and 'until 12:03:41 (30s left, REASON)' while a 429"
          + " pauses the provider (local time). UPSTREAM appears when a usage probe counted the"
          + " provider's own requests in flight.",
      "ACTIVE and COOLING count units: a lease of --weight 3 counts 3. A provider's models with"
          + " limits of their own are indented beneath it (a model's ACTIVE includes its cooling"
          + " units; '-': no cap of its own). QUEUED says the classes once a request is not"
          + " normal: '3 (1 interactive, 2 batch)'. BUDGET appears when a level has a per-minute"
          + " budget: '412/500 rpm, 28.5k/30k tpm, frees in 12s' is what the last 60 seconds used"
          + " of it, and when the oldest request in that window leaves it.",
      "Leases show PROVIDER/MODEL, WEIGHT (when one is not 1) and TOKENS reserved; waiting"
          + " requests show their CLASS and are listed in the order they will be served.",
      "Providers without a limit appear only while they have leases, waiters or a 429 pause."
    },
    footerHeading = "%nExamples:%n",
    footer = {
      "  inflight status --watch",
      "  inflight status --json | jq '.providers[] | select(.queued > 0)'",
      "",
      "JSON: {\"providers\":[{\"provider\",\"limit\" (null: unlimited),\"active\",\"cooling\",",
      "         \"queued\",\"paused\",\"cooldown_ms\",\"adaptive\",",
      "         \"effective_limit\" (the limit in force; null: unlimited),",
      "         \"paused_until\" (ISO-8601 UTC such as 2026-11-22T11:03:41.250Z),",
      "         \"paused_reason\",\"paused_left_ms\" (null, null, 0: no 429 pause),",
      "         \"upstream_in_flight\" (null unless a usage probe counted it),",
      "         \"queued_by_class\":{\"interactive\",\"normal\",\"batch\"},",
      "         \"window\" (null: no budget):{\"requests_per_minute\",\"requests\",",
      "           \"tokens_per_minute\",\"tokens\" (null: no such budget),",
      "           \"frees_at\",\"frees_in_ms\"},",
      "         \"models\":[{\"model\",\"key\",\"max_in_flight\" (null: no cap of its own),",
      "           \"in_flight\",\"queued\",\"window\"}]}],",
      "       \"leases\":[{\"id\" (a number),\"provider\",\"model\" (\"\": none),\"key\",",
      "         \"weight\",\"tokens\",\"pid\",\"label\",\"held_ms\",\"host\",\"process\"}],",
      "       \"waiters\":[{\"provider\",\"model\",\"key\",\"position\",\"priority\",",
      "         \"weight\",\"tokens\",\"pid\",\"label\",\"waited_ms\",\"host\",\"process\"}],",
      "       \"database\"}"
    })
final class StatusCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  /** Set by {@link FastPath}, which parses without picocli; else found through {@link #spec}. */
  Inflight top;

  @Option(names = "--json", description = "Print one JSON object instead of tables.")
  boolean json;

  @Option(
      names = {"-w", "--watch"},
      description =
          "Keep the status on screen, redrawn after every change and each second, until Ctrl-C:"
              + " a provider at its limit in yellow, one with a waiting queue in red (no colour"
              + " with NO_COLOR set). Piped, one line per change.")
  boolean watch;

  @Override
  public Integer call() throws InterruptedException {
    Inflight top = this.top != null ? this.top : Inflight.of(spec);
    if (watch) {
      if (json) {
        throw new IllegalArgumentException("--watch and --json cannot be combined (was both)");
      }
      return watch(top);
    }
    StatusSnapshot s;
    String db;
    try (Limiter limiter = top.open()) {
      s = limiter.status();
      db = limiter.database();
    }
    PrintStream out = System.out;
    if (json) {
      printJson(s, db, out);
    } else {
      printTables(s, db, out);
    }
    return ExitCodes.OK;
  }

  private static int watch(Inflight top) throws InterruptedException {
    Limiter limiter = top.open();
    java.util.concurrent.BlockingQueue<Boolean> changed =
        new java.util.concurrent.ArrayBlockingQueue<>(1);
    AutoCloseable sub = limiter.onChange(() -> changed.offer(Boolean.TRUE));
    java.util.concurrent.atomic.AtomicBoolean stopped =
        new java.util.concurrent.atomic.AtomicBoolean();
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  stopped.set(true);
                  limiter.close();
                },
                "inflight-watch-stop"));
    StatusWatch.Changes changes =
        millis -> {
          if (changed.poll(millis, java.util.concurrent.TimeUnit.MILLISECONDS) != null) {
            Thread.sleep(50); // a burst of commits becomes one redraw
            changed.clear();
          }
        };
    boolean terminal = Terminal.isTerminal();
    new StatusWatch(
            limiter::status,
            changes,
            limiter.database(),
            System.out,
            terminal,
            StatusWatch.colourWanted(System.getenv("NO_COLOR")),
            Terminal::columns)
        .run(stopped::get);
    try {
      sub.close();
    } catch (Exception e) {
      // stopping anyway
    }
    limiter.close();
    return ExitCodes.OK;
  }

  static void printJson(StatusSnapshot s, String db, PrintStream out) {
    try (Json j = Json.to(out)) {
      j.write(
          g -> {
            g.writeStartObject();
            g.writeArrayFieldStart("providers");
            for (ProviderStatus p : s.providers()) {
              g.writeStartObject();
              g.writeStringField("provider", p.provider());
              if (p.limit().isPresent()) {
                g.writeNumberField("limit", p.limit().getAsInt());
              } else {
                g.writeNullField("limit");
              }
              g.writeNumberField("active", p.active());
              g.writeNumberField("cooling", p.cooling());
              g.writeNumberField("queued", p.queued());
              g.writeBooleanField("paused", p.paused());
              g.writeNumberField("cooldown_ms", p.cooldown().toMillis());
              g.writeBooleanField("adaptive", p.adaptive());
              if (p.limitInForce().isPresent()) {
                g.writeNumberField("effective_limit", p.limitInForce().getAsInt());
              } else {
                g.writeNullField("effective_limit");
              }
              if (p.pausedUntil().isPresent()) {
                Instant until = p.pausedUntil().get();
                g.writeStringField("paused_until", When.iso(until));
                g.writeStringField("paused_reason", reason(p));
                g.writeNumberField(
                    "paused_left_ms", Math.max(0, until.toEpochMilli() - s.at().toEpochMilli()));
              } else {
                g.writeNullField("paused_until");
                g.writeNullField("paused_reason");
                g.writeNumberField("paused_left_ms", 0);
              }
              if (p.upstreamInFlight().isPresent()) {
                g.writeNumberField("upstream_in_flight", p.upstreamInFlight().getAsInt());
              } else {
                g.writeNullField("upstream_in_flight");
              }
              g.writeObjectFieldStart("queued_by_class");
              for (Priority c : Priority.values()) {
                g.writeNumberField(c.toString(), p.queuedByClass().getOrDefault(c, 0));
              }
              g.writeEndObject();
              window(g, p.window(), s);
              g.writeArrayFieldStart("models");
              for (ModelStatus m : p.models()) {
                g.writeStartObject();
                g.writeStringField("model", m.model());
                g.writeStringField("key", p.provider() + "/" + m.model());
                if (m.maxInFlight() == 0) {
                  g.writeNullField("max_in_flight");
                } else {
                  g.writeNumberField("max_in_flight", m.maxInFlight());
                }
                g.writeNumberField("in_flight", m.inFlight());
                g.writeNumberField("queued", m.queued());
                window(g, m.window(), s);
                g.writeEndObject();
              }
              g.writeEndArray();
              g.writeEndObject();
            }
            g.writeEndArray();
            g.writeArrayFieldStart("leases");
            for (LeaseInfo l : s.leases()) {
              g.writeStartObject();
              g.writeNumberField("id", l.id());
              g.writeStringField("provider", l.provider());
              g.writeStringField("model", l.model());
              g.writeStringField("key", l.key());
              g.writeNumberField("weight", l.weight());
              g.writeNumberField("tokens", l.tokens());
              g.writeNumberField("pid", l.pid());
              g.writeStringField("label", l.label());
              g.writeNumberField("held_ms", l.held().toMillis());
              g.writeStringField("host", l.host());
              g.writeStringField("process", l.processName());
              g.writeEndObject();
            }
            g.writeEndArray();
            g.writeArrayFieldStart("waiters");
            for (WaiterInfo w : s.waiters()) {
              g.writeStartObject();
              g.writeStringField("provider", w.provider());
              g.writeStringField("model", w.model());
              g.writeStringField("key", w.key());
              g.writeNumberField("position", w.position());
              g.writeStringField("priority", w.priority().toString());
              g.writeNumberField("weight", w.weight());
              g.writeNumberField("tokens", w.tokens());
              g.writeNumberField("pid", w.pid());
              g.writeStringField("label", w.label());
              g.writeNumberField("waited_ms", w.waiting().toMillis());
              g.writeStringField("host", w.host());
              g.writeStringField("process", w.processName());
              g.writeEndObject();
            }
            g.writeEndArray();
            g.writeStringField("database", db);
            g.writeEndObject();
          });
    }
  }

  /** A level's {@code window}: null without a budget; a budget it lacks is null inside. */
  private static void window(JsonGenerator g, Window w, StatusSnapshot s) throws IOException {
    if (!w.any()) {
      g.writeNullField("window");
      return;
    }
    g.writeObjectFieldStart("window");
    if (w.requestsPerMinute() > 0) {
      g.writeNumberField("requests_per_minute", w.requestsPerMinute());
    } else {
      g.writeNullField("requests_per_minute");
    }
    g.writeNumberField("requests", w.requests());
    if (w.tokensPerMinute() > 0) {
      g.writeNumberField("tokens_per_minute", w.tokensPerMinute());
    } else {
      g.writeNullField("tokens_per_minute");
    }
    g.writeNumberField("tokens", w.tokens());
    if (w.changesAt().isPresent()) {
      Instant at = w.changesAt().get();
      g.writeStringField("frees_at", When.iso(at));
      g.writeNumberField("frees_in_ms", Math.max(0, at.toEpochMilli() - s.at().toEpochMilli()));
    } else {
      g.writeNullField("frees_at");
      g.writeNullField("frees_in_ms");
    }
    g.writeEndObject();
  }

  static void printTables(StatusSnapshot s, String db, PrintStream out) {
    out.print(Terminal.fit(StatusText.tables(s, db), Terminal.columns()));
  }

  private static String reason(ProviderStatus p) {
    return StatusText.reason(p);
  }
}
