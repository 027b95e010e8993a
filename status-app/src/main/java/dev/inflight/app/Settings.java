package dev.inflight.app;

import dev.inflight.client.LimitSpec;
import dev.inflight.client.ModelLimitSpec;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * The limits as stored, read with each snapshot: the status says what is in force, these say what
 * an edit must keep (budgets, default tokens, aging), which no status carries. A point-in-time
 * copy.
 */
record Settings(List<LimitSpec> limits, List<ModelLimitSpec> models) {
  static final Settings NONE = new Settings(List.of(), List.of());

  Settings {
    limits = List.copyOf(limits);
    models = List.copyOf(models);
  }

  Optional<LimitSpec> limit(String provider) {
    return limits.stream().filter(l -> l.provider().equals(provider)).findFirst();
  }

  Optional<ModelLimitSpec> model(String provider, String model) {
    return models.stream()
        .filter(m -> m.provider().equals(provider) && m.model().equals(model))
        .findFirst();
  }

  /** The provider's model limits by model. */
  Map<String, ModelLimitSpec> modelsOf(String provider) {
    return models.stream()
        .filter(m -> m.provider().equals(provider))
        .collect(Collectors.toMap(ModelLimitSpec::model, m -> m, (a, b) -> a, TreeMap::new));
  }
}
