package dev.inflight.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class DemoScreenTest {
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();
  private final DemoScreen screen =
      new DemoScreen(
          new PrintStream(out, true, StandardCharsets.UTF_8),
          new PrintStream(err, true, StandardCharsets.UTF_8),
          true,
          () -> 12);

  @Test
  void redrawAfterTheFinalLine_drawsNothing_soCtrlCLeavesTheLineOnScreen() {
    screen.draw("table 1\n");
    screen.draw("a line longer than twelve columns\n");
    screen.finish("inflight demo: stopped 3 agents; 0 of their leases left; limits restored");

    boolean drawn = screen.draw("table 2\n");
    boolean lined = screen.line("12:00:00 openai ...");

    assertThat(drawn).isFalse();
    assertThat(lined).isFalse();
    assertThat(out.toString(StandardCharsets.UTF_8))
        .isEqualTo("\033[Htable 1\033[K\n\033[J\033[Ha line long…\033[K\n\033[J");
    assertThat(err.toString(StandardCharsets.UTF_8))
        .isEqualTo("inflight demo: stopped 3 agents; 0 of their leases left; limits restored\n");
  }
}
