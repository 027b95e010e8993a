package dev.inflight.app;

import dev.inflight.client.WaiterInfo;
import java.time.Duration;
import java.time.Instant;
import javafx.beans.property.ReadOnlyStringProperty;
import javafx.beans.property.ReadOnlyStringWrapper;

/** A queued request in the waiters table; "waiting for" counts up every second. */
public final class WaiterRow {
  private final WaiterInfo info;
  private final ReadOnlyStringWrapper waitingFor = new ReadOnlyStringWrapper();

  WaiterRow(WaiterInfo info, Instant now) {
    this.info = info;
    tick(now);
  }

  public WaiterInfo info() {
    return info;
  }

  public ReadOnlyStringProperty waitingForProperty() {
    return waitingFor.getReadOnlyProperty();
  }

  void tick(Instant now) {
    waitingFor.set(Fmt.duration(Duration.between(info.queuedAt(), now)));
  }
}
