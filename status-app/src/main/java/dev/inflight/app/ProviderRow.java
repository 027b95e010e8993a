package dev.inflight.app;

import dev.inflight.client.ProviderStatus;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.Optional;
import java.util.function.BiFunction;
import javafx.beans.property.ReadOnlyBooleanProperty;
import javafx.beans.property.ReadOnlyBooleanWrapper;
import javafx.beans.property.ReadOnlyObjectProperty;
import javafx.beans.property.ReadOnlyObjectWrapper;
import javafx.beans.property.ReadOnlyStringProperty;
import javafx.beans.property.ReadOnlyStringWrapper;

/**
 * One provider as the window shows it: the latest status, the limit in force, a ticking wait, the
 * countdown of a 429 pause, the history, and the edits of its limit and cooldown.
 */
public final class ProviderRow {
  /** Writes one field of a provider; returns the message when the text is refused. */
  interface Save extends BiFunction<String, String, Optional<String>> {}

  private static final Save REFUSE = (p, t) -> Optional.of("read-only");

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
  private final FieldEdit limitEdit;
  private final FieldEdit cooldownEdit;
  private Instant readAt = Instant.EPOCH;

  ProviderRow(String provider, History history, ZoneId zone) {
    this(provider, history, zone, REFUSE, REFUSE);
  }

  ProviderRow(String provider, History history, ZoneId zone, Save limit, Save cooldown) {
    this.provider = provider;
    this.history = history;
    this.zone = zone;
    this.limitEdit =
        new FieldEdit("limit", () -> limitText(status.get()), t -> limit.apply(provider, t));
    this.cooldownEdit =
        new FieldEdit(
            "cooldown", () -> cooldownText(status.get()), t -> cooldown.apply(provider, t));
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
    status.set(s);
    readAt = at;
    boolean below =
        s.limit().isPresent()
            && s.effectiveLimit().isPresent()
            && s.effectiveLimit().getAsInt() < s.limit().getAsInt();
    lowered.set(below);
    if (s.limit().isEmpty()) {
      inForce.set("—");
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

  void tick(Instant now) {
    ProviderStatus s = status.get();
    if (s == null || s.queued() == 0) {
      longestWait.set("");
    } else {
      Duration since = Duration.between(readAt, now);
      longestWait.set(
          Fmt.duration(s.longestWait().plus(since.isNegative() ? Duration.ZERO : since)));
    }
    pause.set(s == null ? "" : pauseText(s, now));
  }

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
        + (s.pauseReason().isEmpty() ? "429" : s.pauseReason())
        + ") · "
        + (leftMs > 0 ? Fmt.countdown(Duration.ofMillis(leftMs)) + " left" : "resuming");
  }
}
