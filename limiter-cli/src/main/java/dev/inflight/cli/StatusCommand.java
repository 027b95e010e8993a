package dev.inflight.cli;

import dev.inflight.client.LeaseInfo;
import dev.inflight.client.Limiter;
import dev.inflight.client.ProviderStatus;
import dev.inflight.client.StatusSnapshot;
import dev.inflight.client.WaiterInfo;
import java.io.PrintStream;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code inflight status}: what every process holds and waits for right now. */
@Command(
    name = "status",
    mixinStandardHelpOptions = true,
    description = {
      "Shows each provider (limit, active, cooling, queued, paused), every active lease and every"
          + " waiting request, across all processes. Leases of processes that died are reclaimed"
          + " first.",
      "Providers without a limit appear only while they have leases or waiters."
    },
    footerHeading = "%nExample:%n",
    footer = {
      "  inflight status --json | jq '.providers[] | select(.queued > 0)'",
      "",
      "JSON: {\"providers\":[{\"provider\",\"limit\" (null when unlimited),\"active\",\"cooling\","
          + "\"queued\",\"paused\",\"cooldown_ms\"}],",
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

  @Override
  public Integer call() {
    Inflight top = this.top != null ? this.top : Inflight.of(spec);
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
    if (s.providers().isEmpty()) {
      out.println("No limits set and nothing held or queued (" + db + ").");
      return;
    }
    Table providers = new Table("PROVIDER", "LIMIT>", "ACTIVE>", "COOLING>", "QUEUED>", "PAUSED");
    for (ProviderStatus p : s.providers()) {
      providers.row(
          p.provider(),
          p.limit().isPresent() ? Integer.toString(p.limit().getAsInt()) : "unlimited",
          p.active(),
          p.cooling(),
          p.queued(),
          p.paused() ? "paused" : "no");
    }
    providers.print(out);
    if (!s.leases().isEmpty()) {
      out.println();
      out.println("Active leases:");
      Table leases = new Table("ID>", "PROVIDER", "PID>", "LABEL", "HELD FOR>");
      for (LeaseInfo l : s.leases()) {
        leases.row(l.id(), l.provider(), l.pid(), l.label(), DurationText.format(l.held()));
      }
      leases.print(out);
    }
    if (!s.waiters().isEmpty()) {
      out.println();
      out.println("Waiting:");
      Table waiters = new Table("PROVIDER", "POSITION>", "PID>", "LABEL", "WAITING FOR>");
      for (WaiterInfo w : s.waiters()) {
        waiters.row(
            w.provider(), w.position(), w.pid(), w.label(), DurationText.format(w.waiting()));
      }
      waiters.print(out);
    }
  }
}
