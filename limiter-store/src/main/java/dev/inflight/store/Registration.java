package dev.inflight.store;

import java.time.Duration;
import java.util.Objects;
import java.util.OptionalLong;

/**
 * A client process joining the protocol.
 *
 * @param who how other processes of this host can tell whether it still runs
 * @param ttl how long its row stays valid without a heartbeat, for processes that cannot check it
 * @param reuseId the id it had before others reclaimed it (empty for a first registration)
 */
public record Registration(ProcessIdentity who, Duration ttl, OptionalLong reuseId) {
  public Registration {
    Objects.requireNonNull(who, "who");
    Objects.requireNonNull(ttl, "ttl");
    Objects.requireNonNull(reuseId, "reuseId");
  }

  public static Registration first(ProcessIdentity who, Duration ttl) {
    return new Registration(who, ttl, OptionalLong.empty());
  }

  public static Registration again(ProcessIdentity who, Duration ttl, long id) {
    return new Registration(who, ttl, OptionalLong.of(id));
  }
}
