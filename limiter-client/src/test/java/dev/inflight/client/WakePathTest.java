package dev.inflight.client;

import static org.assertj.core.api.Assertions.assertThat;

import dev.inflight.store.LeaseEngine;
import dev.inflight.testing.Eventually;
import dev.inflight.testing.MutableClock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * How a waiter learns that it was granted: a wake-up from whoever granted it, else a commit hint,
 * else the safety re-read. Each limiter here is a process of its own (its own registration, its own
 * engine, its own wake socket), in one JVM.
 */
class WakePathTest {
  @TempDir Path home;
  final MutableClock clock = new MutableClock();
  final List<Limiter> open = new ArrayList<>();

  Limiter limiter(UnaryOperator<LeaseEngine> wrap) {
    Limiter l = TestLimiters.open(Limiter.builder().home(home).clock(clock).ticker(clock), wrap);
    open.add(l);
    return l;
  }

  Limiter limiter() {
    return limiter(UnaryOperator.identity());
  }

  @AfterEach
  void closeAll() {
    open.forEach(Limiter::close);
  }

  static <T> T await(CompletableFuture<T> f) throws Exception {
    return f.get(30, TimeUnit.SECONDS); // guards against a hang only
  }

  @Test
  void release_wakesTheProcessItGranted_andNoOtherWaitingProcess() throws Exception {
    Limiter holder = limiter();
    holder.limits().set(LimitSpec.of("openai", 1));
    Lease held = holder.tryAcquire("openai", "held").orElseThrow();
    // Neither waiter hears of commits: only a wake-up can reach it before its safety re-read.
    Limiter first = limiter(e -> TestLimiters.losingSignals(e, false, true));
    Limiter second = limiter(e -> TestLimiters.losingSignals(e, false, true));
    CompletableFuture<Lease> a = first.acquireAsync("openai", "first");
    CompletableFuture<Lease> b = second.acquireAsync("openai", "second");

    held.close();
    Lease granted = await(a);

    assertThat(granted.label()).isEqualTo("first");
    // The wake-up may land just after a pass that was running anyway took the grant.
    Eventually.until(() -> first.waitStats().signals() == 1);
    assertThat(first.waitStats().queuedGrants()).isEqualTo(1);
    assertThat(b).isNotDone();
    assertThat(second.waitStats().signals()).isZero();

    granted.close();
    assertThat(await(b).label()).isEqualTo("second");
    Eventually.until(() -> second.waitStats().signals() == 1);
    assertThat(first.waitStats().signals()).isEqualTo(1);
  }

  @Test
  void aWakeUpThatNamesTheGrant_handsTheLeaseOver_withoutReadingTheDatabase() throws Exception {
    Limiter holder = limiter();
    holder.limits().set(LimitSpec.of("openai", 1));
    Lease held = holder.tryAcquire("openai", "held").orElseThrow();
    java.util.Map<String, Integer> calls = new java.util.concurrent.ConcurrentHashMap<>();
    Limiter waiter =
        limiter(e -> TestLimiters.counting(TestLimiters.losingSignals(e, false, true), calls));
    CompletableFuture<Lease> f = waiter.acquireAsync("openai", "waiter");
    Eventually.until(() -> calls.containsKey("check")); // its first look, made before the release

    held.close();
    Lease granted = await(f);

    assertThat(granted.label()).isEqualTo("waiter");
    assertThat(granted.id()).isEqualTo(holder.status().leases().get(0).id());
    Eventually.until(() -> waiter.waitStats().signals() == 1);
    // Neither "which of my requests hold a lease" nor a glance: the message said it.
    assertThat(calls).doesNotContainKeys("granted", "glance");
    granted.close();
    assertThat(holder.status().leases()).isEmpty();
  }

  @Test
  void aWaiterThatLosesEveryWakeUpAndHint_isStillGrantedByItsSafetyReRead() throws Exception {
    Limiter holder = limiter();
    holder.limits().set(LimitSpec.of("openai", 1));
    Lease held = holder.tryAcquire("openai", "held").orElseThrow();
    Limiter deaf = limiter(e -> TestLimiters.losingSignals(e, false, false));
    CompletableFuture<Lease> f = deaf.acquireAsync("openai", "deaf");
    assertThat(f).isNotDone();

    held.close();

    assertThat(await(f).label()).isEqualTo("deaf");
    assertThat(deaf.waitStats().signals()).isZero();
    assertThat(deaf.waitStats().queuedGrants()).isEqualTo(1);
  }

  @Test
  void aWaiterThatCannotBeWoken_isGrantedThroughItsCommitHint() throws Exception {
    Limiter holder = limiter();
    holder.limits().set(LimitSpec.of("openai", 1));
    Lease held = holder.tryAcquire("openai", "held").orElseThrow();
    Limiter hinted = limiter(e -> TestLimiters.losingSignals(e, true, false));
    CompletableFuture<Lease> f = hinted.acquireAsync("openai", "hinted");

    held.close();

    assertThat(await(f).label()).isEqualTo("hinted");
    assertThat(hinted.waitStats().signals()).isZero();
  }

  @Test
  void aWaiterInTheReleasersOwnProcess_isHandedItsLeaseByTheReleaseItself_withoutARead()
      throws Exception {
    java.util.Map<String, Integer> calls = new java.util.concurrent.ConcurrentHashMap<>();
    Limiter l =
        limiter(e -> TestLimiters.counting(TestLimiters.losingSignals(e, false, true), calls));
    l.limits().set(LimitSpec.of("openai", 1));
    Lease held = l.tryAcquire("openai", "held").orElseThrow();
    CompletableFuture<Lease> f = l.acquireAsync("openai", "next");
    Eventually.until(() -> calls.containsKey("check")); // its first look, made before the release
    int checks = calls.get("check");

    held.close();

    assertThat(f).isDone(); // by the releasing thread, before close() returned
    assertThat(await(f).label()).isEqualTo("next");
    assertThat(l.waitStats().signals()).isZero();
    assertThat(calls).doesNotContainKeys("granted", "glance");
    assertThat(calls.get("check")).isEqualTo(checks);
  }

  @Test
  void aProcessListensOnAPrivateSocket_fromItsFirstQueuedRequest_untilItCloses() throws Exception {
    Limiter l = limiter();
    l.limits().set(LimitSpec.of("openai", 1));
    l.tryAcquire("openai").orElseThrow(); // registers, and holds the only slot
    Path procs = home.resolve("procs");
    assertThat(sockets(procs)).as("a process that never waited needs no socket").isEmpty();

    CompletableFuture<Lease> waiting = l.acquireAsync("openai", "waiting");
    assertThat(waiting).isNotDone();

    List<Path> sockets = sockets(procs);
    assertThat(sockets).hasSize(1);
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(sockets.get(0))))
        .isEqualTo("rw-------");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(procs)))
        .isEqualTo("rwx------");

    l.close();

    assertThat(sockets.get(0)).doesNotExist();
  }

  private static List<Path> sockets(Path procs) throws java.io.IOException {
    try (var s = Files.list(procs)) {
      return s.filter(p -> p.toString().endsWith(".sock")).toList();
    }
  }
}
