package dev.inflight.app;

import dev.inflight.client.LeaseInfo;
import dev.inflight.client.StatusSnapshot;
import dev.inflight.client.WaiterInfo;
import java.util.HashSet;
import java.util.Set;

/**
 * Whether the demo's agents have started, from what the snapshots show: each agent is a JVM of its
 * own, and until one asks for its first lease the table would show only zeros. An agent counts as
 * started once it appeared holding or waiting; every agent asks at once when it starts. Used by the
 * drawing thread only.
 */
final class DemoStart {
  private final Set<Long> agents;
  private final Set<Long> seen = new HashSet<>();
  private final int expected;

  /**
   * @param agents the agents' process ids
   */
  DemoStart(Set<Long> agents) {
    this.agents = Set.copyOf(agents);
    this.expected = agents.size();
  }

  /** Takes note of the agents {@code s} shows; true once every agent has been seen. */
  boolean update(StatusSnapshot s) {
    for (LeaseInfo l : s.leases()) {
      if (agents.contains(l.pid())) {
        seen.add(l.pid());
      }
    }
    for (WaiterInfo w : s.waiters()) {
      if (agents.contains(w.pid())) {
        seen.add(w.pid());
      }
    }
    return done();
  }

  boolean done() {
    return seen.size() >= expected;
  }

  /** The line under the table while agents are still starting; empty once all have. */
  String note() {
    if (done()) {
      return "";
    }
    return "starting "
        + expected
        + " agents (a JVM each, a few seconds): "
        + seen.size()
        + " of "
        + expected
        + " asked for a lease so far";
  }
}
