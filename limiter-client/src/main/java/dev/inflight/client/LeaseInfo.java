package dev.inflight.client;

import java.time.Duration;
import java.time.Instant;

/**
 * A lease as other processes see it (a snapshot).
 *
 * @param pid the holder's process id, on {@code host}
 * @param processName the holder's executable name, when known
 * @param held how long it had been held when the snapshot was taken
 * @param model the model it was taken for ("" for the provider as a whole)
 * @param weight the units it takes at each of its levels
 * @param tokens the tokens it reserved in its levels' token budgets
 * @param queuedAt when it was asked for: {@code acquiredAt - queuedAt} is how long it waited
 */
public record LeaseInfo(
    long id,
    String provider,
    long pid,
    String host,
    String processName,
    String label,
    Instant acquiredAt,
    Duration held,
    String model,
    int weight,
    long tokens,
    Instant queuedAt) {
  /** A lease asked for and granted at the same instant ({@code queuedAt = acquiredAt}). */
  public LeaseInfo(
      long id,
      String provider,
      long pid,
      String host,
      String processName,
      String label,
      Instant acquiredAt,
      Duration held,
      String model,
      int weight,
      long tokens) {
    this(
        id,
        provider,
        pid,
        host,
        processName,
        label,
        acquiredAt,
        held,
        model,
        weight,
        tokens,
        acquiredAt);
  }

  /** A lease of the provider as a whole, of weight 1, that reserved no tokens. */
  public LeaseInfo(
      long id,
      String provider,
      long pid,
      String host,
      String processName,
      String label,
      Instant acquiredAt,
      Duration held) {
    this(id, provider, pid, host, processName, label, acquiredAt, held, "", 1, 0);
  }

  /** How long it waited before it was granted (zero when not known). */
  public Duration waited() {
    Duration d = Duration.between(queuedAt, acquiredAt);
    return d.isNegative() ? Duration.ZERO : d;
  }

  /** {@code provider} or {@code provider/model}. */
  public String key() {
    return model.isEmpty() ? provider : provider + "/" + model;
  }
}
