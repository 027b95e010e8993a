package dev.inflight.client;

import static org.assertj.core.api.Assertions.assertThat;

import dev.inflight.testing.Eventually;
import dev.inflight.testing.PgCluster;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * On PostgreSQL a commit names the provider it changed (channel {@code inflight}): a process whose
 * requests wait at other providers does not look at them for it, while a change at their own
 * provider still makes it look at once.
 */
class PostgresCommitHintTest {
  @TempDir Path dir;

  @Test
  void changesAtAnotherProvider_doNotMakeAWaiterLook_whileOneAtItsOwnDoes() throws Exception {
    String url = PgCluster.shared().newDatabase();
    try (Limiter admin = Limiter.builder().home(dir.resolve("a")).database(url).build();
        Limiter other = Limiter.builder().home(dir.resolve("b")).database(url).build()) {
      admin.limits().set(LimitSpec.of("mine", 1));
      admin.limits().set(LimitSpec.of("theirs", 1));
      Lease held = admin.tryAcquire("mine").orElseThrow();
      CompletableFuture<Lease> waiting =
          other.acquireAsync(LeaseRequest.of("mine"), Duration.ofMinutes(2));
      Eventually.until(() -> admin.status().waiters().size() == 1);
      long before = other.waitStats().wakeups();
      // Each change of "theirs" is a commit of its own, delivered to the other process's session
      // before the next one is made (the admin's status read after it runs on the same server).
      for (int i = 0; i < 30; i++) {
        admin.limits().set(LimitSpec.of("theirs", 1 + i % 2));
        admin.status();
      }
      // A change at "mine" (its cooldown) comes after them on the same session: once the waiter
      // has looked for it, it has heard of every change before it too.
      admin.limits().set(LimitSpec.of("mine", 1).withCooldown(Duration.ofMillis(1)));
      Eventually.until(() -> other.waitStats().wakeups() > before);
      long looked = other.waitStats().wakeups() - before;
      assertThat(looked)
          .as("looks at the waiting request for 30 changes elsewhere and 1 here")
          .isLessThanOrEqualTo(3);
      held.release();
      assertThat(waiting.get(60, TimeUnit.SECONDS).provider()).isEqualTo("mine");
    }
  }
}
