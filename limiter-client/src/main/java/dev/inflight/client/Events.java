package dev.inflight.client;

import dev.inflight.store.LazyLogger;
import dev.inflight.store.PauseReason;
import dev.inflight.store.Rows.Reclaimed;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;

/**
 * What this process's limiter tells its listener and its log, in one place. Listener methods run on
 * the thread that caused the event; one that throws is logged and ignored.
 */
final class Events {
  static final System.Logger LOG =
      new LazyLogger("dev.inflight.client", () -> System.getLogger("dev.inflight.client"));

  private final LimiterListener listener;
  private final Views views;

  Events(LimiterListener listener, Views views) {
    this.listener = listener;
    this.views = views;
  }

  void queued(String provider, String label, int position, String state) {
    LOG.log(
        Level.INFO,
        () ->
            "'"
                + provider
                + "' is full ("
                + state
                + "): request"
                + (label.isEmpty() ? "" : " '" + label + "'")
                + " queued at position "
                + position);
    safely(() -> listener.queued(provider, label, position, position - 1));
  }

  /**
   * A lease was granted; logged only when the request had waited in the queue (an immediate grant
   * logs nothing, so that it does not set up the logging framework in a short-lived process).
   */
  void acquired(Lease lease, Duration waited, boolean queued) {
    if (queued && !waited.isZero()) {
      LOG.log(
          Level.INFO,
          () ->
              "lease "
                  + lease.id()
                  + " for '"
                  + lease.provider()
                  + "' granted after "
                  + Text.duration(waited)
                  + " in the queue");
    }
    safely(() -> listener.acquired(lease, waited));
  }

  void released(Lease lease, Duration held, ReleaseResult result) {
    if (result == ReleaseResult.LOST) {
      LOG.log(
          Level.WARNING,
          "lease "
              + lease.id()
              + " for '"
              + lease.provider()
              + "' was no longer held when released (force-released or reclaimed)");
    }
    safely(() -> listener.released(lease, held, result));
  }

  /**
   * Admission for {@code provider} is paused for every process until {@code until}: because the
   * provider answered 429 to a request of this process, or because one was reported.
   */
  void rateLimited(String provider, Instant until, Instant now, PauseReason why) {
    String left = Text.countdown(Duration.between(now, until.isBefore(now) ? now : until));
    String what =
        why == PauseReason.REPORTED_429
            ? "a 429 was reported for '" + Text.printable(provider) + "'"
            : "'" + Text.printable(provider) + "' answered 429";
    LOG.log(
        Level.WARNING,
        () ->
            what
                + ": admission paused for every process for "
                + left
                + " (until "
                + until.truncatedTo(ChronoUnit.SECONDS)
                + ")");
    safely(() -> listener.rateLimited(provider, until));
  }

  /** Logs and reports what another process's death or silence let this process take back. */
  void reclaimed(List<Reclaimed> reclaimed) {
    for (Reclaimed r : reclaimed) {
      ReclaimInfo info = views.reclaimInfo(r);
      ReclaimInfo.Reason why = Views.reason(r.why());
      LOG.log(
          Level.WARNING,
          () ->
              "reclaimed "
                  + info.leases().size()
                  + " lease(s) and "
                  + r.waiters()
                  + " waiter(s) of pid "
                  + r.whose().pid()
                  + (r.whose().host().isEmpty() ? "" : " on " + Views.display(r.whose().host()))
                  + " ("
                  + Views.words(why)
                  + ")");
      safely(() -> listener.reclaimed(info, why));
    }
  }

  /** This process's own registration was gone: its leases are lost. */
  void reclaimedThisProcess(ReclaimInfo info) {
    LOG.log(
        Level.WARNING,
        "this process's registration is gone: another process reclaimed it or someone deleted it;"
            + " its "
            + info.leases().size()
            + " lease(s) are lost and its waiting requests queue again");
    safely(() -> listener.reclaimed(info, ReclaimInfo.Reason.THIS_PROCESS));
  }

  void probeUnavailable(String provider, String why) {
    LOG.log(
        Level.WARNING,
        "the usage probe for '"
            + provider
            + "' "
            + why
            + ": admitting by local accounting (with the cooldown) until it answers");
    safely(() -> listener.probeUnavailable(provider, why));
  }

  void probeRecovered(String provider) {
    LOG.log(Level.INFO, "the usage probe for '" + provider + "' answers again: admitting by it");
    safely(() -> listener.probeRecovered(provider));
  }

  static void safely(Runnable r) {
    try {
      r.run();
    } catch (RuntimeException e) {
      LOG.log(Level.WARNING, "a limiter listener threw", e);
    }
  }
}
