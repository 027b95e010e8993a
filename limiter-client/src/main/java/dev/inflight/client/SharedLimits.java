package dev.inflight.client;

import dev.inflight.store.LeaseEngine;
import dev.inflight.store.LimitChange;
import dev.inflight.store.ModelLimitChange;
import dev.inflight.store.StoreException;
import java.util.List;
import java.util.Optional;

/**
 * The shared limits, read and edited through the engine. Every change is one transaction that also
 * grants what it frees (a raise, an unset, a resume); waiters of this process are then signalled.
 * Thread-safe: it holds no state of its own.
 */
final class SharedLimits implements Limits {
  private final LeaseEngine engine;
  private final Retrying retrying;
  private final Runnable ensureOpen;
  private final Runnable onChanged;

  SharedLimits(LeaseEngine engine, Retrying retrying, Runnable ensureOpen, Runnable onChanged) {
    this.engine = engine;
    this.retrying = retrying;
    this.ensureOpen = ensureOpen;
    this.onChanged = onChanged;
  }

  @Override
  public List<LimitSpec> list() {
    ensureOpen.run();
    return call("read the limits", () -> engine.limits().stream().map(Views::spec).toList());
  }

  @Override
  public Optional<LimitSpec> get(String provider) {
    Validation.provider(provider);
    ensureOpen.run();
    return call("read a limit", () -> engine.limit(provider).map(Views::spec));
  }

  @Override
  public LimitSpec set(LimitSpec limit) {
    if (limit == null) {
      throw new IllegalArgumentException("limit must not be null");
    }
    ensureOpen.run();
    LimitChange change =
        new LimitChange(
            limit.provider(),
            limit.maxInFlight(),
            limit.cooldown().toMillis(),
            limit.adaptive(),
            limit.requestsPerMinute(),
            limit.tokensPerMinute(),
            limit.defaultTokens(),
            limit.aging().toMillis());
    LimitSpec s = call("set a limit", () -> Views.spec(engine.setLimit(change)));
    onChanged.run();
    return s;
  }

  @Override
  public boolean unset(String provider) {
    Validation.provider(provider);
    ensureOpen.run();
    boolean had = call("remove a limit", () -> engine.unsetLimit(provider));
    onChanged.run();
    return had;
  }

  @Override
  public void pause(String provider) {
    Validation.provider(provider);
    ensureOpen.run();
    if (!call("pause a provider", () -> engine.pause(provider))) {
      throw unlimited(provider, "pause");
    }
    onChanged.run();
  }

  @Override
  public void resume(String provider) {
    Validation.provider(provider);
    ensureOpen.run();
    if (!call("resume a provider", () -> engine.resume(provider))) {
      throw unlimited(provider, "resume");
    }
    onChanged.run();
  }

  @Override
  public List<ModelLimitSpec> models() {
    ensureOpen.run();
    return call(
        "read the model limits", () -> engine.modelLimits().stream().map(Views::spec).toList());
  }

  @Override
  public ModelLimitSpec setModel(ModelLimitSpec limit) {
    if (limit == null) {
      throw new IllegalArgumentException("limit must not be null");
    }
    ensureOpen.run();
    ModelLimitChange change =
        new ModelLimitChange(
            limit.provider(),
            limit.model(),
            limit.maxInFlight(),
            limit.requestsPerMinute(),
            limit.tokensPerMinute(),
            limit.defaultTokens());
    ModelLimitSpec s = call("set a model limit", () -> Views.spec(engine.setModelLimit(change)));
    onChanged.run();
    return s;
  }

  @Override
  public boolean unsetModel(String provider, String model) {
    Validation.provider(provider);
    Validation.model(model);
    ensureOpen.run();
    boolean had = call("remove a model limit", () -> engine.unsetModelLimit(provider, model));
    onChanged.run();
    return had;
  }

  private static IllegalArgumentException unlimited(String provider, String verb) {
    return new IllegalArgumentException(
        "provider must have a limit to "
            + verb
            + " (was "
            + Validation.quote(provider)
            + ", which is unlimited); set one first");
  }

  private <T> T call(String what, java.util.function.Supplier<T> call) {
    try {
      return retrying.briefly(what, call);
    } catch (StoreException e) {
      throw Errors.limiter(e);
    }
  }
}
