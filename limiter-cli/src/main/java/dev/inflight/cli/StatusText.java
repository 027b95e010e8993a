package dev.inflight.cli;

import dev.inflight.client.LeaseInfo;
import dev.inflight.client.ProviderStatus;
import dev.inflight.client.StatusSnapshot;
import dev.inflight.client.Text;
import dev.inflight.client.WaiterInfo;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The one vocabulary for the state of providers, leases and waiters in text: {@code inflight
 * status}, {@code status --watch} and the demo's table and log lines all write it this way. LIMIT
 * is {@code 4}, {@code 2 of 4} (429s hold an adaptive limit of 4 down at 2) or {@code unlimited};
 * PAUSED is {@code no}, {@code paused} (by hand) or {@code until 12:03:41 (30s left, 429 from the
 * provider)}.
 */
public final class StatusText {
  static final String LOWERED_NOTE =
      "(\"N of M\": 429s lowered this adaptive limit from M to N; successes raise it back one"
          + " step at a time after a quiet period)";

  private StatusText() {}

  /** {@code 4}; {@code 2 of 4} while an adaptive limit is lowered; {@code unlimited}. */
  public static String limit(ProviderStatus p) {
    if (p.limit().isEmpty()) {
      return "unlimited";
    }
    String configured = Integer.toString(p.limit().getAsInt());
    return p.effectiveLimit().isPresent()
        ? p.effectiveLimit().getAsInt() + " of " + configured
        : configured;
  }

  /**
   * {@code no}, {@code paused} (by hand), or {@code until 12:03:41 (30s left, 429 from the
   * provider)} while a 429 pause is in force (both when both are).
   */
  public static String paused(ProviderStatus p, Instant now) {
    if (p.pausedUntil().isEmpty()) {
      return p.paused() ? "paused" : "no";
    }
    Instant until = p.pausedUntil().get();
    String timed =
        "until "
            + When.local(until, now)
            + " ("
            + When.left(until, now)
            + " left, "
            + reason(p)
            + ")";
    return p.paused() ? "paused, and " + timed : timed;
  }

  static String reason(ProviderStatus p) {
    return p.pauseReason().isEmpty() ? "429" : p.pauseReason();
  }

  /** The providers' table (with the note on lowered limits when one is), as {@code status}. */
  public static String providers(StatusSnapshot s) {
    boolean upstream = s.providers().stream().anyMatch(p -> p.upstreamInFlight().isPresent());
    boolean lowered = s.providers().stream().anyMatch(p -> p.effectiveLimit().isPresent());
    List<String> headers =
        new ArrayList<>(List.of("PROVIDER", "LIMIT>", "ACTIVE>", "COOLING>", "QUEUED>"));
    if (upstream) {
      headers.add("UPSTREAM>");
    }
    headers.add("PAUSED");
    Table table = new Table(headers.toArray(String[]::new));
    for (ProviderStatus p : s.providers()) {
      List<Object> row =
          new ArrayList<>(List.of(p.provider(), limit(p), p.active(), p.cooling(), p.queued()));
      if (upstream) {
        row.add(
            p.upstreamInFlight().isPresent()
                ? Integer.toString(p.upstreamInFlight().getAsInt())
                : "");
      }
      row.add(paused(p, s.at()));
      table.row(row.toArray());
    }
    StringBuilder sb = new StringBuilder();
    table.render(sb);
    if (lowered) {
      sb.append(LOWERED_NOTE).append('\n');
    }
    return sb.toString();
  }

  /** Everything {@code inflight status} prints for {@code s} on the database {@code db}. */
  static String tables(StatusSnapshot s, String db) {
    if (s.providers().isEmpty()) {
      return "No limits set and nothing held or queued (" + db + ").\n";
    }
    StringBuilder sb = new StringBuilder(providers(s));
    if (!s.leases().isEmpty()) {
      sb.append("\nActive leases:\n");
      Table leases = new Table("ID>", "PROVIDER", "PID>", "PROCESS", "LABEL", "HELD FOR>");
      for (LeaseInfo l : s.leases()) {
        leases.row(
            l.id(), l.provider(), l.pid(), l.processName(), l.label(), Text.duration(l.held()));
      }
      leases.render(sb);
    }
    if (!s.waiters().isEmpty()) {
      sb.append("\nWaiting:\n");
      Table waiters =
          new Table("PROVIDER", "POSITION>", "PID>", "PROCESS", "LABEL", "WAITING FOR>");
      for (WaiterInfo w : s.waiters()) {
        waiters.row(
            w.provider(),
            w.position(),
            w.pid(),
            w.processName(),
            w.label(),
            Text.duration(w.waiting()));
      }
      waiters.render(sb);
    }
    return sb.toString();
  }

  /**
   * One line for logs and pipes, in the same words: {@code openai limit 2 of 4, active 1, cooling
   * 0, queued 2, paused no | anthropic ...}.
   */
  public static String line(StatusSnapshot s) {
    StringBuilder sb = new StringBuilder();
    for (ProviderStatus p : s.providers()) {
      if (sb.length() > 0) {
        sb.append(" | ");
      }
      sb.append(Text.printable(p.provider()))
          .append(" limit ")
          .append(limit(p))
          .append(", active ")
          .append(p.active())
          .append(", cooling ")
          .append(p.cooling())
          .append(", queued ")
          .append(p.queued())
          .append(", paused ")
          .append(paused(p, s.at()));
    }
    return sb.toString();
  }
}
