package dev.inflight.client;

import dev.inflight.store.EngineConfig;
import dev.inflight.store.Engines;
import dev.inflight.store.LeaseEngine;
import dev.inflight.store.Liveness;
import dev.inflight.store.ProcessIdentity;
import dev.inflight.store.StoreException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * Configures a {@link Limiter}. Every setting has a default; see the README's configuration table.
 * Not thread-safe; {@link #build()} may be called more than once.
 */
public final class LimiterBuilder {
  private Path home;
  private String database;
  private boolean local;
  private InstantSource clock = InstantSource.system();
  private LongSupplier ticker = System::nanoTime;
  private Duration heartbeatInterval = Duration.ofSeconds(5);
  private Duration staleAfter = Duration.ofSeconds(30);
  private Duration busyTimeout = EngineConfig.DEFAULT_BUSY_TIMEOUT;
  private FailurePolicy failurePolicy = FailurePolicy.FAIL_CLOSED;
  private LimiterListener listener = LimiterListener.NONE;
  private final Map<String, UsageProbe> probes = new LinkedHashMap<>();
  private Duration probeCacheTtl = Duration.ofSeconds(1);
  private Duration probeTimeout = Duration.ofSeconds(2);
  private Duration defaultRetryAfter = Duration.ofSeconds(30);
  private String processName;

  LimiterBuilder() {}

  /** How long a {@link #processName} may be, in characters. */
  public static final int MAX_PROCESS_NAME = 200;

  /**
   * How this process is named to other processes in status listings and the app (default: the file
   * name of its executable, such as {@code java}). A launcher that runs another program names it
   * here: {@code inflight run} says {@code python agent.py}.
   *
   * @throws IllegalArgumentException when {@code name} is blank, longer than {@value
   *     #MAX_PROCESS_NAME} characters, or holds control characters (every terminal that lists it
   *     would obey them)
   */
  public LimiterBuilder processName(String name) {
    if (name == null
        || name.isBlank()
        || name.codePointCount(0, name.length()) > MAX_PROCESS_NAME
        || name.chars().anyMatch(Character::isISOControl)
        || name.indexOf('\uFFFD') >= 0) {
      throw new IllegalArgumentException(
          "processName must be 1 to "
              + MAX_PROCESS_NAME
              + " characters of text without control characters (was "
              + (name == null ? "null" : "\"" + Text.printable(name) + "\"")
              + ")");
    }
    this.processName = name;
    return this;
  }

  /** The config root (overrides {@code INFLIGHT_HOME} and the XDG default). */
  public LimiterBuilder home(Path home) {
    if (home == null || home.toString().isEmpty()) {
      throw new IllegalArgumentException(
          "home must name a directory (was " + (home == null ? "null" : "\"\"") + ")");
    }
    this.home = home;
    return this;
  }

  /**
   * A PostgreSQL database shared by processes on many machines ({@code
   * postgresql://[user[:password]@]host[:port]/db[?sslmode=…]}) instead of the SQLite file under
   * the config root. Without it, {@code INFLIGHT_DATABASE_URL} names one; without that, the SQLite
   * file is used. Credentials may also come from {@code PGPASSWORD} or {@code ~/.pgpass}.
   *
   * @throws IllegalArgumentException naming the rule and the URL (its password masked)
   */
  public LimiterBuilder database(String url) {
    Engines.checkUrl(url);
    this.database = url;
    this.local = false;
    return this;
  }

  /**
   * Uses the SQLite file under the config root even when {@code INFLIGHT_DATABASE_URL} names a
   * PostgreSQL database (the demo does, so that it never touches a user's own limits).
   */
  public LimiterBuilder localDatabase() {
    this.database = null;
    this.local = true;
    return this;
  }

  /**
   * The wall clock that stamps what is written to the database, which other processes compare
   * (default: the system clock; tests inject a fake one).
   */
  public LimiterBuilder clock(InstantSource clock) {
    this.clock = Objects.requireNonNull(clock, "clock");
    return this;
  }

  /**
   * The monotonic clock, in nanoseconds, that measures every duration this process waits or holds:
   * timeouts, time waited, time held (default {@link System#nanoTime()}; tests inject a fake one).
   * A step of the wall clock never changes these.
   */
  public LimiterBuilder ticker(LongSupplier nanos) {
    this.ticker = Objects.requireNonNull(nanos, "ticker");
    return this;
  }

  /** How often this process proves it is alive (default 5s). */
  public LimiterBuilder heartbeatInterval(Duration interval) {
    requirePositive("heartbeatInterval", interval);
    this.heartbeatInterval = interval;
    return this;
  }

  /**
   * After how long without a heartbeat other processes may reclaim this process's leases (default
   * 30s). Processes on this host that die are reclaimed at once, whatever this says.
   */
  public LimiterBuilder staleAfter(Duration ttl) {
    requirePositive("staleAfter", ttl);
    requireAtMost("staleAfter", ttl, Duration.ofHours(24), "24h");
    this.staleAfter = ttl;
    return this;
  }

  /** How long one transaction waits for another process's write lock (default 5s). */
  public LimiterBuilder busyTimeout(Duration timeout) {
    requirePositive("busyTimeout", timeout);
    this.busyTimeout = timeout;
    return this;
  }

  /** What acquiring does when the database fails (default {@link FailurePolicy#FAIL_CLOSED}). */
  public LimiterBuilder failurePolicy(FailurePolicy policy) {
    this.failurePolicy = Objects.requireNonNull(policy, "failurePolicy");
    return this;
  }

  public LimiterBuilder listener(LimiterListener listener) {
    this.listener = Objects.requireNonNull(listener, "listener");
    return this;
  }

  /**
   * Gates grants for {@code provider} on what the provider itself counts as in flight (see {@link
   * UsageProbe}). One probe per provider; a later call replaces an earlier one.
   */
  public LimiterBuilder usageProbe(String provider, UsageProbe probe) {
    Validation.provider(provider);
    probes.put(provider, Objects.requireNonNull(probe, "probe"));
    return this;
  }

  /**
   * How long a usage probe's answer is used before the probe is asked again, which is also how
   * often it is asked while requests wait (default 1s). Other processes use an answer for three
   * times this long.
   */
  public LimiterBuilder probeCacheTtl(Duration ttl) {
    requirePositive("probeCacheTtl", ttl);
    requireAtMost("probeCacheTtl", ttl, Duration.ofMinutes(10), "10m");
    this.probeCacheTtl = ttl;
    return this;
  }

  /**
   * How long a usage probe may take before grants fall back to local accounting (default 2s). A
   * probe that overruns is not called again until it returns.
   */
  public LimiterBuilder probeTimeout(Duration timeout) {
    requirePositive("probeTimeout", timeout);
    this.probeTimeout = timeout;
    return this;
  }

  /**
   * How long a 429 pauses a provider when its holder gives no Retry-After (default 30s, at most
   * 24h).
   */
  public LimiterBuilder defaultRetryAfter(Duration retryAfter) {
    if (retryAfter == null) {
      throw new IllegalArgumentException("defaultRetryAfter must be from 0 to 24h (was null)");
    }
    this.defaultRetryAfter = Validation.retryAfter(retryAfter);
    return this;
  }

  /**
   * Opens the database (creating and migrating it when needed).
   *
   * @throws LimiterException naming the database file when it cannot be opened
   */
  public Limiter build() {
    Settings settings = settings(ProcessIdentity.current());
    return new DefaultLimiter(settings, open(settings, Liveness.system()));
  }

  /** What this builder says, for a process with identity {@code me}. */
  Settings settings(ProcessIdentity detected) {
    ProcessIdentity me =
        processName == null
            ? detected
            : new ProcessIdentity(
                detected.host(),
                detected.hostId(),
                detected.pid(),
                detected.startToken(),
                processName);
    if (staleAfter.compareTo(heartbeatInterval.multipliedBy(2)) < 0) {
      throw new IllegalArgumentException(
          "staleAfter must be at least twice heartbeatInterval (was "
              + staleAfter
              + " with heartbeatInterval "
              + heartbeatInterval
              + ")");
    }
    String url =
        database != null ? database : local ? null : ConfigRoot.databaseUrl(System.getenv());
    if (url != null && database == null) {
      Engines.checkUrl(url); // from the environment: the same rule, named the same way
    }
    return new Settings(
        ConfigRoot.resolve(home),
        url,
        new Clocks(clock, ticker),
        heartbeatInterval,
        staleAfter,
        busyTimeout,
        failurePolicy,
        listener,
        me,
        new Upstream(Map.copyOf(probes), probeCacheTtl, probeTimeout, defaultRetryAfter),
        System.getenv(Joining.TOKEN));
  }

  /** Opens the engine the settings name; only processes of its host are checked by liveness. */
  static LeaseEngine open(Settings settings, Liveness liveness) {
    try {
      Path file = settings.databaseUrl() == null ? ConfigRoot.databaseFile(settings.home()) : null;
      return Engines.open(
          new EngineConfig(
              file,
              settings.databaseUrl(),
              settings.busyTimeout(),
              settings.identity().hostId(),
              liveness,
              settings.clocks().wall()));
    } catch (StoreException e) {
      throw Errors.limiter(e);
    }
  }

  private static void requireAtMost(String name, Duration d, Duration max, String maxText) {
    if (d.compareTo(max) > 0) {
      throw new IllegalArgumentException(
          name + " must be a positive duration of at most " + maxText + " (was " + d + ")");
    }
  }

  private static void requirePositive(String name, Duration d) {
    if (d == null || d.isZero() || d.isNegative()) {
      throw new IllegalArgumentException(name + " must be a positive duration (was " + d + ")");
    }
  }
}
