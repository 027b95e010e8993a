package dev.inflight.client;

import dev.inflight.store.StoreException;
import java.util.function.Supplier;

/** The one translation of the engine's failures into the library's {@link LimiterException}. */
final class Errors {
  private Errors() {}

  static LimiterException limiter(StoreException e) {
    return new LimiterException(e.getMessage(), e);
  }

  /** Runs {@code call}; a {@link StoreException} comes out as a {@link LimiterException}. */
  static <T> T translated(Supplier<T> call) {
    try {
      return call.get();
    } catch (StoreException e) {
      throw limiter(e);
    }
  }
}
