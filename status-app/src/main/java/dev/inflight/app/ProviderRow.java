package dev.inflight.app;

import dev.inflight.client.ProviderStatus;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import javafx.beans.property.ReadOnlyObjectProperty;
import javafx.beans.property.ReadOnlyObjectWrapper;
import javafx.beans.property.ReadOnlyStringProperty;
import javafx.beans.property.ReadOnlyStringWrapper;

/**
 * One provider as the window shows it: the latest status, a ticking wait, the countdown of a 429
 * pause and the history.
 */
public final class ProviderRow {
  private static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("HH:mm:ss", Locale.ROOT);
  private static final DateTimeFormatter DATE_TIME =
      DateTimeFormatter.ofPattern("uuuu-MM-dd HH:mm:ss", Locale.ROOT);

  private final String provider;
  private final History history;
  private final ZoneId zone;
  private final ReadOnlyObjectWrapper<ProviderStatus> status = new ReadOnlyObjectWrapper<>();
  private final ReadOnlyStringWrapper longestWait = new ReadOnlyStringWrapper("");
  private final ReadOnlyStringWrapper effectiveLimit = new ReadOnlyStringWrapper("");
  private final ReadOnlyStringWrapper pause = new ReadOnlyStringWrapper("");
  private Instant readAt = Instant.EPOCH;

  ProviderRow(String provider, History history) {
    this(provider, history, ZoneId.systemDefault());
  }

  ProviderRow(String provider, History history, ZoneId zone) {
    this.provider = provider;
    this.history = history;
    this.zone = zone;
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
   * The limit in force while 429s hold an adaptive limit below the configured one, e.g. {@code now
   * 2}, and the provider's own in-flight count while a usage probe's answer is fresh ({@code
   * upstream 3}); empty when neither applies.
   */
  public ReadOnlyStringProperty effectiveLimitProperty() {
    return effectiveLimit.getReadOnlyProperty();
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
    String inForce = s.effectiveLimit().isPresent() ? "now " + s.effectiveLimit().getAsInt() : "";
    String upstream =
        s.upstreamInFlight().isPresent() ? "upstream " + s.upstreamInFlight().getAsInt() : "";
    effectiveLimit.set(
        inForce.isEmpty() || upstream.isEmpty() ? inForce + upstream : inForce + " · " + upstream);
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
