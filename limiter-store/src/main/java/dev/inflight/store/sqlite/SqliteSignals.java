package dev.inflight.store.sqlite;

import dev.inflight.store.Rows.Grant;
import dev.inflight.store.Rows.WatchTarget;
import dev.inflight.store.Signals;
import java.util.List;
import java.util.function.Consumer;

/**
 * How the SQLite engine tells waiters of changes: commits through the directory's inotify watch,
 * grants through the wake sockets, deaths through lock waits on the owners' lock files, and the
 * commit count through {@code PRAGMA data_version}.
 */
final class SqliteSignals implements Signals {
  private final Database db;
  private final LockFiles files;
  private final CommitWatcher commits;
  private final WakeSockets wakes;

  SqliteSignals(Database db, LockFiles files, CommitWatcher commits, WakeSockets wakes) {
    this.db = db;
    this.files = files;
    this.commits = commits;
    this.wakes = wakes;
  }

  @Override
  public CommitWatch onCommit(Runnable onCommit) {
    return commits.subscribe(onCommit);
  }

  @Override
  public boolean commitsWatched() {
    return commits.watching();
  }

  @Override
  public AutoCloseable onWake(Consumer<List<Grant>> onWake) {
    return wakes.subscribe(onWake);
  }

  @Override
  public boolean wakeable() {
    return wakes.listening();
  }

  @Override
  public long commitCount() {
    return db.dataVersion();
  }

  @Override
  public OwnerWatch watch(WatchTarget owner, Runnable onGone) {
    return LockWatch.start(files.processLock(owner.processId()), onGone);
  }
}
