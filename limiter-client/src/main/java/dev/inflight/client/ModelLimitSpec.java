package dev.inflight.client;

/**
 * A model's own limit inside its provider: a request for this model counts against it and against
 * the provider's limit (if any); a model without one counts against its provider's alone. Limits of
 * 0 are none. Validated on construction, with the same rules the database enforces.
 *
 * @param provider the provider's name
 * @param model the model's own name ({@code gpt-4o}, not {@code openai/gpt-4o})
 * @param maxInFlight units in flight at once, 1 to 10000; 0 for no cap of its own
 * @param requestsPerMinute requests started in any 60 s, 1 to 1000000; 0 for none
 * @param tokensPerMinute tokens in any 60 s, 1 to 1000000000; 0 for none
 * @param defaultTokens tokens a request for this model expects when it says nothing
 */
public record ModelLimitSpec(
    String provider,
    String model,
    int maxInFlight,
    int requestsPerMinute,
    long tokensPerMinute,
    long defaultTokens) {

  public ModelLimitSpec {
    Validation.provider(provider);
    if (model == null || model.isEmpty()) {
      throw new IllegalArgumentException(
          "model must be 1 to 200 characters with no control characters (was "
              + (model == null ? "null" : "\"\"")
              + ")");
    }
    Validation.model(model);
    Validation.ownModelName(provider, model);
    if (maxInFlight != 0 || (requestsPerMinute == 0 && tokensPerMinute == 0)) {
      Validation.maxInFlight(maxInFlight); // 0 (no cap) only where a budget holds instead
    }
    Budgets.check(requestsPerMinute, tokensPerMinute, defaultTokens);
  }

  /** A model's in-flight cap alone. */
  public static ModelLimitSpec of(String provider, String model, int maxInFlight) {
    return new ModelLimitSpec(provider, model, maxInFlight, 0, 0, 0);
  }

  /** These budgets (0 for none), keeping the cap. */
  public ModelLimitSpec withBudgets(
      int requestsPerMinute, long tokensPerMinute, long defaultTokens) {
    return new ModelLimitSpec(
        provider, model, maxInFlight, requestsPerMinute, tokensPerMinute, defaultTokens);
  }

  /** {@code provider/model}, as the CLI spells it. */
  public String key() {
    return provider + "/" + model;
  }
}
