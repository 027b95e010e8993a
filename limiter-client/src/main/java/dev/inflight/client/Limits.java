package dev.inflight.client;

import java.util.List;
import java.util.Optional;

/**
 * The shared per-provider limits. A provider with no limit is unlimited. Every change takes effect
 * for every process at once: raising a limit or resuming grants waiting requests immediately.
 * Invalid input throws {@link IllegalArgumentException} and changes nothing.
 */
public interface Limits {
  /** All limits, by provider. */
  List<LimitSpec> list();

  Optional<LimitSpec> get(String provider);

  /**
   * Creates or replaces the provider's limit and cooldown. The paused flag is kept as it is (use
   * {@link #pause}/{@link #resume}).
   */
  LimitSpec set(LimitSpec limit);

  /** Makes the provider unlimited; returns whether it had a limit. */
  boolean unset(String provider);

  /**
   * Stops granting leases for the provider (held leases stay held; requests queue).
   *
   * @throws IllegalArgumentException when the provider has no limit to pause
   */
  void pause(String provider);

  /**
   * Grants again, at once, to waiting requests: clears the paused flag and lifts a 429 pause in
   * force (see {@link Limiter#report429}).
   *
   * @throws IllegalArgumentException when the provider has no limit and no 429 pause in force
   */
  void resume(String provider);

  /** Every model's own limit, by provider and model. */
  List<ModelLimitSpec> models();

  /**
   * Creates or replaces a model's own limit. Applies at once to requests already waiting in every
   * process (a raise grants them).
   */
  ModelLimitSpec setModel(ModelLimitSpec limit);

  /** Removes a model's own limit (its requests then count against the provider's alone). */
  boolean unsetModel(String provider, String model);
}
