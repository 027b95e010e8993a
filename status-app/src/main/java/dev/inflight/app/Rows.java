package dev.inflight.app;

import dev.inflight.client.LeaseInfo;
import dev.inflight.client.ProviderStatus;
import dev.inflight.client.StatusSnapshot;
import dev.inflight.client.WaiterInfo;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.TreeMap;
import java.util.function.Function;
import javafx.collections.FXCollections;
import javafx.collections.ObservableList;

/**
 * The rows of the window, kept in place from one snapshot to the next: providers in name order (a
 * row is kept and updated while its provider stays, so nothing moves under the pointer), active
 * leases and queued requests.
 *
 * <p>An unlimited provider is in a snapshot only while it has leases or waiters. Its row stays
 * while its chart still shows activity (the last ten minutes), with zero counts, rather than
 * appearing and vanishing as leases come and go.
 *
 * <p>UI thread only; needs no toolkit.
 */
final class Rows {
  private final Function<String, History> histories;
  private final ProviderRow.Saves saves;
  private final ZoneId zone;
  private final ObservableList<ProviderRow> providers = FXCollections.observableArrayList();
  private final ObservableList<LeaseRow> leases = FXCollections.observableArrayList();
  private final ObservableList<WaiterRow> waiters = FXCollections.observableArrayList();
  private final Map<String, ProviderRow> byProvider = new HashMap<>();
  private final Grants grants = new Grants();

  Rows(
      Function<String, History> histories,
      ProviderRow.Save setLimit,
      ProviderRow.Save setCooldown,
      ZoneId zone) {
    this(histories, ProviderRow.Saves.of(setLimit, setCooldown), zone);
  }

  Rows(Function<String, History> histories, ProviderRow.Saves saves, ZoneId zone) {
    this.histories = histories;
    this.saves = saves;
    this.zone = zone;
  }

  ObservableList<ProviderRow> providers() {
    return providers;
  }

  ObservableList<LeaseRow> leases() {
    return leases;
  }

  ObservableList<WaiterRow> waiters() {
    return waiters;
  }

  ProviderStatus status(String provider) {
    ProviderRow row = byProvider.get(provider);
    return row == null ? null : row.status();
  }

  /** The provider's row, or null. */
  ProviderRow row(String provider) {
    return byProvider.get(provider);
  }

  /** Shows a snapshot read at {@code s.at()}; {@code now} is the clock's time for counters. */
  void apply(StatusSnapshot s, Instant now) {
    apply(s, Settings.NONE, now);
  }

  /** Shows a snapshot and the limits read with it; {@code now} is the clock's time for counters. */
  void apply(StatusSnapshot s, Settings settings, Instant now) {
    Map<String, ProviderStatus> shown = new TreeMap<>();
    s.providers().forEach(p -> shown.put(p.provider(), p));
    long since = now.toEpochMilli() - Histories.IDLE_KEEP_MS;
    for (ProviderRow row : byProvider.values()) {
      String p = row.provider();
      ProviderStatus last = row.status();
      if (!shown.containsKey(p)
          && last != null
          && last.limit().isEmpty()
          && row.history().hasActivitySince(since)) {
        shown.put(p, idle(p));
      }
    }
    providers.removeIf(r -> !shown.containsKey(r.provider()));
    byProvider.keySet().retainAll(shown.keySet());
    Map<String, Map<String, int[]>> inUse = modelsInUse(s);
    grants.see(s.leases());
    int i = 0;
    for (ProviderStatus p : shown.values()) {
      ProviderRow row = byProvider.get(p.provider());
      boolean added = row == null;
      if (added) {
        row = new ProviderRow(p.provider(), histories.apply(p.provider()), zone, saves);
        byProvider.put(p.provider(), row);
      }
      row.update(
          p,
          settings.limit(p.provider()),
          settings.modelsOf(p.provider()),
          inUse.getOrDefault(p.provider(), Map.of()),
          s.at(),
          now);
      row.showGrants(grants.of(p.provider(), now));
      if (added) {
        providers.add(i, row);
      }
      i++;
    }
    leases.setAll(
        s.leases().stream()
            .sorted(
                Comparator.comparing(LeaseInfo::provider)
                    .thenComparing(LeaseInfo::acquiredAt)
                    .thenComparingLong(LeaseInfo::id))
            .map(l -> new LeaseRow(l, now))
            .toList());
    waiters.setAll(
        s.waiters().stream()
            .sorted(
                Comparator.comparing(WaiterInfo::provider).thenComparingInt(WaiterInfo::position))
            .map(w -> new WaiterRow(w, now))
            .toList());
  }

  /**
   * Units held and requests queued per provider and model ({@code [inFlight, queued]}), for the
   * models that have no status of their own (no limit): what the snapshot's leases and waiters
   * name.
   */
  static Map<String, Map<String, int[]>> modelsInUse(StatusSnapshot s) {
    Map<String, Map<String, int[]>> m = new HashMap<>();
    for (LeaseInfo l : s.leases()) {
      if (!l.model().isEmpty()) {
        m.computeIfAbsent(l.provider(), k -> new HashMap<>())
                .computeIfAbsent(l.model(), k -> new int[2])[0] +=
            l.weight();
      }
    }
    for (WaiterInfo w : s.waiters()) {
      if (!w.model().isEmpty()) {
        m.computeIfAbsent(w.provider(), k -> new HashMap<>())
            .computeIfAbsent(w.model(), k -> new int[2])[1]++;
      }
    }
    return m;
  }

  /** Advances the counters that tick between reads. */
  void tick(Instant now) {
    providers.forEach(
        r -> {
          r.tick(now);
          r.showGrants(grants.of(r.provider(), now));
        });
    leases.forEach(r -> r.tick(now));
    waiters.forEach(r -> r.tick(now));
  }

  /** An unlimited provider with nothing in flight. */
  static ProviderStatus idle(String provider) {
    return new ProviderStatus(
        provider, OptionalInt.empty(), Duration.ZERO, false, 0, 0, 0, Duration.ZERO);
  }

  /** Totals in one line, e.g. {@code 4 active · 2 queued · 3 providers (1 paused)}. */
  static String summaryOf(List<ProviderStatus> providers) {
    int active = providers.stream().mapToInt(ProviderStatus::active).sum();
    int queued = providers.stream().mapToInt(ProviderStatus::queued).sum();
    long paused = providers.stream().filter(p -> p.paused() || p.pausedUntil().isPresent()).count();
    return active
        + " active · "
        + queued
        + " queued · "
        + providers.size()
        + (providers.size() == 1 ? " provider" : " providers")
        + (paused > 0 ? " (" + paused + " paused)" : "");
  }
}
