package dev.inflight.client;

/**
 * What this limiter's waiting has cost since it was built: how often its dispatcher read the
 * database for queued requests, how many of those requests were granted after waiting, and how many
 * wake-up signals other processes sent it. A wake-up that grants nothing is wasted work, so {@link
 * #wakeupsPerGrant()} near 1 means waiters are woken only when a slot is freed for them.
 *
 * @param wakeups times waiting requests were looked at: reads of the queue (one per dispatcher pass
 *     or glance), and wake-up messages that handed leases over without a read
 * @param queuedGrants requests that waited and then were granted a lease
 * @param signals wake-up messages received from other processes
 */
public record WaitStats(long wakeups, long queuedGrants, long signals) {

  /** Wake-ups per queued grant; 0 when nothing was granted after waiting. */
  public double wakeupsPerGrant() {
    return queuedGrants == 0 ? 0 : (double) wakeups / queuedGrants;
  }
}
