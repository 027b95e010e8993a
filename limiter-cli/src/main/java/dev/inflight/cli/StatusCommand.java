package dev.inflight.cli;

import dev.inflight.client.LeaseInfo;
import dev.inflight.client.Limiter;
import dev.inflight.client.ProviderStatus;
import dev.inflight.client.StatusSnapshot;
import dev.inflight.client.WaiterInfo;
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
      "         \"upstream_in_flight\" (null unless a usage probe counted it)}],",
      "       \"leases\":[{\"id\" (a number),\"provider\",\"pid\",\"label\",\"held_ms\",\"host\","
          + "\"process\"}],",
      "       \"waiters\":[{\"provider\",\"position\",\"pid\",\"label\",\"waited_ms\",\"host\","
          + "\"process\"}],",
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
      db = limiter.databaseFile().toString();
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
            limiter.databaseFile().toString(),
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
              g.writeEndObject();
            }
            g.writeEndArray();
            g.writeArrayFieldStart("leases");
            for (LeaseInfo l : s.leases()) {
              g.writeStartObject();
              g.writeNumberField("id", l.id());
              g.writeStringField("provider", l.provider());
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
              g.writeNumberField("position", w.position());
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

  static void printTables(StatusSnapshot s, String db, PrintStream out) {
    out.print(Terminal.fit(StatusText.tables(s, db), Terminal.columns()));
  }

  private static String reason(ProviderStatus p) {
    return StatusText.reason(p);
  }
}
