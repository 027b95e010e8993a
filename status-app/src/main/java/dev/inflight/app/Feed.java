package dev.inflight.app;

import dev.inflight.client.Limiter;
import dev.inflight.client.StatusSnapshot;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The reading side of the view-model: opens the database (retrying until it can), follows it (a
 * read after each commit by any process, debounced; a tick once a second that re-reads only when
 * time alone changes something), runs the commands' writes, records the charts' history and keeps
 * it between starts. Every database call runs on {@code io}; what the screen should show is handed
 * to {@link Screen} through {@code ui}.
 */
final class Feed {
  static final Duration DEBOUNCE = StatusViewModel.DEBOUNCE;
  static final Duration MIN_INTERVAL = StatusViewModel.MIN_INTERVAL;
  static final Duration TICK = StatusViewModel.TICK;
  static final Duration REREAD_AFTER = StatusViewModel.REREAD_AFTER;
  static final Duration SAVE_HISTORY_EVERY = StatusViewModel.SAVE_HISTORY_EVERY;
  private static final System.Logger LOG = System.getLogger(Feed.class.getName());

  /** What the feed tells the screen, each call on the UI executor. */
  interface Screen {
    void opened(String database);

    void openFailed(String message);

    void readFailed(String message);

    /** A snapshot that differs from the last one shown, and the limits read with it. */
    void show(StatusSnapshot s, Settings settings, Instant now);

    /** Time passed and nothing visible changed: the counters tick. */
    void tick(Instant now);

    /** A command's write ended: null when it succeeded, else the database's message. */
    void commandDone(String error);
  }

  private final Supplier<Limiter> opener;
  private final ScheduledExecutorService io;
  private final Executor ui;
  private final InstantSource clock;
  private final Screen screen;
  private final Histories histories;

  // io thread only
  private Limiter limiter;
  private AutoCloseable subscription;
  private long lastReadMs = Long.MIN_VALUE / 2;
  private long lastReadStartMs = Long.MIN_VALUE / 2;
  private boolean readFailed;
  private StatusSnapshot last;
  private List<Object> lastShown;
  private Path historyPath;
  private String historyOf;
  private long historySavedMs;

  private final AtomicBoolean refreshQueued = new AtomicBoolean();
  private volatile boolean closed;
  volatile Duration retry = StatusViewModel.RETRY;
  volatile Function<String, Path> historyFile;

  Feed(
      Supplier<Limiter> opener,
      ScheduledExecutorService io,
      Executor ui,
      InstantSource clock,
      Histories histories,
      Screen screen) {
    this.opener = opener;
    this.io = io;
    this.ui = ui;
    this.clock = clock;
    this.histories = histories;
    this.screen = screen;
  }

  void start() {
    io.execute(this::connect);
    io.scheduleWithFixedDelay(this::tick, TICK.toMillis(), TICK.toMillis(), TimeUnit.MILLISECONDS);
  }

  boolean closed() {
    return closed;
  }

  /** Re-reads now; completes when the result has been handed to the UI executor. */
  CompletableFuture<Void> refresh() {
    return CompletableFuture.runAsync(this::readNow, io);
  }

  void close() {
    closed = true;
    CompletableFuture<Void> done =
        CompletableFuture.runAsync(
            () -> {
              saveHistory();
              if (subscription != null) {
                try {
                  subscription.close();
                } catch (Exception e) {
                  // closing anyway
                }
              }
              if (limiter != null) {
                limiter.close();
              }
            },
            io);
    try {
      done.get(5, TimeUnit.SECONDS);
    } catch (Exception e) {
      // the process is ending; the core reclaims whatever is left
    }
    io.shutdownNow();
  }

  interface Write {
    void run(Limiter limiter);
  }

  void write(Write w) {
    if (closed) {
      return; // an edit saved as the window closes, after close(): the app is ending
    }
    try {
      io.execute(() -> writeNow(w));
    } catch (RejectedExecutionException e) {
      // closed meanwhile: as above
    }
  }

  private void writeNow(Write w) {
    if (limiter == null) {
      ui.execute(() -> screen.commandDone("not connected to the database yet"));
      return;
    }
    try {
      w.run(limiter);
      ui.execute(() -> screen.commandDone(null));
    } catch (RuntimeException e) {
      String msg = e.getMessage();
      ui.execute(() -> screen.commandDone(msg));
    }
    readNow();
  }

  private void connect() {
    if (closed || limiter != null) {
      return;
    }
    try {
      Limiter l = opener.get();
      limiter = l;
      subscription = l.onChange(this::changed);
      String path = l.database();
      loadHistory(path);
      ui.execute(() -> screen.opened(path));
      readNow();
    } catch (RuntimeException e) {
      String msg = "Cannot open the database: " + e.getMessage();
      ui.execute(() -> screen.openFailed(msg));
      if (!closed) {
        io.schedule(this::connect, retry.toMillis(), TimeUnit.MILLISECONDS);
      }
    }
  }

  /** From the limiter's watcher thread: coalesce a burst of commits into one read. */
  private void changed() {
    if (closed || !refreshQueued.compareAndSet(false, true)) {
      return;
    }
    long sinceLast = clock.millis() - lastReadStartMs;
    long delay = Math.max(DEBOUNCE.toMillis(), MIN_INTERVAL.toMillis() - sinceLast);
    try {
      io.schedule(this::readNow, delay, TimeUnit.MILLISECONDS);
    } catch (RuntimeException e) {
      // shutting down
    }
  }

  private void readNow() {
    refreshQueued.set(false);
    if (limiter == null || closed) {
      return;
    }
    lastReadStartMs = clock.millis();
    StatusSnapshot s;
    Settings set;
    try {
      s = limiter.status();
      set = new Settings(limiter.limits().list(), limiter.limits().models());
    } catch (RuntimeException e) {
      readFailed = true;
      lastShown = null;
      String msg = "Cannot read the database: " + e.getMessage();
      ui.execute(() -> screen.readFailed(msg));
      return;
    }
    boolean recovered = readFailed;
    readFailed = false;
    last = s;
    lastReadMs = clock.millis();
    record(s, s.at().toEpochMilli());
    // Most commits on a busy database change nothing on screen (heartbeats, re-checks): the
    // counters tick on their own, so only a visible difference costs a layout and a repaint.
    List<Object> key = List.of(Snapshots.visible(s), set);
    if (!recovered && key.equals(lastShown)) {
      Instant at = clock.instant();
      ui.execute(() -> screen.tick(at)); // nothing to redraw, but waits still grow
      return;
    }
    lastShown = key;
    Instant now = clock.instant();
    ui.execute(() -> screen.show(s, set, now));
  }

  private void tick() {
    if (closed) {
      return;
    }
    if (limiter == null) {
      return; // connect() retries on its own schedule
    }
    long now = clock.millis();
    if (now - historySavedMs >= SAVE_HISTORY_EVERY.toMillis()) {
      saveHistory();
    }
    StatusSnapshot s = last;
    boolean timeMatters =
        s == null
            || readFailed
            || now - lastReadMs >= REREAD_AFTER.toMillis()
            || s.providers().stream()
                .anyMatch(
                    p ->
                        p.cooling() > 0
                            || Snapshots.pauseEnded(p, now)
                            || Snapshots.windowFreed(p, now));
    if (timeMatters) {
      readNow();
      return;
    }
    record(s, now);
    Instant at = clock.instant();
    ui.execute(() -> screen.tick(at));
  }

  private void loadHistory(String db) {
    Function<String, Path> where = historyFile;
    if (where == null) {
      return;
    }
    historyPath = where.apply(db);
    historyOf = db;
    historySavedMs = clock.millis();
    HistoryFile.load(historyPath, db).ifPresent(h -> histories.restore(h, clock.millis()));
  }

  private void saveHistory() {
    if (historyPath == null) {
      return;
    }
    historySavedMs = clock.millis();
    try {
      HistoryFile.save(historyPath, historyOf, histories.samples());
    } catch (IOException | RuntimeException e) {
      LOG.log(
          System.Logger.Level.WARNING,
          "inflight app: cannot save the charts' history to " + historyPath + ": " + e);
    }
  }

  private void record(StatusSnapshot s, long atMs) {
    histories.record(s, atMs);
  }
}
