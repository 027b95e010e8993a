package dev.inflight.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The version line from the build's commit and the checkout's commit at launch. */
class BuildInfoTest {
  private final String built = new BuildInfo(null).commit;

  @Test
  void withoutTheCheckoutsCommit_theBuildsIsShown() {
    assertThat(new BuildInfo(null).line()).startsWith("inflight ").endsWith("(" + built + ")");
  }

  @Test
  void checkoutAtTheBuildsCommit_isShownOnce() {
    String c = built.replace("commit ", "");
    if (c.equals("unknown commit")) {
      return; // built without git: nothing to compare with
    }
    assertThat(new BuildInfo(c).commit).isEqualTo("commit " + c);
  }

  @Test
  void checkoutAtAnotherCommit_namesItFirst_andTheBuildsBeside() {
    String line = new BuildInfo("0123456789ab-dirty").line();

    assertThat(line).contains("(commit 0123456789ab-dirty");
    if (!built.equals("unknown commit")) {
      assertThat(line).endsWith(", built at " + built.replace("commit ", "") + ")");
    }
  }

  @Test
  void somethingThatIsNotACommit_isIgnored() {
    assertThat(new BuildInfo("not a commit; rm -rf").commit).isEqualTo(built);
  }
}
