package dev.inflight.app;

import dev.inflight.client.LeaseInfo;
import java.time.Duration;
import java.time.Instant;
import javafx.beans.property.ReadOnlyStringProperty;
import javafx.beans.property.ReadOnlyStringWrapper;

/** An active lease in the leases table; "held for" counts up every second. */
public final class LeaseRow {
  private final LeaseInfo info;
  private final ReadOnlyStringWrapper heldFor = new ReadOnlyStringWrapper();

  LeaseRow(LeaseInfo info, Instant now) {
    this.info = info;
    tick(now);
  }

  public LeaseInfo info() {
    return info;
  }

  public ReadOnlyStringProperty heldForProperty() {
    return heldFor.getReadOnlyProperty();
  }

  void tick(Instant now) {
    heldFor.set(Fmt.duration(Duration.between(info.acquiredAt(), now)));
  }
}
