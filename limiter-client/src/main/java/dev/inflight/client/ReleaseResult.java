package dev.inflight.client;

/** How a {@link Lease#release()} ended. */
public enum ReleaseResult {
  /** The slot is free and was handed to the next waiter, if any. */
  RELEASED,
  /** The slot stays counted until the provider's cooldown ends, then frees by itself. */
  COOLING,
  /** This lease was already released by an earlier call: nothing was done. */
  ALREADY_RELEASED,
  /**
   * The lease was no longer held: it was force-released by a user, or reclaimed because this
   * process stopped heart-beating. Nothing was done; nobody else's lease was touched.
   */
  LOST,
  /**
   * The lease was granted without the database (fail-open after a store failure): nothing to do.
   */
  NOT_RECORDED,
  /**
   * The lease joined one that an ancestor process holds (see {@link Lease#childEnvironment()}):
   * nothing was released, and the ancestor's lease stays held.
   */
  JOINED
}
