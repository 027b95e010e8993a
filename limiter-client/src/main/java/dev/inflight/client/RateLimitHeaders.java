package dev.inflight.client;

import java.lang.System.Logger.Level;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Collection;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads what a provider's response headers say of its rate limits: OpenAI's {@code
 * x-ratelimit-remaining-requests} / {@code -tokens} with {@code x-ratelimit-reset-*} durations
 * ({@code 1s}, {@code 6m0s}, {@code 20ms}), Anthropic's {@code anthropic-ratelimit-requests-*},
 * {@code -tokens-*}, {@code -input-tokens-*} and {@code -output-tokens-*} with RFC 3339 reset
 * times, and {@code retry-after} (seconds or an HTTP date). A header it cannot read is ignored with
 * one debug line; nothing here throws.
 */
final class RateLimitHeaders {
  private RateLimitHeaders() {}

  /** What was understood: -1 where nothing was. */
  record Read(
      long requestsRemaining,
      long requestsResetAfterMs,
      long tokensRemaining,
      long tokensResetAfterMs,
      long retryAfterMs) {
    static final Read NOTHING = new Read(-1, 0, -1, 0, -1);

    boolean anyBudget() {
      return requestsRemaining >= 0 || tokensRemaining >= 0;
    }
  }

  static Read read(Map<String, ?> headers, Instant now) {
    Map<String, String> h = new java.util.HashMap<>();
    if (headers != null) {
      for (Map.Entry<String, ?> e : headers.entrySet()) {
        String v = first(e.getValue());
        if (e.getKey() != null && v != null) {
          h.put(e.getKey().strip().toLowerCase(Locale.ROOT), v.strip());
        }
      }
    }
    long reqLeft = -1;
    long reqReset = 0;
    long tokLeft = -1;
    long tokReset = 0;
    // OpenAI
    long v = count(h, "x-ratelimit-remaining-requests");
    if (v >= 0) {
      reqLeft = v;
      reqReset = duration(h, "x-ratelimit-reset-requests");
    }
    v = count(h, "x-ratelimit-remaining-tokens");
    if (v >= 0) {
      tokLeft = v;
      tokReset = duration(h, "x-ratelimit-reset-tokens");
    }
    // Anthropic: the tightest of its token limits stands for ours (we count input plus output).
    v = count(h, "anthropic-ratelimit-requests-remaining");
    if (v >= 0) {
      reqLeft = v;
      reqReset = instant(h, "anthropic-ratelimit-requests-reset", now);
    }
    for (String kind : new String[] {"tokens", "input-tokens", "output-tokens"}) {
      v = count(h, "anthropic-ratelimit-" + kind + "-remaining");
      if (v >= 0 && (tokLeft < 0 || v < tokLeft)) {
        tokLeft = v;
        tokReset = instant(h, "anthropic-ratelimit-" + kind + "-reset", now);
      }
    }
    long retry = retryAfter(h, now);
    return new Read(reqLeft, reqReset, tokLeft, tokReset, retry);
  }

  private static String first(Object value) {
    if (value instanceof String s) {
      return s;
    }
    if (value instanceof Collection<?> c
        && !c.isEmpty()
        && c.iterator().next() instanceof String s) {
      return s;
    }
    return null;
  }

  private static long count(Map<String, String> h, String name) {
    String v = h.get(name);
    if (v == null) {
      return -1;
    }
    if (v.matches("[0-9]{1,15}")) {
      return Long.parseLong(v);
    }
    ignored(name, v);
    return -1;
  }

  private static final Pattern PART = Pattern.compile("([0-9]+(?:\\.[0-9]+)?)(ms|h|m|s)");

  /** An OpenAI reset ({@code 1h2m3.5s}, {@code 20ms}) in milliseconds; 0 when unreadable. */
  static long duration(Map<String, String> h, String name) {
    String v = h.get(name);
    if (v == null) {
      return 0;
    }
    Matcher m = PART.matcher(v);
    double ms = 0;
    int end = 0;
    while (m.find() && m.start() == end) {
      double n = Double.parseDouble(m.group(1));
      ms +=
          switch (m.group(2)) {
            case "h" -> n * 3_600_000;
            case "m" -> n * 60_000;
            case "s" -> n * 1_000;
            default -> n;
          };
      end = m.end();
    }
    if (end == 0 || end != v.length()) {
      ignored(name, v);
      return 0;
    }
    return (long) Math.ceil(ms);
  }

  /** An Anthropic reset (RFC 3339) as milliseconds from {@code now}; 0 when unreadable. */
  private static long instant(Map<String, String> h, String name, Instant now) {
    String v = h.get(name);
    if (v == null) {
      return 0;
    }
    try {
      return Math.max(0, Instant.parse(v).toEpochMilli() - now.toEpochMilli());
    } catch (DateTimeParseException e) {
      try {
        return Math.max(0, ZonedDateTime.parse(v).toInstant().toEpochMilli() - now.toEpochMilli());
      } catch (DateTimeParseException again) {
        ignored(name, v);
        return 0;
      }
    }
  }

  private static long retryAfter(Map<String, String> h, Instant now) {
    String v = h.get("retry-after");
    if (v == null) {
      return -1;
    }
    if (v.matches("[0-9]{1,9}(\\.[0-9]+)?")) {
      return (long) Math.ceil(Double.parseDouble(v) * 1000);
    }
    try {
      Instant at = ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
      return Math.max(0, at.toEpochMilli() - now.toEpochMilli());
    } catch (DateTimeParseException e) {
      ignored("retry-after", v);
      return -1;
    }
  }

  private static void ignored(String name, String value) {
    Events.LOG.log(
        Level.DEBUG,
        () -> "ignored the header " + name + ": " + Text.printable(value) + " (not understood)");
  }
}
