package dev.inflight.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.inflight.client.LimitSpec;
import dev.inflight.client.Limiter;
import dev.inflight.testing.Child;
import dev.inflight.testing.Jvm;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's first command, {@code inflight demo}, as a user with real limits runs it: without
 * {@code --home} it must never change their config root, however it ends.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class DemoPrivateRootTest {
  private static final Pattern SOMETHING_HELD = Pattern.compile(".* active [1-9].*");

  @TempDir Path tmp;
  Path realRoot;
  Path runtimeDir;
  Map<String, String> realRootBefore;

  @BeforeEach
  void userWithRealLimits() throws Exception {
    realRoot = Files.createDirectories(tmp.resolve("config/inflight"));
    runtimeDir = Files.createDirectories(tmp.resolve("run"));
    try (Limiter l = Limiter.builder().home(realRoot).build()) {
      l.limits().set(LimitSpec.of("openai", 7));
    }
    realRootBefore = fingerprint(realRoot);
  }

  @Test
  void demo_withoutHome_runsOnAPrivateRootAndSaysWhereFirst() throws Exception {
    Child demo = startDemo("--duration", "2s");

    Child.Result ended = demo.await();

    Path privateRoot = runtimeDir.resolve("inflight-demo");
    String[] err = ended.err().split("\n");
    assertThat(ended.code()).as(ended.describe()).isZero();
    assertThat(err[0])
        .isEqualTo(
            "inflight demo: on a private config root, "
                + privateRoot
                + ", so your own limits are not touched (--home DIR runs it on another root)");
    assertThat(err[1]).contains("inflight status --home " + privateRoot);
    assertThat(ended.err())
        .contains("your own limits were not touched (the demo's root: " + privateRoot + ")");
    assertThat(Files.getPosixFilePermissions(privateRoot))
        .isEqualTo(PosixFilePermissions.fromString("rwx------"));
    assertThat(privateRoot.resolve("limiter.db")).exists();
    assertThat(fingerprint(realRoot)).isEqualTo(realRootBefore);
  }

  @Test
  void demo_withoutHome_killedWithSigkill_leavesTheUsersRootUntouched() throws Exception {
    Child demo = startDemo();
    demo.awaitOut(SOMETHING_HELD.asMatchPredicate());
    List<ProcessHandle> agents = demo.process().toHandle().descendants().toList();

    demo.process().toHandle().destroyForcibly();
    demo.await();
    // The agents notice their parent is gone and exit by themselves.
    CompletableFuture.allOf(
            agents.stream().map(ProcessHandle::onExit).toArray(CompletableFuture[]::new))
        .get(60, TimeUnit.SECONDS);

    assertThat(agents).isNotEmpty();
    assertThat(fingerprint(realRoot)).isEqualTo(realRootBefore);
    try (Limiter l = Limiter.builder().home(realRoot).build()) {
      assertThat(l.limits().list()).containsExactly(LimitSpec.of("openai", 7));
    }
  }

  @Test
  void demo_privateRootBelongingToSomeoneElseOrALink_isRefusedWithItsName() throws Exception {
    Path elsewhere = Files.createDirectories(tmp.resolve("elsewhere"));
    Files.createSymbolicLink(runtimeDir.resolve("inflight-demo"), elsewhere);

    Child.Result ended = startDemo("--duration", "1s").await();

    assertThat(ended.code()).isEqualTo(1);
    assertThat(ended.err())
        .contains(runtimeDir.resolve("inflight-demo") + " is not a directory")
        .doesNotContain("Exception");
    assertThat(elsewhere.resolve("limiter.db")).doesNotExist();
  }

  @Test
  void theWindowTheDemoOpens_readsTheDemosPrivateRoot_withTheDemosLimits() throws Exception {
    Map<String, String> env = Map.of("XDG_RUNTIME_DIR", runtimeDir.toString());
    List<Path> shown = new java.util.ArrayList<>();
    List<List<LimitSpec>> limitsSeen = new java.util.ArrayList<>();

    int code =
        new Demo(
                null,
                true,
                1,
                null,
                env,
                (root, runFor) -> { // the window, closed at once by its user
                  shown.add(root);
                  try (Limiter l = Limiter.builder().home(root).build()) {
                    limitsSeen.add(l.limits().list());
                  }
                })
            .run();

    assertThat(code).isZero();
    assertThat(shown).containsExactly(runtimeDir.resolve("inflight-demo"));
    assertThat(limitsSeen.get(0)).extracting(LimitSpec::provider).contains("openai", "anthropic");
    assertThat(fingerprint(realRoot)).isEqualTo(realRootBefore);
  }

  private Child startDemo(String... more) {
    List<String> args = new java.util.ArrayList<>(List.of("demo", "--no-gui", "--agents", "3"));
    args.addAll(List.of(more));
    ProcessBuilder pb =
        new ProcessBuilder(Jvm.command(Main.class.getName(), args.toArray(String[]::new)));
    pb.environment().put("INFLIGHT_HOME", realRoot.toString());
    pb.environment().put("XDG_CONFIG_HOME", tmp.resolve("config").toString());
    pb.environment().put("XDG_RUNTIME_DIR", runtimeDir.toString());
    return Child.start(pb, "demo " + String.join(" ", args));
  }

  /** Every file of the directory with a hash of its bytes: any write shows. */
  private static Map<String, String> fingerprint(Path dir) throws IOException {
    Map<String, String> files = new TreeMap<>();
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.filter(Files::isRegularFile).toList()) {
        files.put(dir.relativize(p).toString(), sha256(Files.readAllBytes(p)));
      }
    }
    return files;
  }

  private static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }
}
