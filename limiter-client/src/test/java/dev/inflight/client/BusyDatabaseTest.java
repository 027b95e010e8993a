package dev.inflight.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Another process holding the write lock past the busy timeout (a holder descheduled on a loaded
 * machine, a hand edit left open) delays a request; it never fails it while its timeout allows.
 */
class BusyDatabaseTest {
  @TempDir Path home;
  final Logger log = Logger.getLogger("dev.inflight.client");
  final CountDownLatch busySeen = new CountDownLatch(1);
  final Handler watcher =
      new Handler() {
        @Override
        public void publish(LogRecord r) {
          if (r.getMessage() != null && r.getMessage().contains("the database is busy")) {
            busySeen.countDown();
          }
        }

        @Override
        public void flush() {}

        @Override
        public void close() {}
      };

  @AfterEach
  void stopWatching() {
    log.removeHandler(watcher);
  }

  @Test
  void registrationAndAcquire_whileAnotherProcessHoldsTheWriteLock_retryWithinTheTimeout()
      throws Exception {
    try (Limiter admin = Limiter.builder().home(home).build()) {
      admin.limits().set(LimitSpec.of("openai", 1));
    }
    log.setLevel(Level.ALL);
    log.addHandler(watcher);
    try (Limiter l = Limiter.builder().home(home).busyTimeout(Duration.ofMillis(1)).build();
        Connection other = DriverManager.getConnection("jdbc:sqlite:" + l.databaseFile());
        Statement s = other.createStatement()) {
      s.execute("BEGIN IMMEDIATE"); // as sqlite3 does, for as long as a person leaves it open
      CompletableFuture<Lease> f =
          CompletableFuture.supplyAsync(
              () -> l.acquire("openai", "patient", Duration.ofMinutes(1)));

      // The first attempt fails past the (1 ms) busy timeout; the request must try again.
      long guard = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (!busySeen.await(10, TimeUnit.MILLISECONDS) && !f.isDone()) {
        assertThat(System.nanoTime() - guard).as("no attempt at all (hang)").isNegative();
      }
      assertThat(f).as("the request is still trying, not failed").isNotDone();
      s.execute("COMMIT");

      Lease lease = f.get(60, TimeUnit.SECONDS);
      assertThat(lease.label()).isEqualTo("patient");
      lease.close();
    }
  }
}
