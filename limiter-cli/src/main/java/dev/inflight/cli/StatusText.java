package dev.inflight.cli;

import dev.inflight.client.LeaseInfo;
import dev.inflight.client.ModelStatus;
import dev.inflight.client.Priority;
import dev.inflight.client.ProviderStatus;
import dev.inflight.client.StatusSnapshot;
import dev.inflight.client.Text;
import dev.inflight.client.WaiterInfo;
import dev.inflight.client.Window;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The one vocabulary for the state of providers, leases and waiters in text: {@code inflight
 * status}, {@code status --watch} and the demo's table and log lines all write it this way. LIMIT
 * is {@code 4}, {@code 2 of 4} (429s hold an adaptive limit of 4 down at 2) or {@code unlimited};
 * PAUSED is {@code no}, {@code paused} (by hand) or {@code until 12:03:41 (30s left, 429 from the
 * provider)}. QUEUED is {@code 3}, or {@code 3 (1 interactive, 2 batch)} once a request is not of
 * the normal class; BUDGET is {@code 412/500 rpm, 28.5k/30k tpm, frees in 12s} (what the rolling
 * 60-second window holds of each per-minute budget, and when its oldest start leaves it). A
 * provider's models with limits of their own are indented beneath it.
 */
public final class StatusText {
  static final String LOWERED_NOTE =
      "(\"N of M\": 429s lowered this adaptive limit from M to N; successes raise it back one"
          + " step at a time after a quiet period)";

  private StatusText() {}

  /**
   * {@code 4}; {@code 2 of 4} while an adaptive limit is lowered; {@code no cap} when only a budget
   * limits it; {@code unlimited}.
   */
  public static String limit(ProviderStatus p) {
    if (p.limit().isEmpty()) {
      return p.window().any() ? "no cap" : "unlimited";
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

  /** {@code 3}, or {@code 3 (1 interactive, 2 batch)} once one is not of the normal class. */
  public static String queued(ProviderStatus p) {
    if (p.queued() == 0 || p.queuedByClass().keySet().stream().allMatch(Priority.NORMAL::equals)) {
      return Integer.toString(p.queued());
    }
    StringBuilder sb = new StringBuilder().append(p.queued()).append(" (");
    String sep = "";
    for (Priority c : Priority.values()) {
      int n = p.queuedByClass().getOrDefault(c, 0);
      if (n > 0) {
        sb.append(sep).append(n).append(' ').append(c);
        sep = ", ";
      }
    }
    return sb.append(')').toString();
  }

  /**
   * {@code 412/500 rpm, 28.5k/30k tpm, frees in 12s}: each per-minute budget's use in the rolling
   * window, and when its oldest start leaves it; "" for a level without a budget.
   */
  public static String budget(Window w, Instant now) {
    return budget(w, now, true);
  }

  /**
   * {@link #budget(Window, Instant)}, saying {@code frees at 12:03:41} unless {@code countdown}.
   */
  static String budget(Window w, Instant now, boolean countdown) {
    if (!w.any()) {
      return "";
    }
    StringBuilder sb = new StringBuilder();
    if (w.requestsPerMinute() > 0) {
      sb.append(count(w.requests()))
          .append('/')
          .append(count(w.requestsPerMinute()))
          .append(" rpm");
    }
    if (w.tokensPerMinute() > 0) {
      sb.append(sb.length() == 0 ? "" : ", ")
          .append(count(w.tokens()))
          .append('/')
          .append(count(w.tokensPerMinute()))
          .append(" tpm");
    }
    if (w.changesAt().isPresent() && (w.requests() > 0 || w.tokens() > 0)) {
      Instant at = w.changesAt().get();
      sb.append(
          countdown
              ? ", frees in " + Text.countdown(Duration.between(now, at))
              : ", frees at " + When.local(at, now));
    }
    return sb.toString();
  }

  /**
   * {@code 850}, {@code 28.5k}, {@code 1.2M}: tenths truncated, never rounded up, so that a budget
   * never reads full before it is.
   */
  static String count(long n) {
    if (n < 1000) {
      return Long.toString(n);
    }
    long unit = n < 1_000_000 ? 1000 : 1_000_000;
    String suffix = unit == 1000 ? "k" : "M";
    long whole = n / unit;
    long tenth = (n % unit) / (unit / 10);
    return whole + (tenth == 0 || whole >= 100 ? "" : "." + tenth) + suffix;
  }

  /**
   * The rows of the providers' table, in order: each provider ({@link ProviderStatus}), then its
   * models with limits of their own ({@link ModelStatus}).
   */
  static List<Object> providerRows(StatusSnapshot s) {
    List<Object> rows = new ArrayList<>();
    for (ProviderStatus p : s.providers()) {
      rows.add(p);
      rows.addAll(p.models());
    }
    return rows;
  }

  /** The providers' table (with the note on lowered limits when one is), as {@code status}. */
  public static String providers(StatusSnapshot s) {
    boolean upstream = s.providers().stream().anyMatch(p -> p.upstreamInFlight().isPresent());
    boolean lowered = s.providers().stream().anyMatch(p -> p.effectiveLimit().isPresent());
    boolean budgets =
        s.providers().stream()
            .anyMatch(p -> p.window().any() || p.models().stream().anyMatch(m -> m.window().any()));
    boolean classes = s.providers().stream().anyMatch(p -> !queued(p).matches("[0-9]+"));
    List<String> headers =
        new ArrayList<>(
            List.of("PROVIDER", "LIMIT>", "ACTIVE>", "COOLING>", classes ? "QUEUED" : "QUEUED>"));
    if (budgets) {
      headers.add("BUDGET");
    }
    if (upstream) {
      headers.add("UPSTREAM>");
    }
    headers.add("PAUSED");
    Table table = new Table(headers.toArray(String[]::new));
    for (ProviderStatus p : s.providers()) {
      List<Object> row =
          new ArrayList<>(List.of(p.provider(), limit(p), p.active(), p.cooling(), queued(p)));
      if (budgets) {
        row.add(budget(p.window(), s.at()));
      }
      if (upstream) {
        row.add(
            p.upstreamInFlight().isPresent()
                ? Integer.toString(p.upstreamInFlight().getAsInt())
                : "");
      }
      row.add(paused(p, s.at()));
      table.row(row.toArray());
      for (ModelStatus m : p.models()) {
        // A model's ACTIVE is every unit its leases hold, cooling ones included.
        List<Object> mrow =
            new ArrayList<>(
                List.of(
                    "  " + Text.printable(m.model()),
                    m.maxInFlight() == 0 ? "-" : Integer.toString(m.maxInFlight()),
                    m.inFlight(),
                    "",
                    m.queued()));
        if (budgets) {
          mrow.add(budget(m.window(), s.at()));
        }
        table.row(mrow.toArray());
      }
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
      boolean weights = s.leases().stream().anyMatch(l -> l.weight() != 1);
      boolean tokens = s.leases().stream().anyMatch(l -> l.tokens() > 0);
      Table leases =
          new Table(
              headers(
                  List.of("ID>", "PROVIDER"),
                  weights,
                  tokens,
                  List.of("PID>", "PROCESS", "LABEL", "HELD FOR>")));
      for (LeaseInfo l : s.leases()) {
        leases.row(
            cells(
                List.of(l.id(), l.key()),
                weights ? l.weight() : null,
                tokens ? tokens(l.tokens()) : null,
                List.of(l.pid(), l.processName(), l.label(), Text.duration(l.held()))));
      }
      leases.render(sb);
    }
    if (!s.waiters().isEmpty()) {
      sb.append("\nWaiting:\n");
      boolean weights = s.waiters().stream().anyMatch(w -> w.weight() != 1);
      boolean tokens = s.waiters().stream().anyMatch(w -> w.tokens() > 0);
      Table waiters =
          new Table(
              headers(
                  List.of("PROVIDER", "POSITION>", "CLASS"),
                  weights,
                  tokens,
                  List.of("PID>", "PROCESS", "LABEL", "WAITING FOR>")));
      for (WaiterInfo w : s.waiters()) {
        waiters.row(
            cells(
                List.of(w.key(), w.position(), w.priority().toString()),
                weights ? w.weight() : null,
                tokens ? tokens(w.tokens()) : null,
                List.of(w.pid(), w.processName(), w.label(), Text.duration(w.waiting()))));
      }
      waiters.render(sb);
    }
    return sb.toString();
  }

  /** A lease's or waiter's reserved tokens: "" for none. */
  private static String tokens(long n) {
    return n == 0 ? "" : Long.toString(n);
  }

  /** {@code before}, WEIGHT and TOKENS when {@code weights}/{@code tokens}, then {@code after}. */
  private static String[] headers(
      List<String> before, boolean weights, boolean tokens, List<String> after) {
    List<String> h = new ArrayList<>(before);
    if (weights) {
      h.add("WEIGHT>");
    }
    if (tokens) {
      h.add("TOKENS>");
    }
    h.addAll(after);
    return h.toArray(String[]::new);
  }

  private static Object[] cells(
      List<Object> before, Object weight, Object tokens, List<Object> after) {
    List<Object> c = new ArrayList<>(before);
    if (weight != null) {
      c.add(weight);
    }
    if (tokens != null) {
      c.add(tokens);
    }
    c.addAll(after);
    return c.toArray();
  }

  /**
   * One line for logs and pipes, in the same words: {@code openai limit 2 of 4, active 1, cooling
   * 0, queued 2, paused no | anthropic ...}; budgets and models are added where a provider has
   * them: {@code ..., paused no, 412/500 rpm, frees at 12:03:41; openai/gpt-4o limit 1, active 1,
   * queued 0, 2/30 rpm}.
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
          .append(queued(p))
          .append(", paused ")
          .append(paused(p, s.at()));
      // A time, not a countdown: piped, --watch prints a line per change, not one per second.
      if (p.window().any()) {
        sb.append(", ").append(budget(p.window(), s.at(), false));
      }
      for (ModelStatus m : p.models()) {
        sb.append("; ")
            .append(Text.printable(p.provider() + "/" + m.model()))
            .append(" limit ")
            .append(m.maxInFlight() == 0 ? "-" : Integer.toString(m.maxInFlight()))
            .append(", active ")
            .append(m.inFlight())
            .append(", queued ")
            .append(m.queued());
        if (m.window().any()) {
          sb.append(", ").append(budget(m.window(), s.at(), false));
        }
      }
    }
    return sb.toString();
  }
}
