/** The inflight client library: enter through {@link dev.inflight.client.Limiter}. */
module dev.inflight.client {
  requires dev.inflight.store;

  exports dev.inflight.client;
}
