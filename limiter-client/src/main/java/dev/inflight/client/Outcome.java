package dev.inflight.client;

/**
 * How the request that held a lease ended, as its holder tells the limiter on release. Every
 * process learns from it through the database.
 */
public enum Outcome {
  /**
   * The provider answered. On a provider with an adaptive limit, successes after a quiet period
   * raise a lowered limit back, one step at a time.
   */
  SUCCEEDED,

  /**
   * The provider answered 429 (too many requests). Admission for the provider pauses in every
   * process until the Retry-After the holder passes (else the limiter's default, 30 s), and an
   * adaptive limit steps down by one.
   */
  RATE_LIMITED,

  /** The request failed for another reason (a network error, a 5xx): the slot is only freed. */
  FAILED,

  /** The caller gave up on the request (a timeout, a user's cancel): the slot is only freed. */
  CANCELLED
}
