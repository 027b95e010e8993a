package dev.inflight.client;

import dev.inflight.store.Ending;
import dev.inflight.store.ReclaimReason;
import dev.inflight.store.Rows;
import dev.inflight.store.Rows.LeaseRow;
import dev.inflight.store.Rows.LimitRow;
import dev.inflight.store.Rows.ProviderState;
import dev.inflight.store.Rows.Reclaimed;
import dev.inflight.store.Rows.Snapshot;
import dev.inflight.store.Rows.WaiterRow;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The one place where the engine's rows become the library's public records, and where the
 * library's enums meet the engine's (exhaustive switches: a new constant on either side fails to
 * compile here rather than at run time).
 */
final class Views {
  private final Clocks clocks;

  Views(Clocks clocks) {
    this.clocks = clocks;
  }

  StatusSnapshot status(Snapshot s) {
    long now = s.atMs();
    List<ProviderStatus> providers = new ArrayList<>();
    for (ProviderState st : s.providers()) {
      List<WaiterRow> queue =
          s.waiters().stream().filter(w -> w.provider().equals(st.provider())).toList();
      providers.add(provider(st, now, queue));
    }
    List<LeaseInfo> leases = new ArrayList<>();
    for (LeaseRow l : s.leases()) {
      leases.add(lease(l, now));
    }
    List<WaiterInfo> waiters = new ArrayList<>();
    for (WaiterRow w : s.waiters()) {
      waiters.add(
          new WaiterInfo(
              w.provider(),
              w.position(),
              w.owner().pid(),
              w.owner().host(),
              w.owner().name(),
              w.label(),
              Instant.ofEpochMilli(w.queuedAtMs()),
              since(w.queuedAtMs(), now),
              w.model(),
              w.weight(),
              w.tokens(),
              priority(w.priority())));
    }
    return new StatusSnapshot(Instant.ofEpochMilli(now), providers, leases, waiters);
  }

  static Priority priority(dev.inflight.store.Priority p) {
    return switch (p) {
      case INTERACTIVE -> Priority.INTERACTIVE;
      case NORMAL -> Priority.NORMAL;
      case BATCH -> Priority.BATCH;
    };
  }

  private static Window window(Rows.Budget b, long changesAtMs) {
    if (!b.any()) {
      return Window.NONE;
    }
    return new Window(
        b.requestsPerMinute(),
        b.requests(),
        b.tokensPerMinute(),
        b.tokens(),
        changesAtMs == 0 ? Optional.empty() : Optional.of(Instant.ofEpochMilli(changesAtMs)));
  }

  /** A provider's status, with its queue ({@code queue}: its rows in the snapshot) by class. */
  static ProviderStatus provider(ProviderState st, long now, List<WaiterRow> queue) {
    List<ModelStatus> models = new ArrayList<>();
    for (Rows.ModelState m : st.models()) {
      int queued = (int) queue.stream().filter(w -> w.model().equals(m.model())).count();
      models.add(
          new ModelStatus(
              m.model(),
              m.maxInFlight(),
              m.inFlight(),
              queued,
              window(m.budget(), m.windowChangesAtMs())));
    }
    Map<Priority, Integer> byClass = new java.util.EnumMap<>(Priority.class);
    for (WaiterRow w : queue) {
      byClass.merge(priority(w.priority()), 1, Integer::sum);
    }
    return new ProviderStatus(
        st.provider(),
        st.limit(),
        Duration.ofMillis(st.cooldownMs()),
        st.paused(),
        st.active(),
        st.cooling(),
        st.queued(),
        st.queued() == 0 ? Duration.ZERO : since(st.oldestQueuedAtMs(), now),
        st.adaptive(),
        st.effectiveLimit(),
        st.pausedUntilMs() == 0
            ? Optional.empty()
            : Optional.of(Instant.ofEpochMilli(st.pausedUntilMs())),
        st.pauseText(),
        st.upstreamInFlight(),
        window(st.budget(), st.windowChangesAtMs()),
        models,
        byClass);
  }

  /** {@link #provider(ProviderState, long, List)} when the queue's rows are not at hand. */
  static ProviderStatus provider(ProviderState st, long now) {
    return provider(st, now, List.of());
  }

  static LeaseInfo lease(LeaseRow l, long now) {
    return new LeaseInfo(
        l.id(),
        l.provider(),
        l.owner().pid(),
        l.owner().host(),
        l.owner().name(),
        l.label(),
        Instant.ofEpochMilli(l.acquiredAtMs()),
        since(l.acquiredAtMs(), now),
        l.model(),
        l.weight(),
        l.tokens(),
        Instant.ofEpochMilli(l.queuedAtMs()));
  }

  ReclaimInfo reclaimInfo(Reclaimed r) {
    long now = clocks.wall().millis();
    List<LeaseInfo> leases = new ArrayList<>();
    for (LeaseRow l : r.leases()) {
      leases.add(lease(l, now));
    }
    return new ReclaimInfo(
        r.whose().pid(), r.whose().host(), r.whose().name(), leases, r.waiters());
  }

  static LimitSpec spec(LimitRow r) {
    return new LimitSpec(
        r.provider(),
        r.maxInFlight(),
        Duration.ofMillis(r.cooldownMs()),
        r.paused(),
        r.adaptive(),
        r.requestsPerMinute(),
        r.tokensPerMinute(),
        r.defaultTokens(),
        Duration.ofMillis(r.agingMs()));
  }

  static ModelLimitSpec spec(dev.inflight.store.Rows.ModelLimitRow r) {
    return new ModelLimitSpec(
        r.provider(),
        r.model(),
        r.maxInFlight(),
        r.requestsPerMinute(),
        r.tokensPerMinute(),
        r.defaultTokens());
  }

  static ReclaimInfo.Reason reason(ReclaimReason why) {
    return switch (why) {
      case PROCESS_DEAD -> ReclaimInfo.Reason.PROCESS_DEAD;
      case HEARTBEAT_EXPIRED -> ReclaimInfo.Reason.HEARTBEAT_EXPIRED;
      case ORPHANED -> ReclaimInfo.Reason.ORPHANED;
      case INVALID -> ReclaimInfo.Reason.INVALID;
    };
  }

  static Ending ending(Outcome outcome) {
    return switch (outcome) {
      case SUCCEEDED -> Ending.SUCCEEDED;
      case RATE_LIMITED -> Ending.RATE_LIMITED;
      case FAILED -> Ending.FAILED;
      case CANCELLED -> Ending.CANCELLED;
    };
  }

  static String words(ReclaimInfo.Reason why) {
    return why.name().toLowerCase(Locale.ROOT).replace('_', ' ');
  }

  static String display(String s) {
    return Text.printable(s);
  }

  /** What besides the local count holds grants back, for messages; "" when nothing. */
  static String admissionState(ProviderState st) {
    List<String> parts = new ArrayList<>();
    if (st.effectiveLimit().isPresent()) {
      parts.add("adaptive limit=" + st.effectiveLimit().getAsInt());
    }
    if (st.upstreamInFlight().isPresent()) {
      parts.add("upstream in flight=" + st.upstreamInFlight().getAsInt());
    }
    if (st.pausedUntilMs() > 0) {
      parts.add(
          "paused until "
              + Instant.ofEpochMilli(st.pausedUntilMs())
              + " after a "
              + (st.pauseText().isEmpty() ? "429" : Text.printable(st.pauseText())));
    }
    return String.join(", ", parts);
  }

  /** {@code limit=2, active=2, queued=1}, and whatever else holds grants back. */
  static String describe(ProviderState st) {
    StringBuilder sb = new StringBuilder();
    sb.append("limit=")
        .append(st.limit().isPresent() ? Integer.toString(st.limit().getAsInt()) : "none");
    sb.append(", active=").append(st.active());
    if (st.cooling() > 0) {
      sb.append(", cooling=").append(st.cooling());
    }
    sb.append(", queued=").append(st.queued());
    if (st.paused()) {
      sb.append(", paused");
    }
    String more = admissionState(st);
    if (!more.isEmpty()) {
      sb.append(", ").append(more);
    }
    return sb.toString();
  }

  private static Duration since(long thenMs, long nowMs) {
    return Duration.ofMillis(Math.max(0, nowMs - thenMs));
  }
}
