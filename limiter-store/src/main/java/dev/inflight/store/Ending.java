package dev.inflight.store;

/** How a request that held a lease ended, as its holder reports it on release. */
public enum Ending {
  SUCCEEDED,
  /** The provider answered 429: pause admission for everyone, step an adaptive limit down. */
  RATE_LIMITED,
  FAILED,
  CANCELLED
}
