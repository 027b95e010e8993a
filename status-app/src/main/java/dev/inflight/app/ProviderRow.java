package dev.inflight.app;

import dev.inflight.cli.StatusText;
import dev.inflight.client.LimitSpec;
import dev.inflight.client.ModelLimitSpec;
import dev.inflight.client.ModelStatus;
import dev.inflight.client.ProviderStatus;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.BiFunction;
import javafx.beans.property.ReadOnlyBooleanProperty;
import javafx.beans.property.ReadOnlyBooleanWrapper;
import javafx.beans.property.ReadOnlyObjectProperty;
import javafx.beans.property.ReadOnlyObjectWrapper;
import javafx.beans.property.ReadOnlyStringProperty;
import javafx.beans.property.ReadOnlyStringWrapper;
import javafx.collections.FXCollections;
import javafx.collections.ObservableList;

/**
 * One provider as the window shows it: the latest status, the limit in force, a ticking wait, the
 * countdown of a 429 pause, the history, and the edits of its limit and cooldown.
 */
public final class ProviderRow {
  /** Writes one field of a provider; returns the message when the text is refused. */
  interface Save extends BiFunction<String, String, Optional<String>> {}

  private static final Save REFUSE = (p, t) -> Optional.of("read-only");

  /** Where each editable field of a provider and of its models is written. */
  record Saves(
      Save limit,
      Save cooldown,
      Save rpm,
      Save tpm,
      ModelRow.Save modelCap,
      ModelRow.Save modelRpm,
      ModelRow.Save modelTpm) {
    static final Saves READ_ONLY =
        new Saves(
            REFUSE, REFUSE, REFUSE, REFUSE, ModelRow.REFUSE, ModelRow.REFUSE, ModelRow.REFUSE);

    static Saves of(Save limit, Save cooldown) {
      return new Saves(
          limit, cooldown, REFUSE, REFUSE, ModelRow.REFUSE, ModelRow.REFUSE, ModelRow.REFUSE);
    }
  }

  private static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("HH:mm:ss", Locale.ROOT);
  private static final DateTimeFormatter DATE_TIME =
      DateTimeFormatter.ofPattern("uuuu-MM-dd HH:mm:ss", Locale.ROOT);

  private final String provider;
  private final History history;
  private final ZoneId zone;
  private final ReadOnlyObjectWrapper<ProviderStatus> status = new ReadOnlyObjectWrapper<>();
  private final ReadOnlyStringWrapper longestWait = new ReadOnlyStringWrapper("");
  private final ReadOnlyStringWrapper inForce = new ReadOnlyStringWrapper("");
  private final ReadOnlyBooleanWrapper lowered = new ReadOnlyBooleanWrapper();
  private final ReadOnlyStringWrapper upstream = new ReadOnlyStringWrapper("");
  private final ReadOnlyStringWrapper pause = new ReadOnlyStringWrapper("");
  private final ReadOnlyObjectWrapper<Optional<LimitSpec>> spec =
      new ReadOnlyObjectWrapper<>(Optional.empty());
  private final ReadOnlyStringWrapper inFlight = new ReadOnlyStringWrapper("");
  private final ReadOnlyStringWrapper classes = new ReadOnlyStringWrapper("");
  private final ReadOnlyObjectWrapper<Gauge> requests = new ReadOnlyObjectWrapper<>(Gauge.NONE);
  private final ReadOnlyObjectWrapper<Gauge> tokens = new ReadOnlyObjectWrapper<>(Gauge.NONE);
  private final ReadOnlyStringWrapper frees = new ReadOnlyStringWrapper("");
  private final ReadOnlyStringWrapper grants = new ReadOnlyStringWrapper(Grants.Stats.NONE.text());
  private final ObservableList<ModelRow> models = FXCollections.observableArrayList();
  private final ObservableList<ModelRow> modelsView =
      FXCollections.unmodifiableObservableList(models);
  private final Map<String, ModelRow> byModel = new HashMap<>();
  private final Saves saves;
  private final FieldEdit limitEdit;
  private final FieldEdit cooldownEdit;
  private final FieldEdit rpmEdit;
  private final FieldEdit tpmEdit;
  private Instant readAt = Instant.EPOCH;

  ProviderRow(String provider, History history, ZoneId zone) {
    this(provider, history, zone, Saves.READ_ONLY);
  }

  ProviderRow(String provider, History history, ZoneId zone, Save limit, Save cooldown) {
    this(provider, history, zone, Saves.of(limit, cooldown));
  }

  ProviderRow(String provider, History history, ZoneId zone, Saves saves) {
    this.provider = provider;
    this.history = history;
    this.zone = zone;
    this.saves = saves;
    this.limitEdit =
        new FieldEdit(
            "limit",
            () -> limitText(status.get(), spec.get()),
            t -> saves.limit().apply(provider, t));
    this.cooldownEdit =
        new FieldEdit(
            "cooldown",
            () -> cooldownText(status.get(), spec.get()),
            t -> saves.cooldown().apply(provider, t));
    this.rpmEdit =
        new FieldEdit(
            "rpm",
            () -> spec.get().map(x -> ModelRow.budgetText(x.requestsPerMinute())).orElse(""),
            t -> saves.rpm().apply(provider, t));
    this.tpmEdit =
        new FieldEdit(
            "tpm",
            () -> spec.get().map(x -> ModelRow.budgetText(x.tokensPerMinute())).orElse(""),
            t -> saves.tpm().apply(provider, t));
  }

  /** The limit as its field shows it: "" when there is no in-flight cap. */
  static String limitText(ProviderStatus s, Optional<LimitSpec> spec) {
    if (spec.isPresent()) {
      return spec.get().maxInFlight() == 0 ? "" : Integer.toString(spec.get().maxInFlight());
    }
    return limitText(s);
  }

  static String cooldownText(ProviderStatus s, Optional<LimitSpec> spec) {
    return spec.isPresent() ? Fmt.cooldown(spec.get().cooldown()) : cooldownText(s);
  }

  /** The configured limit as its field shows it ("" when unlimited). */
  static String limitText(ProviderStatus s) {
    return s == null || s.limit().isEmpty() ? "" : Integer.toString(s.limit().getAsInt());
  }

  /** The cooldown as its field shows it ("" when unlimited). */
  static String cooldownText(ProviderStatus s) {
    return s == null || s.limit().isEmpty() ? "" : Fmt.cooldown(s.cooldown());
  }

  FieldEdit limitEdit() {
    return limitEdit;
  }

  FieldEdit rpmEdit() {
    return rpmEdit;
  }

  FieldEdit tpmEdit() {
    return tpmEdit;
  }

  /** The provider's limit as stored, when it has one (budgets, default tokens, aging and all). */
  public ReadOnlyObjectProperty<Optional<LimitSpec>> specProperty() {
    return spec.getReadOnlyProperty();
  }

  /**
   * Units in flight (held and cooling) against the cap in force: {@code 2/3}; {@code 2 (no cap)}
   * when the provider has none.
   */
  public ReadOnlyStringProperty inFlightProperty() {
    return inFlight.getReadOnlyProperty();
  }

  /** The queue by class, e.g. {@code 2 interactive · 3 batch}; empty when nobody waits. */
  public ReadOnlyStringProperty classesProperty() {
    return classes.getReadOnlyProperty();
  }

  /** The provider's requests-per-minute gauge ({@link Gauge#NONE} without that budget). */
  public ReadOnlyObjectProperty<Gauge> requestsProperty() {
    return requests.getReadOnlyProperty();
  }

  public ReadOnlyObjectProperty<Gauge> tokensProperty() {
    return tokens.getReadOnlyProperty();
  }

  /** {@code frees in 12s} while the provider's budget window holds something; empty otherwise. */
  public ReadOnlyStringProperty freesProperty() {
    return frees.getReadOnlyProperty();
  }

  /** Grants in the last minute and their waits, e.g. {@code 12 grants/min · wait p50 0.4s, …}. */
  public ReadOnlyStringProperty grantsProperty() {
    return grants.getReadOnlyProperty();
  }

  void showGrants(Grants.Stats s) {
    grants.set(s.text());
  }

  /**
   * The models beneath the provider, by name: those with a limit of their own, and those seen in
   * use. Rows are kept (and updated) while the provider row stays.
   */
  public ObservableList<ModelRow> models() {
    return modelsView;
  }

  FieldEdit cooldownEdit() {
    return cooldownEdit;
  }

  public String provider() {
    return provider;
  }

  public History history() {
    return history;
  }

  public ReadOnlyObjectProperty<ProviderStatus> statusProperty() {
    return status.getReadOnlyProperty();
  }

  public ProviderStatus status() {
    return status.get();
  }

  /** The oldest waiter's wait, counted up between reads; empty when nobody waits. */
  public ReadOnlyStringProperty longestWaitProperty() {
    return longestWait.getReadOnlyProperty();
  }

  /**
   * The limit grants obey now: the configured one ({@code 4}), or while 429s hold an adaptive limit
   * below it, both ({@code 2 of 4}); {@code —} when unlimited.
   */
  public ReadOnlyStringProperty inForceProperty() {
    return inForce.getReadOnlyProperty();
  }

  /** Whether 429s hold the limit in force below the configured one. */
  public ReadOnlyBooleanProperty loweredProperty() {
    return lowered.getReadOnlyProperty();
  }

  /**
   * The provider's own in-flight count while a usage probe's answer is fresh, e.g. {@code provider
   * counts 3 in flight}; empty otherwise.
   */
  public ReadOnlyStringProperty upstreamProperty() {
    return upstream.getReadOnlyProperty();
  }

  /**
   * While a 429 pause is in force: until when (local time), why, and a countdown that ticks between
   * reads, e.g. {@code paused until 12:03:41 (429 from the provider) · 25s left}; empty otherwise.
   */
  public ReadOnlyStringProperty pauseProperty() {
    return pause.getReadOnlyProperty();
  }

  void update(ProviderStatus s, Instant at, Instant now) {
    update(s, Optional.empty(), Map.of(), Map.of(), at, now);
  }

  /**
   * @param limit the provider's stored limit, if any
   * @param modelLimits the provider's model limits, by model
   * @param inUse units held and requests queued per model without a status of its own ({@code
   *     [inFlight, queued]}), from the snapshot's leases and waiters
   */
  void update(
      ProviderStatus s,
      Optional<LimitSpec> limit,
      Map<String, ModelLimitSpec> modelLimits,
      Map<String, int[]> inUse,
      Instant at,
      Instant now) {
    spec.set(limit); // before the status: the card's listener reads both
    status.set(s);
    readAt = at;
    int units = s.active() + s.cooling();
    inFlight.set(
        s.limitInForce().isPresent()
            ? units + "/" + s.limitInForce().getAsInt()
            : units + " (no cap)");
    classes.set(classesText(s));
    requests.set(Gauge.requests(s.window()));
    tokens.set(Gauge.tokens(s.window()));
    updateModels(s, modelLimits, inUse, now);
    rpmEdit.storedChanged();
    tpmEdit.storedChanged();
    boolean below =
        s.limit().isPresent()
            && s.effectiveLimit().isPresent()
            && s.effectiveLimit().getAsInt() < s.limit().getAsInt();
    lowered.set(below);
    if (s.limit().isEmpty()) {
      inForce.set(StatusText.limit(s)); // "unlimited", or "no cap" under a budget alone
    } else if (below) {
      inForce.set(s.effectiveLimit().getAsInt() + " of " + s.limit().getAsInt());
    } else {
      inForce.set(Integer.toString(s.limit().getAsInt()));
    }
    upstream.set(
        s.upstreamInFlight().isPresent()
            ? "provider counts " + s.upstreamInFlight().getAsInt() + " in flight"
            : "");
    limitEdit.storedChanged();
    cooldownEdit.storedChanged();
    tick(now);
  }

  private void updateModels(
      ProviderStatus s,
      Map<String, ModelLimitSpec> modelLimits,
      Map<String, int[]> inUse,
      Instant now) {
    Map<String, ModelStatus> shown = new TreeMap<>();
    s.models().forEach(m -> shown.put(m.model(), m));
    inUse.forEach((m, n) -> shown.putIfAbsent(m, ModelRow.unlimited(m, n[0], n[1])));
    // A model seen in use stays, at zero, while its provider row does.
    byModel.keySet().stream()
        .filter(m -> !shown.containsKey(m) && !modelLimits.containsKey(m))
        .filter(m -> byModel.get(m).specProperty().get().isEmpty())
        .forEach(m -> shown.put(m, ModelRow.unlimited(m, 0, 0)));
    models.removeIf(r -> !shown.containsKey(r.model()));
    byModel.keySet().retainAll(shown.keySet());
    int i = 0;
    for (ModelStatus m : shown.values()) {
      ModelRow row = byModel.get(m.model());
      if (row == null) {
        row =
            new ModelRow(provider, m.model(), saves.modelCap(), saves.modelRpm(), saves.modelTpm());
        byModel.put(m.model(), row);
        row.update(m, Optional.ofNullable(modelLimits.get(m.model())), now);
        models.add(i, row);
      } else {
        row.update(m, Optional.ofNullable(modelLimits.get(m.model())), now);
      }
      i++;
    }
  }

  /**
   * The queue by class in the CLI's words ({@code StatusText.queued}): {@code queued 3 (1
   * interactive, 2 batch)}; empty when nobody waits or all are of the normal class (the queued
   * column says how many).
   */
  static String classesText(ProviderStatus s) {
    String q = StatusText.queued(s);
    return q.contains("(") ? "queued " + q : "";
  }

  void tick(Instant now) {
    ProviderStatus s = status.get();
    frees.set(s == null ? "" : Gauge.frees(s.window(), now));
    models.forEach(m -> m.tick(now));
    if (s == null || s.queued() == 0) {
      longestWait.set("");
    } else {
      Duration since = Duration.between(readAt, now);
      longestWait.set(
          Fmt.duration(s.longestWait().plus(since.isNegative() ? Duration.ZERO : since)));
    }
    pause.set(s == null ? "" : pauseText(s, now));
  }

  /**
   * The pause in the CLI's words ({@code StatusText.paused}), in this row's time zone: {@code
   * paused until 12:03:41 (25s left, 429 from the provider)}; {@code resuming} in place of the time
   * left once it has run out and no read has cleared it yet.
   */
  private String pauseText(ProviderStatus s, Instant now) {
    if (s.pausedUntil().isEmpty()) {
      return "";
    }
    Instant until = s.pausedUntil().get();
    ZonedDateTime at = until.atZone(zone);
    boolean today = at.toLocalDate().equals(now.atZone(zone).toLocalDate());
    long leftMs = Duration.between(now, until).toMillis();
    return "paused until "
        + (today ? TIME : DATE_TIME).format(at)
        + " ("
        + (leftMs > 0 ? Fmt.countdown(Duration.ofMillis(leftMs)) + " left" : "resuming")
        + ", "
        + (s.pauseReason().isEmpty() ? "429" : s.pauseReason())
        + ")";
  }
}
