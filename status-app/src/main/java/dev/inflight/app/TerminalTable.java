package dev.inflight.app;

import dev.inflight.client.LeaseInfo;
import dev.inflight.client.ProviderStatus;
import dev.inflight.client.StatusSnapshot;
import dev.inflight.client.WaiterInfo;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Collectors;

/** The demo's live table for terminals: one snapshot in, text out. */
final class TerminalTable {
  private TerminalTable() {}

  static String render(StatusSnapshot s, String title) {
    StringBuilder sb = new StringBuilder();
    sb.append(title).append('\n').append('\n');
    sb.append(
        String.format(
            "%-14s %6s %6s %7s %6s %10s  %s%n",
            "provider", "limit", "active", "cooling", "queued", "paused", "longest wait"));
    for (ProviderStatus p :
        s.providers().stream().sorted(Comparator.comparing(ProviderStatus::provider)).toList()) {
      sb.append(
          String.format(
              "%-14s %6s %6d %7d %6d %10s  %s%n",
              clip(p.provider(), 14),
              limit(p),
              p.active(),
              p.cooling(),
              p.queued(),
              paused(p, s.at()),
              p.queued() == 0 ? "" : Fmt.duration(p.longestWait())));
    }
    sb.append('\n');
    for (ProviderStatus p :
        s.providers().stream().sorted(Comparator.comparing(ProviderStatus::provider)).toList()) {
      List<LeaseInfo> held =
          s.leases().stream()
              .filter(l -> l.provider().equals(p.provider()))
              .sorted(Comparator.comparing(LeaseInfo::acquiredAt))
              .toList();
      List<WaiterInfo> queued =
          s.waiters().stream()
              .filter(w -> w.provider().equals(p.provider()))
              .sorted(Comparator.comparingInt(WaiterInfo::position))
              .toList();
      sb.append(String.format("%-14s ", clip(p.provider(), 14)));
      sb.append("holding: ")
          .append(
              held.isEmpty()
                  ? "-"
                  : held.stream()
                      .map(l -> name(l.label(), l.pid()) + " " + Fmt.duration(l.held()))
                      .collect(Collectors.joining(", ")));
      if (!queued.isEmpty()) {
        sb.append("   waiting: ")
            .append(
                queued.stream()
                    .map(w -> w.position() + "." + name(w.label(), w.pid()))
                    .collect(Collectors.joining(" ")));
      }
      sb.append('\n');
    }
    return sb.toString();
  }

  /** One line for logs and pipes: {@code openai 2/2 q1 · anthropic 3/3 ...}. */
  static String line(StatusSnapshot s) {
    return s.providers().stream()
        .sorted(Comparator.comparing(ProviderStatus::provider))
        .map(
            p ->
                p.provider()
                    + " "
                    + p.active()
                    + "/"
                    + limit(p)
                    + (p.cooling() > 0 ? " cooling " + p.cooling() : "")
                    + " queued "
                    + p.queued()
                    + (p.queued() > 0 ? " (longest " + Fmt.duration(p.longestWait()) + ")" : "")
                    + (paused(p, s.at()).isEmpty() ? "" : " paused " + paused(p, s.at())))
        .collect(Collectors.joining(" | "));
  }

  /** The limit, or {@code 1 of 2} while 429s hold an adaptive limit below it. */
  private static String limit(ProviderStatus p) {
    if (p.limit().isEmpty()) {
      return "-";
    }
    return p.effectiveLimit().isPresent()
        ? p.effectiveLimit().getAsInt() + " of " + p.limit().getAsInt()
        : Integer.toString(p.limit().getAsInt());
  }

  /** {@code yes} when paused by hand, {@code 429 5s} during a 429 pause, else empty. */
  private static String paused(ProviderStatus p, java.time.Instant at) {
    if (p.paused()) {
      return "yes";
    }
    return p.pausedUntil()
        .map(u -> "429 " + Fmt.countdown(java.time.Duration.between(at, u)))
        .orElse("");
  }

  private static String name(String label, long pid) {
    return (label.isEmpty() ? "pid" : dev.inflight.client.Text.printable(label)) + "(" + pid + ")";
  }

  private static String clip(String s, int n) {
    return s.length() <= n ? s : s.substring(0, n - 1) + "…";
  }

  static String fmt(Duration d) {
    return Fmt.duration(d);
  }
}
