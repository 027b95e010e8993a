package dev.inflight.app;

import dev.inflight.cli.StatusText;
import dev.inflight.client.LeaseInfo;
import dev.inflight.client.Priority;
import dev.inflight.client.ProviderStatus;
import dev.inflight.client.StatusSnapshot;
import dev.inflight.client.Text;
import dev.inflight.client.WaiterInfo;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The demo's live table for terminals: one snapshot in, text out. The providers' table and the
 * one-line form are {@code inflight status}'s own ({@link StatusText}), so the demo and the CLI
 * write the same state the same way.
 */
final class TerminalTable {
  private TerminalTable() {}

  static String render(StatusSnapshot s, String title) {
    return render(s, title, "");
  }

  /**
   * @param note a line under the title (what is still happening, such as agents starting), or empty
   */
  static String render(StatusSnapshot s, String title, String note) {
    StringBuilder sb = new StringBuilder();
    sb.append(title).append('\n');
    if (!note.isEmpty()) {
      sb.append(note).append('\n');
    }
    sb.append('\n');
    sb.append(StatusText.providers(s)).append('\n');
    int width = s.providers().stream().mapToInt(p -> p.provider().length()).max().orElse(0) + 2;
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
      String name = Text.printable(p.provider());
      sb.append(name).append(" ".repeat(Math.max(1, width - name.length())));
      sb.append("holding: ")
          .append(
              held.isEmpty()
                  ? "-"
                  : held.stream()
                      .map(
                          l ->
                              "#"
                                  + l.id()
                                  + " "
                                  + name(l.label(), l.pid())
                                  + " "
                                  + model(l.model())
                                  + Fmt.duration(l.held()))
                      .collect(Collectors.joining(", ")));
      if (!queued.isEmpty()) {
        sb.append("   waiting: ")
            .append(
                queued.stream()
                    .map(
                        w ->
                            w.position()
                                + "."
                                + name(w.label(), w.pid())
                                + " "
                                + model(w.model())
                                + (w.priority() == Priority.NORMAL ? "" : w.priority() + " ")
                                + Fmt.duration(w.waiting()))
                    .collect(Collectors.joining(" ")));
      }
      sb.append('\n');
    }
    return sb.toString();
  }

  /** One line for logs and pipes, in {@code inflight status}'s words. */
  static String line(StatusSnapshot s) {
    return StatusText.line(s);
  }

  /** The model a lease or request names, then a space; nothing when it names none. */
  private static String model(String model) {
    return model.isEmpty() ? "" : Text.printable(model) + " ";
  }

  private static String name(String label, long pid) {
    return (label.isEmpty() ? "pid" : Text.printable(label)) + "(" + pid + ")";
  }
}
