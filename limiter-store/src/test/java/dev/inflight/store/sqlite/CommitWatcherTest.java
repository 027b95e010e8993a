package dev.inflight.store.sqlite;

import static org.assertj.core.api.Assertions.assertThat;

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
}
