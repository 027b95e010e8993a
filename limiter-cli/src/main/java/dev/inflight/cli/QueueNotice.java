package dev.inflight.cli;

import dev.inflight.client.LimiterListener;

/** Says once on stderr that the request is queued, and where. */
final class QueueNotice implements LimiterListener {
  private final String provider;
  private final boolean quiet;

  QueueNotice(String provider, boolean quiet) {
    this.provider = provider;
    this.quiet = quiet;
  }

  @Override
  public void queued(String p, String label, int position, int ahead) {
    if (!quiet) {
      System.err.println(
          "inflight: waiting for a lease of '"
              + provider
              + "': queued at position "
              + position
              + (ahead == 0 ? "" : " (" + ahead + " ahead)"));
    }
  }
}
