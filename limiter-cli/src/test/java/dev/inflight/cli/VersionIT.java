package dev.inflight.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.inflight.testing.Child;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --version} names the commit of the checkout it is started from, also after a commit that
 * changed no source and so did not rebuild the jar. The checkout here is a git repository of its
 * own whose {@code limiter-cli/target} is this build's: its commit is never the one the jar was
 * built at, as after a README-only commit.
 */
class VersionIT {
  @TempDir Path tmp;
  Path checkout;

  @BeforeEach
  void aCheckoutWhoseJarWasBuiltAtAnotherCommit() throws Exception {
    checkout = tmp.resolve("checkout");
    Files.createDirectories(checkout.resolve("bin"));
    Files.createDirectories(checkout.resolve("limiter-cli"));
    Files.copy(Cli.LAUNCHER, checkout.resolve("bin/inflight"));
    Path built = Cli.LAUNCHER.getParent().getParent().resolve("limiter-cli/target");
    Files.createSymbolicLink(checkout.resolve("limiter-cli/target"), built);
    Files.writeString(checkout.resolve("README.md"), "a checkout\n");
    git("init", "-q");
    git("add", "README.md", "bin/inflight");
    git("-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "one");
  }

  @Test
  void version_afterACommitThatChangedNoSource_namesTheCheckoutsCommitAndTheBuilds()
      throws Exception {
    String head = git("rev-parse", "--short=12", "HEAD");

    Child.Result r = inflight("--version");

    assertThat(r.code()).as(r.describe()).isZero();
    assertThat(r.out().lines().findFirst().orElseThrow())
        .matches("inflight \\S+ \\(commit " + head + "(, built at [0-9a-f]{12}(-dirty)?)?\\)")
        .contains("(commit " + head);
  }

  @Test
  void version_withAnUncommittedChange_saysDirty() throws Exception {
    String head = git("rev-parse", "--short=12", "HEAD");
    Files.writeString(checkout.resolve("README.md"), "an edit not committed\n");

    Child.Result r = inflight("--version");

    assertThat(r.out()).contains("(commit " + head + "-dirty");
  }

  @Test
  void manPage_carriesTheSameVersionLine() throws Exception {
    String head = git("rev-parse", "--short=12", "HEAD");

    Child.Result r = inflight("man");

    assertThat(r.code()).as(r.describe()).isZero();
    assertThat(r.out()).contains("commit " + head);
  }

  private Child.Result inflight(String... args) {
    List<String> cmd = new ArrayList<>(List.of(checkout.resolve("bin/inflight").toString()));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.environment().put("INFLIGHT_NO_BUILD", "1");
    return Child.start(pb, String.join(" ", cmd)).await();
  }

  private String git(String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of("git", "-C", checkout.toString()));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    assertThat(p.waitFor()).as(String.join(" ", cmd) + ": " + out).isZero();
    return out;
  }
}
