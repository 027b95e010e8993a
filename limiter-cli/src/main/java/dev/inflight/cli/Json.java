package dev.inflight.cli;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;

/** One JSON document on stdout, written with Jackson's streaming generator. */
final class Json implements AutoCloseable {
  final JsonGenerator g;

  private Json(JsonGenerator g) {
    this.g = g;
  }

  static Json to(OutputStream out) {
    try {
      JsonGenerator g =
          new JsonFactory().createGenerator(out).disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
      return new Json(g);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Runs {@code body} on the generator, turning its IOException unchecked. */
  Json write(IoBody body) {
    try {
      body.write(g);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return this;
  }

  @Override
  public void close() {
    try {
      g.writeRaw('\n');
      g.close();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @FunctionalInterface
  interface IoBody {
    void write(JsonGenerator g) throws IOException;
  }
}
