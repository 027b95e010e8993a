package dev.inflight.client;

import static org.assertj.core.api.Assertions.assertThat;

import dev.inflight.store.LeaseEngine;
import dev.inflight.store.Liveness;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The rules of joining an inherited lease, in one JVM: the holder is this test's limiter, and the
 * ancestry is the test's to decide. (Real descendants are {@link MultiProcessTest}'s.)
 */
class NestedLeaseTest {
  @TempDir Path home;
  DefaultLimiter parent;
  LeaseEngine engine;
  final long me = ProcessHandle.current().pid();
  final List<String> reported429 = new ArrayList<>();

  @BeforeEach
  void open() {
    LimiterBuilder b = Limiter.builder().home(home);
    Settings s = b.settings(dev.inflight.store.ProcessIdentity.current());
    engine = LimiterBuilder.open(s, Liveness.system());
    parent = new DefaultLimiter(s, engine);
    parent.limits().set(LimitSpec.of("openai", 1));
  }

  @AfterEach
  void close() {
    parent.close();
  }

  private Joining joining(String token, Joining.Ancestry ancestry) {
    return Joining.of(
        token == null ? Map.of() : Map.of(Joining.TOKEN, token),
        engine,
        dev.inflight.store.ProcessIdentity.currentHostId(),
        ancestry,
        Clocks.system(),
        (provider, retryAfter) -> {
          reported429.add(provider + " " + retryAfter);
          return Instant.EPOCH;
        });
  }

  private static String token(Lease lease) {
    return lease.childEnvironment().get(Joining.TOKEN);
  }

  @Test
  void aDescendant_joinsTheHeldLease_countsNothing_andItsReleaseLeavesTheLeaseHeld() {
    Lease held = parent.tryAcquire("openai", "parent").orElseThrow();
    Joining child = joining(token(held), (pid, start) -> pid == me);

    Lease joined =
        child.join(new LeaseRequest("openai", "", "child", 1, -1, Priority.NORMAL)).orElseThrow();
    assertThat(joined.id()).isEqualTo(held.id());
    assertThat(joined.waited()).isZero();
    assertThat(parent.status().leases()).hasSize(1); // nothing extra counted

    assertThat(joined.release()).isEqualTo(ReleaseResult.JOINED);
    assertThat(joined.release()).isEqualTo(ReleaseResult.ALREADY_RELEASED);
    assertThat(parent.status().leases()).extracting(LeaseInfo::id).containsExactly(held.id());
    assertThat(held.release()).isEqualTo(ReleaseResult.RELEASED);
  }

  @Test
  void aJoinedLease_passesTheSameInheritanceOn_toGrandchildren() {
    Lease held = parent.tryAcquire("openai", "parent").orElseThrow();
    Lease joined =
        joining(token(held), (pid, start) -> pid == me)
            .join(new LeaseRequest("openai", "", "", 1, -1, Priority.NORMAL))
            .orElseThrow();
    assertThat(joined.childEnvironment()).isEqualTo(held.childEnvironment());
    assertThat(held.childEnvironment())
        .containsEntry("INFLIGHT_PROVIDER", "openai")
        .containsEntry("INFLIGHT_LEASE_ID", Long.toString(held.id()));
  }

  @Test
  void noJoin_forAnotherProvider_aNonDescendant_aReleasedLease_orNoToken() {
    parent.limits().set(LimitSpec.of("anthropic", 1));
    Lease held = parent.tryAcquire("openai", "parent").orElseThrow();
    String t = token(held);

    assertThat(
            joining(t, (pid, start) -> pid == me)
                .join(new LeaseRequest("anthropic", "", "", 1, -1, Priority.NORMAL)))
        .isEmpty();
    assertThat(
            joining(t, (pid, start) -> false)
                .join(new LeaseRequest("openai", "", "", 1, -1, Priority.NORMAL)))
        .isEmpty();
    assertThat(
            joining(null, (pid, start) -> true)
                .join(new LeaseRequest("openai", "", "", 1, -1, Priority.NORMAL)))
        .isEmpty();
    assertThat(
            joining("0123456789abcdef0123", (pid, start) -> true)
                .join(new LeaseRequest("openai", "", "", 1, -1, Priority.NORMAL)))
        .isEmpty(); // well-formed, but nobody holds a lease under it

    held.release();
    assertThat(
            joining(t, (pid, start) -> pid == me)
                .join(new LeaseRequest("openai", "", "", 1, -1, Priority.NORMAL)))
        .isEmpty();
  }

  @Test
  void theHoldersOwnProcess_isNoDescendant_ofItself() {
    Lease held = parent.tryAcquire("openai", "parent").orElseThrow();
    Joining real = joining(token(held), Joining.Ancestry.ofThisProcess());
    assertThat(real.join(new LeaseRequest("openai", "", "", 1, -1, Priority.NORMAL))).isEmpty();
  }

  @Test
  void aRateLimitedJoinedRelease_reportsThe429_forEveryone() {
    Lease held = parent.tryAcquire("openai", "parent").orElseThrow();
    Lease joined =
        joining(token(held), (pid, start) -> pid == me)
            .join(new LeaseRequest("openai", "", "", 1, -1, Priority.NORMAL))
            .orElseThrow();
    assertThat(joined.releaseRateLimited(Duration.ofSeconds(7))).isEqualTo(ReleaseResult.JOINED);
    assertThat(reported429).containsExactly("openai PT7S");
  }

  @Test
  void aMalformedToken_isIgnored_withOneWarningNamingTheVariableAndTheRule() {
    List<String> warnings = new ArrayList<>();
    Logger log = Logger.getLogger("dev.inflight.client");
    Handler h =
        new Handler() {
          @Override
          public void publish(LogRecord r) {
            warnings.add(r.getMessage());
          }

          @Override
          public void flush() {}

          @Override
          public void close() {}
        };
    log.addHandler(h);
    try {
      Joining j = joining("not a token; rm -rf", (pid, start) -> true);
      assertThat(j.inherited()).isFalse();
      assertThat(j.join(new LeaseRequest("openai", "", "", 1, -1, Priority.NORMAL)))
          .isEqualTo(Optional.empty());
    } finally {
      log.removeHandler(h);
    }
    assertThat(warnings)
        .anySatisfy(
            w ->
                assertThat(w)
                    .contains("INFLIGHT_LEASE_TOKEN")
                    .contains("16 to 64 letters, digits")
                    .contains("not a token; rm -rf"));
  }
}
