package dev.inflight.app;

import dev.inflight.client.Limiter;
import dev.inflight.client.ProviderStatus;
import dev.inflight.client.StatusSnapshot;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.time.ZoneId;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;
import javafx.beans.property.BooleanProperty;
import javafx.beans.property.ReadOnlyBooleanProperty;
import javafx.beans.property.ReadOnlyBooleanWrapper;
import javafx.beans.property.ReadOnlyStringProperty;
import javafx.beans.property.ReadOnlyStringWrapper;
import javafx.beans.property.SimpleBooleanProperty;
import javafx.collections.FXCollections;
import javafx.collections.ObservableList;

/**
 * What the status window shows, as read-only properties, and what it can do, as command methods.
 *
 * <p>Threads: every database call runs on {@code io} (one thread); every property and list changes
 * on {@code ui} ({@code Platform::runLater} in the app, the calling thread in tests). Commands are
 * called on the UI thread: they check the input at once (returning a message in the screen's words
 * when it is bad, having written nothing) and write in the background.
 *
 * <p>Freshness: the snapshot is re-read after every commit by any process (the limiter's change
 * detection, debounced by {@link #DEBOUNCE}), and on a one-second tick only when time alone changes
 * something (cooldowns ending, a 429 pause ending, a heartbeat going stale) or the database was
 * unreadable. Between reads the tick just advances the "held for" and "waiting for" counters and
 * the countdown of a 429 pause.
 *
 * <p>Budgets: a per-minute window frees room when its oldest start leaves it, which no commit
 * announces; the tick re-reads once that moment has passed, and counts "frees in" down before.
 */
public final class StatusViewModel implements AutoCloseable {
  static final Duration DEBOUNCE = Duration.ofMillis(50);
  static final Duration MIN_INTERVAL = Duration.ofMillis(100);
  static final Duration RETRY = Duration.ofSeconds(3);
  static final Duration TICK = Duration.ofSeconds(1);
  static final Duration REREAD_AFTER = Duration.ofSeconds(5);

  /** How often the charts' history is saved for the next start (and once more on close). */
  static final Duration SAVE_HISTORY_EVERY = Duration.ofSeconds(15);

  private final Histories histories = new Histories();
  private final Feed feed;

  // ui thread only
  private final ReadOnlyStringWrapper problem = new ReadOnlyStringWrapper();
  private final ReadOnlyStringWrapper commandError = new ReadOnlyStringWrapper();
  private final ReadOnlyStringWrapper database = new ReadOnlyStringWrapper("");
  private final ReadOnlyStringWrapper summary = new ReadOnlyStringWrapper("connecting…");
  private final ReadOnlyBooleanWrapper anyQueued = new ReadOnlyBooleanWrapper();
  private final ReadOnlyBooleanWrapper connected = new ReadOnlyBooleanWrapper();
  private final Rows rows;
  // one wrapper each, kept: a wrapper listens to its list weakly, so a dropped one goes quiet
  private final ObservableList<ProviderRow> providersView;
  private final ObservableList<LeaseRow> leasesView;
  private final ObservableList<WaiterRow> waitersView;
  private final AddForm addForm = new AddForm(spec -> write(l -> l.limits().set(spec)));
  private final LimitEdits edits;
  private Settings settings = Settings.NONE; // ui thread only
  private volatile Consumer<StatusSnapshot> onApplied = s -> {};
  private volatile Alerts.Sink notifier = (title, text) -> {};
  private final Alerts alerts = new Alerts((title, text) -> notifier.show(title, text));
  private final BooleanProperty notifications = new SimpleBooleanProperty();
  private Duration waitThreshold = AppPrefs.DEFAULT_WAIT; // ui thread only, with the two below
  private StatusSnapshot shown;

  /**
   * @param opener opens the limiter; may throw (the message is shown and it is retried every few
   *     seconds)
   */
  public StatusViewModel(
      Supplier<Limiter> opener, ScheduledExecutorService io, Executor ui, InstantSource clock) {
    this.feed = new Feed(opener, io, ui, clock, histories, new FromFeed());
    this.rows =
        new Rows(
            histories::of,
            new ProviderRow.Saves(
                this::setLimit,
                this::setCooldown,
                this::setRequestsPerMinute,
                this::setTokensPerMinute,
                this::setModelLimit,
                this::setModelRequestsPerMinute,
                this::setModelTokensPerMinute),
            ZoneId.systemDefault());
    this.edits =
        new LimitEdits(
            rows::status,
            () -> settings,
            spec -> write(l -> l.limits().set(spec)),
            spec -> write(l -> l.limits().setModel(spec)));
    notifications.addListener((obs, o, on) -> alerts.setEnabled(on));
    providersView = FXCollections.unmodifiableObservableList(rows.providers());
    leasesView = FXCollections.unmodifiableObservableList(rows.leases());
    waitersView = FXCollections.unmodifiableObservableList(rows.waiters());
  }

  /** How long to wait between attempts to open the database (tests shorten it). */
  StatusViewModel retryEvery(Duration d) {
    feed.retry = d;
    return this;
  }

  /**
   * Keeps the charts' history between starts in the file {@code where} names for the database (as
   * {@link Limiter#database()} names it); without this, history lives in memory only.
   */
  StatusViewModel keepHistoryIn(Function<String, Path> where) {
    feed.historyFile = where;
    return this;
  }

  /** Opens the database (retrying until it can) and starts following it. */
  public void start() {
    feed.start();
  }

  // ================================================================ properties

  /** Why the database cannot be read (path and cause), or null when all is well. */
  public ReadOnlyStringProperty problemProperty() {
    return problem.getReadOnlyProperty();
  }

  /** Why the last command failed in the database, or null. */
  public ReadOnlyStringProperty commandErrorProperty() {
    return commandError.getReadOnlyProperty();
  }

  /** The database file, once opened. */
  public ReadOnlyStringProperty databaseProperty() {
    return database.getReadOnlyProperty();
  }

  /**
   * Says what is happening until the database is open, in the place of its path: {@code opening
   * /path/limiter.db…}.
   */
  void announce(String text) {
    if (!connected.get()) {
      database.set(text);
    }
  }

  /** Totals in one line, e.g. {@code 4 active · 2 queued · 3 providers} (for the tray tooltip). */
  public ReadOnlyStringProperty summaryProperty() {
    return summary.getReadOnlyProperty();
  }

  public ReadOnlyBooleanProperty anyQueuedProperty() {
    return anyQueued.getReadOnlyProperty();
  }

  public ReadOnlyBooleanProperty connectedProperty() {
    return connected.getReadOnlyProperty();
  }

  /** Providers by name. Rows are kept (and updated) while their provider stays. */
  public ObservableList<ProviderRow> providers() {
    return providersView;
  }

  /** Active leases by provider, longest held first. */
  public ObservableList<LeaseRow> leases() {
    return leasesView;
  }

  /** Queued requests by provider, then position. */
  public ObservableList<WaiterRow> waiters() {
    return waitersView;
  }

  /** Every provider's history, for the charts' common scale. */
  Histories histories() {
    return histories;
  }

  /** The "add a limit" form. */
  AddForm addForm() {
    return addForm;
  }

  /**
   * Whether desktop notifications are shown (off by default): once when a 429 pauses a provider,
   * once when a request has waited longer than {@link #waitThreshold()}; one per episode.
   */
  public BooleanProperty notificationsProperty() {
    return notifications;
  }

  /** Where notifications go (the tray icon in the app); called on the UI thread. */
  void setNotifier(Alerts.Sink sink) {
    this.notifier = sink;
  }

  /** A request waiting longer than this is worth a notification. */
  Duration waitThreshold() {
    return waitThreshold;
  }

  void setWaitThreshold(Duration d) {
    waitThreshold = d;
    alerts.setThreshold(d);
  }

  /** Called on the UI thread after each snapshot is shown (for the latency figure). */
  public void setOnApplied(Consumer<StatusSnapshot> onApplied) {
    this.onApplied = onApplied;
  }

  // ================================================================ commands

  /**
   * Sets the provider's limit from the user's text, keeping its cooldown, pause and adaptive flag.
   *
   * @return the message, in the screen's words, when the text is not a valid limit (nothing is
   *     written)
   */
  public Optional<String> setLimit(String provider, String text) {
    return edits.setLimit(provider, text);
  }

  /**
   * Sets the provider's cooldown ({@code 500ms}, {@code 2s}, or a number of milliseconds).
   *
   * @return the message when the text is not a valid cooldown or the provider has no limit
   */
  public Optional<String> setCooldown(String provider, String text) {
    return edits.setCooldown(provider, text);
  }

  /**
   * Makes the provider's limit adaptive or fixed, keeping its limit and cooldown.
   *
   * @return a message when the provider has no limit (nothing is written)
   */
  public Optional<String> setAdaptive(String provider, boolean adaptive) {
    return edits.setAdaptive(provider, adaptive);
  }

  /**
   * Sets the provider's requests-per-minute budget ({@code 500}, {@code 1.5k}; blank for none).
   *
   * @return the message when the text is refused (nothing is written)
   */
  public Optional<String> setRequestsPerMinute(String provider, String text) {
    return edits.setRequestsPerMinute(provider, text);
  }

  /** Sets the provider's tokens-per-minute budget ({@code 30k}; blank for none). */
  public Optional<String> setTokensPerMinute(String provider, String text) {
    return edits.setTokensPerMinute(provider, text);
  }

  /** Sets a model's own in-flight cap (blank for none while a budget holds). */
  public Optional<String> setModelLimit(String provider, String model, String text) {
    return edits.setModelLimit(provider, model, text);
  }

  public Optional<String> setModelRequestsPerMinute(String provider, String model, String text) {
    return edits.setModelRequestsPerMinute(provider, model, text);
  }

  public Optional<String> setModelTokensPerMinute(String provider, String model, String text) {
    return edits.setModelTokensPerMinute(provider, model, text);
  }

  /**
   * Gives a model under a provider a limit of its own (a cap, an rpm budget or both).
   *
   * @return the message when a field is refused (nothing is written)
   */
  public Optional<String> addModel(String provider, String model, String cap, String rpm) {
    return edits.addModel(provider, model, cap, rpm);
  }

  /** Drops a model's own limit: its requests count against the provider's limit alone. */
  public void removeModel(String provider, String model) {
    write(l -> l.limits().unsetModel(provider, model));
  }

  /** Makes the provider unlimited. */
  public void removeLimit(String provider) {
    write(l -> l.limits().unset(provider));
  }

  public void pause(String provider) {
    write(l -> l.limits().pause(provider));
  }

  /** Ends a pause by hand and lifts a 429 pause early alike. */
  public void resume(String provider) {
    write(l -> l.limits().resume(provider));
  }

  /** Frees a stuck lease, whoever holds it (the view asks for confirmation first). */
  public void forceRelease(long leaseId) {
    write(l -> l.forceRelease(leaseId));
  }

  /** Re-reads now; completes when the result has been handed to the UI executor. */
  public CompletableFuture<Void> refresh() {
    return feed.refresh();
  }

  @Override
  public void close() {
    feed.close();
  }

  private void write(Feed.Write w) {
    feed.write(w);
  }

  // ================================================================ from the feed, ui thread

  private final class FromFeed implements Feed.Screen {
    @Override
    public void opened(String path) {
      database.set(path);
      connected.set(true);
    }

    @Override
    public void openFailed(String msg) {
      problem.set(msg);
      connected.set(false);
      summary.set("database unavailable");
    }

    @Override
    public void readFailed(String msg) {
      problem.set(msg);
    }

    @Override
    public void show(StatusSnapshot s, Settings set, Instant now) {
      apply(s, set, now);
    }

    @Override
    public void tick(Instant now) {
      tickCounters(now);
    }

    @Override
    public void commandDone(String error) {
      commandError.set(error);
    }
  }

  // ================================================================ ui thread

  private void apply(StatusSnapshot s, Settings set, Instant now) {
    problem.set(null);
    settings = set;
    rows.apply(s, set, now);
    List<ProviderStatus> shown = rows.providers().stream().map(ProviderRow::status).toList();
    summary.set(Rows.summaryOf(shown));
    anyQueued.set(shown.stream().anyMatch(p -> p.queued() > 0));
    this.shown = s;
    alerts.check(s, now);
    onApplied.accept(s);
  }

  private void tickCounters(Instant now) {
    rows.tick(now);
    if (shown != null) {
      alerts.check(shown, now);
    }
  }
}
