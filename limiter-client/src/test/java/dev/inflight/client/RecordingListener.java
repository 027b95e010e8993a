package dev.inflight.client;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** Records listener calls as short strings. */
final class RecordingListener implements LimiterListener {
  final List<String> events = new CopyOnWriteArrayList<>();

  @Override
  public void queued(String provider, String label, int position, int ahead) {
    events.add("queued " + provider + " " + label + " position=" + position + " ahead=" + ahead);
  }

  @Override
  public void acquired(Lease lease, Duration waited) {
    events.add(
        "acquired " + lease.provider() + " " + lease.label() + " waited=" + waited.toMillis());
  }

  @Override
  public void released(Lease lease, Duration held, ReleaseResult result) {
    events.add(
        "released "
            + lease.provider()
            + " "
            + lease.label()
            + " held="
            + held.toMillis()
            + " "
            + result);
  }

  @Override
  public void reclaimed(ReclaimInfo whose, ReclaimInfo.Reason why) {
    events.add(
        "reclaimed pid="
            + whose.pid()
            + " leases="
            + whose.leases().size()
            + " waiters="
            + whose.waiters()
            + " "
            + why);
  }

  @Override
  public void probeUnavailable(String provider, String reason) {
    events.add("probeUnavailable " + provider + " " + reason);
  }

  @Override
  public void probeRecovered(String provider) {
    events.add("probeRecovered " + provider);
  }

  @Override
  public void rateLimited(String provider, java.time.Instant pausedUntil) {
    events.add("rateLimited " + provider + " until " + pausedUntil);
  }
}
