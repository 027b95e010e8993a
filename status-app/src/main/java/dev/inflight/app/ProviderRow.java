package dev.inflight.app;

import dev.inflight.client.ProviderStatus;
import java.time.Duration;
import java.time.Instant;
import javafx.beans.property.ReadOnlyObjectProperty;
import javafx.beans.property.ReadOnlyObjectWrapper;
import javafx.beans.property.ReadOnlyStringProperty;
import javafx.beans.property.ReadOnlyStringWrapper;

/** One provider as the window shows it: the latest status, a ticking wait and the history. */
public final class ProviderRow {
  private final String provider;
  private final History history;
  private final ReadOnlyObjectWrapper<ProviderStatus> status = new ReadOnlyObjectWrapper<>();
  private final ReadOnlyStringWrapper longestWait = new ReadOnlyStringWrapper("");
  private Instant readAt = Instant.EPOCH;

  ProviderRow(String provider, History history) {
    this.provider = provider;
    this.history = history;
  }

  public String provider() {
    return provider;
  }

  public History history() {
    return history;
  }

  public ReadOnlyObjectProperty<ProviderStatus> statusProperty() {
    return status.getReadOnlyProperty();
  }

  public ProviderStatus status() {
    return status.get();
  }

  /** The oldest waiter's wait, counted up between reads; empty when nobody waits. */
  public ReadOnlyStringProperty longestWaitProperty() {
    return longestWait.getReadOnlyProperty();
  }

  void update(ProviderStatus s, Instant at, Instant now) {
    status.set(s);
    readAt = at;
    tick(now);
  }

  void tick(Instant now) {
    ProviderStatus s = status.get();
    if (s == null || s.queued() == 0) {
      longestWait.set("");
    } else {
      Duration since = Duration.between(readAt, now);
      longestWait.set(
          Fmt.duration(s.longestWait().plus(since.isNegative() ? Duration.ZERO : since)));
    }
  }
}
