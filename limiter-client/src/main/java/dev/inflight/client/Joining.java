package dev.inflight.client;

import dev.inflight.store.LeaseEngine;
import dev.inflight.store.ProcessIdentity;
import dev.inflight.store.Rows.HeldLease;
import dev.inflight.store.StoreException;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiFunction;
import java.util.regex.Pattern;

/**
 * Nested leases. A process started under a held lease (by {@code inflight run}, or by a program
 * that passed {@link Lease#childEnvironment()} to its child) inherits the lease's token in {@value
 * #TOKEN}. Its own requests for that provider then join the held lease instead of queueing behind
 * it: at limit 1 a wrapped agent that takes its own lease would otherwise wait for ever for the
 * slot its parent holds. A request joins only while the lease is held, for the lease's provider,
 * and only in a descendant of the holder (same host, the holder's pid and start token among this
 * process's ancestors); any other request is taken as usual.
 *
 * <p>Thread-safe: immutable, apart from the one-time warning about a malformed variable.
 */
final class Joining {
  /** The environment variable that carries an inherited lease's token. */
  static final String TOKEN = "INFLIGHT_LEASE_TOKEN";

  private static final Pattern TOKEN_SHAPE = Pattern.compile("[0-9A-Za-z_-]{16,64}");
  private static final int MAX_ANCESTORS = 64;

  /** Whether a process of this host with {@code pid} and {@code startToken} is an ancestor. */
  interface Ancestry {
    boolean isAncestor(long pid, String startToken);

    /** The running process's real ancestors, read through {@link ProcessHandle#parent()}. */
    static Ancestry ofThisProcess() {
      return (pid, startToken) -> {
        Optional<ProcessHandle> p = ProcessHandle.current().parent();
        for (int i = 0; i < MAX_ANCESTORS && p.isPresent(); i++) {
          ProcessHandle h = p.get();
          if (h.pid() == pid) {
            return ProcessIdentity.startTokenOf(pid).map(startToken::equals).orElse(false);
          }
          p = h.parent();
        }
        return false;
      };
    }
  }

  private final String token; // null: nothing inherited
  private final LeaseEngine engine;
  private final String hostId;
  private final Ancestry ancestry;
  private final Clocks clocks;
  private final BiFunction<String, Duration, Instant> report429;

  private Joining(
      String token,
      LeaseEngine engine,
      String hostId,
      Ancestry ancestry,
      Clocks clocks,
      BiFunction<String, Duration, Instant> report429) {
    this.token = token;
    this.engine = engine;
    this.hostId = hostId;
    this.ancestry = ancestry;
    this.clocks = clocks;
    this.report429 = report429;
  }

  /**
   * Joining for a process whose environment is {@code env}: a malformed token is ignored with one
   * warning naming the variable (the process then takes its own leases, as without one).
   */
  static Joining of(
      Map<String, String> env,
      LeaseEngine engine,
      String hostId,
      Ancestry ancestry,
      Clocks clocks,
      BiFunction<String, Duration, Instant> report429) {
    String t = env.get(TOKEN);
    if (t != null && !t.isEmpty() && !TOKEN_SHAPE.matcher(t).matches()) {
      Events.LOG.log(
          Level.WARNING,
          TOKEN
              + " must be 16 to 64 letters, digits, '-' or '_' (was \""
              + Text.printable(t.length() > 80 ? t.substring(0, 80) + "..." : t)
              + "\"); ignored: this process takes leases of its own");
      t = null;
    }
    return new Joining(
        t == null || t.isEmpty() ? null : t, engine, hostId, ancestry, clocks, report429);
  }

  /** Whether this process inherited a lease token at all. */
  boolean inherited() {
    return token != null;
  }

  /**
   * The inherited lease, joined, when it is held for the request's provider by an ancestor of this
   * process, and covers the request's model (a lease of the provider as a whole covers every model;
   * a lease of one model covers that model); empty otherwise (the caller then takes a lease of its
   * own). A database that cannot be read is left to the caller's own acquisition to report.
   */
  Optional<Lease> join(LeaseRequest request) {
    String provider = request.provider();
    if (token == null) {
      return Optional.empty();
    }
    HeldLease held;
    try {
      held = engine.heldLease(token).orElse(null);
    } catch (StoreException e) {
      return Optional.empty();
    }
    if (held == null
        || !held.provider().equals(provider)
        || !(held.model().isEmpty() || held.model().equals(request.model()))
        || !held.ownerHostId().equals(hostId)
        || !ancestry.isAncestor(held.ownerPid(), held.ownerStartToken())) {
      return Optional.empty();
    }
    Events.LOG.log(
        Level.DEBUG,
        () ->
            "joined lease "
                + held.leaseId()
                + " of '"
                + Text.printable(provider)
                + "' held by ancestor process "
                + held.ownerPid());
    return Optional.of(
        new JoinedLease(
            held.leaseId(),
            token,
            request,
            Instant.ofEpochMilli(held.acquiredAtMs()),
            clocks.wall().instant(),
            report429));
  }
}
