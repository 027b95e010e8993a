package dev.inflight.cli;

import dev.inflight.client.Text;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/** Instants as the command prints them: local clock time for people, ISO-8601 UTC for JSON. */
final class When {
  private static final DateTimeFormatter ISO =
      DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'", Locale.ROOT)
          .withZone(ZoneOffset.UTC);
  private static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("HH:mm:ss", Locale.ROOT);
  private static final DateTimeFormatter DATE_TIME =
      DateTimeFormatter.ofPattern("uuuu-MM-dd HH:mm:ss", Locale.ROOT);

  private When() {}

  /** Always the same width, so scripts can cut it: {@code 2026-11-22T11:03:41.250Z}. */
  static String iso(Instant t) {
    return ISO.format(t);
  }

  /** {@code 12:03:41} in this machine's time zone, with the date when it is not today's. */
  static String local(Instant t, Instant now) {
    ZoneId zone = ZoneId.systemDefault();
    ZonedDateTime at = t.atZone(zone);
    boolean today = at.toLocalDate().equals(now.atZone(zone).toLocalDate());
    return (today ? TIME : DATE_TIME).format(at);
  }

  /** What is left until {@code t}, in whole seconds rounded up: {@code 30s}, {@code 1m5s}. */
  static String left(Instant t, Instant now) {
    return Text.countdown(Duration.between(now, t));
  }
}
