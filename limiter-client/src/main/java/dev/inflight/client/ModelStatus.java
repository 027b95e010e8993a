package dev.inflight.client;

/**
 * One model's level under its provider (a snapshot).
 *
 * @param maxInFlight its own in-flight cap; 0 when it has none (its provider's alone holds)
 * @param inFlight units its leases hold, in use and cooling
 * @param queued requests for this model waiting in the provider's queue
 */
public record ModelStatus(String model, int maxInFlight, int inFlight, int queued, Window window) {}
