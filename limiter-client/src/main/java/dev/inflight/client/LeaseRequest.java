package dev.inflight.client;

/**
 * What a lease is asked for: a provider, and optionally the model the request calls, its weight,
 * the tokens it expects and its priority class. Immutable; each {@code with} method returns a copy,
 * and checks its value at once (the message names the parameter, the rule and the value).
 *
 * <pre>{@code
 * try (Lease lease = limiter.acquire(
 *     LeaseRequest.of("openai/gpt-4o").tokens(1_200).priority(Priority.INTERACTIVE),
 *     Duration.ofMinutes(2))) {
 *   // call the model; report what it really used:
 *   lease.release(Outcome.SUCCEEDED, usage.totalTokens());
 * }
 * }</pre>
 *
 * @param provider the provider's name
 * @param model the model ("" for the provider as a whole): it counts against the model's own limit
 *     too, when the model has one
 * @param label what status shows beside the lease
 * @param weight units taken at every level (1 to 10000, at most each level's limit)
 * @param tokens tokens expected (input plus maximum output), reserved in each token budget; -1
 *     takes the model's default, else the provider's
 * @param priority the request's class in the queue
 */
public record LeaseRequest(
    String provider, String model, String label, int weight, long tokens, Priority priority) {

  public LeaseRequest {
    Validation.provider(provider);
    model = Validation.model(model);
    Validation.ownModelName(provider, model);
    label = Validation.label(label);
    Validation.weight(weight);
    Validation.tokens("tokens", tokens);
    if (priority == null) {
      throw new IllegalArgumentException(
          "priority must be interactive, normal or batch (was null)");
    }
  }

  /**
   * A request for {@code key}: a provider ({@code openai}) or a provider and a model separated by
   * the first slash ({@code openai/gpt-4o}; the model may hold more slashes, as in {@code
   * together/meta-llama/Llama-3-70b}). A provider whose own name holds a slash is named with {@link
   * #of(String, String)} and model "".
   */
  public static LeaseRequest of(String key) {
    int slash = key == null ? -1 : key.indexOf('/');
    if (slash < 0) {
      return new LeaseRequest(key, "", "", 1, -1, Priority.NORMAL);
    }
    if (slash == 0 || slash == key.length() - 1) {
      throw new IllegalArgumentException(
          "key must be PROVIDER or PROVIDER/MODEL, with a "
              + (slash == 0 ? "provider before" : "model after")
              + " the slash (was "
              + Validation.quote(key)
              + ")");
    }
    return new LeaseRequest(
        key.substring(0, slash), key.substring(slash + 1), "", 1, -1, Priority.NORMAL);
  }

  /** A request for {@code provider}'s {@code model}. */
  public static LeaseRequest of(String provider, String model) {
    return new LeaseRequest(provider, model, "", 1, -1, Priority.NORMAL);
  }

  public LeaseRequest model(String m) {
    return new LeaseRequest(provider, m, label, weight, tokens, priority);
  }

  public LeaseRequest label(String l) {
    return new LeaseRequest(provider, model, l, weight, tokens, priority);
  }

  public LeaseRequest weight(int w) {
    return new LeaseRequest(provider, model, label, w, tokens, priority);
  }

  public LeaseRequest tokens(long t) {
    return new LeaseRequest(provider, model, label, weight, t, priority);
  }

  public LeaseRequest priority(Priority p) {
    return new LeaseRequest(provider, model, label, weight, tokens, p);
  }

  /** {@code provider} or {@code provider/model}, as the CLI spells it. */
  public String key() {
    return model.isEmpty() ? provider : provider + "/" + model;
  }
}
