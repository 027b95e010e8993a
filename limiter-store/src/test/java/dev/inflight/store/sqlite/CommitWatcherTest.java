package dev.inflight.store.sqlite;

import static org.assertj.core.api.Assertions.assertThat;

import dev.inflight.testing.Eventually;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The commit watcher: closing it while commits stream in is quiet; a real loss is not. */
class CommitWatcherTest {
  @TempDir Path dir;

  @Test
  void closing_whileCommitsArrive_neverWarnsThatTheDirectoryIsGone() throws Exception {
    List<String> warnings = new CopyOnWriteArrayList<>();
    Logger log = Logger.getLogger("dev.inflight.store");
    Handler h =
        new Handler() {
          @Override
          public void publish(LogRecord r) {
            if (r.getLevel().intValue() >= Level.WARNING.intValue()) {
              warnings.add(r.getMessage());
            }
          }

          @Override
          public void flush() {}

          @Override
          public void close() {}
        };
    log.addHandler(h);
    Path db = dir.resolve("limiter.db");
    Path wal = dir.resolve("limiter.db-wal");
    AtomicBoolean writing = new AtomicBoolean(true);
    Thread writer =
        new Thread(
            () -> {
              while (writing.get()) {
                try {
                  Files.writeString(wal, "x", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
                } catch (java.io.IOException e) {
                  return;
                }
              }
            });
    writer.start();
    try {
      for (int i = 0; i < 300; i++) {
        CommitWatcher w = new CommitWatcher(db);
        CountDownLatch seen = new CountDownLatch(1);
        w.subscribe(seen::countDown);
        assertThat(seen.await(30, TimeUnit.SECONDS)).isTrue(); // it is watching, mid-stream
        w.close();
      }
    } finally {
      writing.set(false);
      writer.join();
      log.removeHandler(h);
    }
    assertThat(warnings).noneMatch(m -> m.contains("stopped watching"));
  }

  @Test
  void aPausedSubscriber_hearsNothing_untilItResumes_thenHearsOnceAndEveryCommitAgain()
      throws Exception {
    Path db = dir.resolve("limiter.db");
    Path wal = dir.resolve("limiter.db-wal");
    CommitWatcher w = new CommitWatcher(db);
    java.util.concurrent.atomic.AtomicInteger heard =
        new java.util.concurrent.atomic.AtomicInteger();
    java.util.concurrent.Semaphore each = new java.util.concurrent.Semaphore(0);
    dev.inflight.store.Signals.CommitWatch sub =
        w.subscribe(
            () -> {
              heard.incrementAndGet();
              each.release();
            });
    try {
      Files.writeString(wal, "a", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
      assertThat(each.tryAcquire(30, TimeUnit.SECONDS)).isTrue();

      sub.pause();
      int before = heard.get();
      for (int i = 0; i < 50; i++) {
        Files.writeString(wal, "b", StandardOpenOption.APPEND);
      }
      // The watcher thread stops watching at the first event it sees while everyone pauses.
      Eventually.until(() -> !w.watchingDirectory());
      assertThat(heard.get()).isEqualTo(before);

      sub.resume(); // reports once, at once, on this thread
      assertThat(heard.get()).isEqualTo(before + 1);
      Eventually.until(w::watchingDirectory);
      each.drainPermits();

      Files.writeString(wal, "c", StandardOpenOption.APPEND);
      assertThat(each.tryAcquire(30, TimeUnit.SECONDS)).isTrue();
    } finally {
      w.close();
    }
  }

  @Test
  void aCheckpointWritingTheDatabaseFile_isNoCommit_butTheFileReplacedIs() throws Exception {
    Path db = dir.resolve("limiter.db");
    Path wal = dir.resolve("limiter.db-wal");
    Files.writeString(db, "pages");
    CommitWatcher w = new CommitWatcher(db);
    java.util.concurrent.Semaphore heard = new java.util.concurrent.Semaphore(0);
    w.subscribe(heard::release);
    try {
      Files.writeString(wal, "a", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
      assertThat(heard.tryAcquire(30, TimeUnit.SECONDS)).isTrue(); // watching
      settle(w, dir.resolve("marker-1")); // the write's later events too
      heard.drainPermits();

      long before = w.batchesRead();
      Files.writeString(db, "copied", StandardOpenOption.APPEND); // what a checkpoint does
      Eventually.until(() -> w.batchesRead() > before);
      assertThat(heard.availablePermits()).isZero();

      Path replacement = dir.resolve("restored.db");
      Files.writeString(replacement, "another database");
      Files.move(replacement, db, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      assertThat(heard.tryAcquire(30, TimeUnit.SECONDS)).isTrue();
    } finally {
      w.close();
    }
  }

  /**
   * Returns once the watcher has read every event before an unrelated file's creation: events of
   * one directory arrive in order, and the marker's batch is no commit.
   */
  private static void settle(CommitWatcher w, Path marker) throws Exception {
    long before = w.batchesRead();
    Files.writeString(marker, "");
    Eventually.until(() -> w.batchesRead() > before);
    long seen = w.batchesRead();
    Files.writeString(marker.resolveSibling(marker.getFileName() + "-again"), "");
    Eventually.until(() -> w.batchesRead() > seen);
  }
}
