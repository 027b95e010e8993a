package dev.inflight.app;

import dev.inflight.client.ModelLimitSpec;
import dev.inflight.client.ModelStatus;
import dev.inflight.client.Window;
import java.time.Instant;
import java.util.Optional;
import javafx.beans.property.ReadOnlyObjectProperty;
import javafx.beans.property.ReadOnlyObjectWrapper;
import javafx.beans.property.ReadOnlyStringProperty;
import javafx.beans.property.ReadOnlyStringWrapper;

/**
 * One model beneath its provider: its own pool (units in flight against its cap), its queue, its
 * budget gauges and the edits of its cap and budgets. A model with no limit of its own is shown
 * while it is in use (its leases count against the provider alone) and kept while its provider row
 * stays, so that rows do not come and go with each request.
 *
 * <p>UI thread only; needs no toolkit.
 */
public final class ModelRow {
  /** Writes one field of a model's limit; returns the message when the text is refused. */
  interface Save {
    Optional<String> apply(String provider, String model, String text);
  }

  static final Save REFUSE = (p, m, t) -> Optional.of("read-only");

  private final String provider;
  private final String model;
  private final ReadOnlyObjectWrapper<ModelStatus> status = new ReadOnlyObjectWrapper<>();
  private final ReadOnlyObjectWrapper<Optional<ModelLimitSpec>> spec =
      new ReadOnlyObjectWrapper<>(Optional.empty());
  private final ReadOnlyStringWrapper inFlight = new ReadOnlyStringWrapper("");
  private final ReadOnlyObjectWrapper<Gauge> requests = new ReadOnlyObjectWrapper<>(Gauge.NONE);
  private final ReadOnlyObjectWrapper<Gauge> tokens = new ReadOnlyObjectWrapper<>(Gauge.NONE);
  private final ReadOnlyStringWrapper frees = new ReadOnlyStringWrapper("");
  private final FieldEdit capEdit;
  private final FieldEdit rpmEdit;
  private final FieldEdit tpmEdit;

  ModelRow(String provider, String model, Save cap, Save rpm, Save tpm) {
    this.provider = provider;
    this.model = model;
    this.capEdit =
        new FieldEdit("cap", () -> capText(spec.get()), t -> cap.apply(provider, model, t));
    this.rpmEdit =
        new FieldEdit(
            "rpm",
            () -> spec.get().map(s -> budgetText(s.requestsPerMinute())).orElse(""),
            t -> rpm.apply(provider, model, t));
    this.tpmEdit =
        new FieldEdit(
            "tpm",
            () -> spec.get().map(s -> budgetText(s.tokensPerMinute())).orElse(""),
            t -> tpm.apply(provider, model, t));
  }

  ModelRow(String provider, String model) {
    this(provider, model, REFUSE, REFUSE, REFUSE);
  }

  static String capText(Optional<ModelLimitSpec> s) {
    return s.isEmpty() || s.get().maxInFlight() == 0 ? "" : Integer.toString(s.get().maxInFlight());
  }

  /** A budget as its field shows it: {@code ""} for none, else the number as typed back. */
  static String budgetText(long perMinute) {
    return perMinute == 0 ? "" : Long.toString(perMinute);
  }

  public String provider() {
    return provider;
  }

  public String model() {
    return model;
  }

  /** {@code provider/model}, as requests name it. */
  public String key() {
    return provider + "/" + model;
  }

  public ReadOnlyObjectProperty<ModelStatus> statusProperty() {
    return status.getReadOnlyProperty();
  }

  public ModelStatus status() {
    return status.get();
  }

  /** The model's own limit, when it has one. */
  public ReadOnlyObjectProperty<Optional<ModelLimitSpec>> specProperty() {
    return spec.getReadOnlyProperty();
  }

  /** Units in flight against the model's cap, {@code 1/2}; {@code 3 (no cap)} without one. */
  public ReadOnlyStringProperty inFlightProperty() {
    return inFlight.getReadOnlyProperty();
  }

  public ReadOnlyObjectProperty<Gauge> requestsProperty() {
    return requests.getReadOnlyProperty();
  }

  public ReadOnlyObjectProperty<Gauge> tokensProperty() {
    return tokens.getReadOnlyProperty();
  }

  /** {@code frees in 12s} while the model's budget window holds something; empty otherwise. */
  public ReadOnlyStringProperty freesProperty() {
    return frees.getReadOnlyProperty();
  }

  FieldEdit capEdit() {
    return capEdit;
  }

  FieldEdit rpmEdit() {
    return rpmEdit;
  }

  FieldEdit tpmEdit() {
    return tpmEdit;
  }

  void update(ModelStatus s, Optional<ModelLimitSpec> limit, Instant now) {
    status.set(s);
    spec.set(limit);
    inFlight.set(
        s.maxInFlight() > 0 ? s.inFlight() + "/" + s.maxInFlight() : s.inFlight() + " (no cap)");
    requests.set(Gauge.requests(s.window()));
    tokens.set(Gauge.tokens(s.window()));
    capEdit.storedChanged();
    rpmEdit.storedChanged();
    tpmEdit.storedChanged();
    tick(now);
  }

  void tick(Instant now) {
    ModelStatus s = status.get();
    frees.set(s == null ? "" : Gauge.frees(s.window(), now));
  }

  /** A model in use without a limit of its own: what its leases and waiters hold. */
  static ModelStatus unlimited(String model, int inFlight, int queued) {
    return new ModelStatus(model, 0, inFlight, queued, Window.NONE);
  }
}
