package dev.inflight.client;

import dev.inflight.store.LeaseEngine;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The usage probes of this process, one {@link UpstreamGate} per provider that has one. Driven by
 * the dispatcher thread only (its maps need no lock); probes run on their own threads, which only
 * signal back.
 */
final class Gates {
  private final LeaseEngine engine;
  private final Events events;
  private final Upstream upstream;
  private final Map<String, UpstreamGate> gates = new HashMap<>(); // dispatcher thread only
  private ExecutorService probeThreads; // dispatcher thread only (and close)

  Gates(LeaseEngine engine, Events events, Upstream upstream) {
    this.engine = engine;
    this.events = events;
    this.upstream = upstream;
  }

  /**
   * Drives every probe: a call starts while requests of this process wait for its provider and the
   * last answer is older than the cache period.
   *
   * @param nowMs the monotonic ticker in milliseconds
   * @param waiting the providers this process has requests queued for
   * @param onAnswer called (on a probe thread) when a probe answers
   * @return when a probe next needs attention (monotonic milliseconds), or {@link Long#MAX_VALUE}
   */
  long poll(long nowMs, Set<String> waiting, Runnable onAnswer) {
    if (upstream.probes().isEmpty()) {
      return Long.MAX_VALUE;
    }
    long next = Long.MAX_VALUE;
    for (Map.Entry<String, UsageProbe> e : upstream.probes().entrySet()) {
      UpstreamGate g =
          gates.computeIfAbsent(
              e.getKey(),
              p ->
                  new UpstreamGate(
                      engine, events, p, e.getValue(), upstream, executor(), onAnswer));
      next = Math.min(next, g.poll(nowMs, waiting.contains(e.getKey())));
    }
    return next;
  }

  private ExecutorService executor() {
    if (probeThreads == null) {
      probeThreads = Executors.newCachedThreadPool(Threads.daemon("inflight-usage-probe"));
    }
    return probeThreads;
  }

  void close() {
    ExecutorService x = probeThreads;
    if (x != null) {
      x.shutdownNow();
    }
  }
}
