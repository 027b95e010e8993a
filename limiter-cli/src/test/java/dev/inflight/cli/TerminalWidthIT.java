package dev.inflight.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Long lines on a terminal are cut to its width; pipes get them whole. */
class TerminalWidthIT {
  private static final String LONG = "a-provider-with-a-long-name-" + "x".repeat(60);

  @TempDir Path home;
  Cli cli;

  @BeforeEach
  void aProviderWhoseRowIsWiderThanTheTerminal() {
    cli = new Cli(home);
    assertThat(cli.run("limits", "set", LONG, "2").code()).isZero();
  }

  @Test
  void status_onATerminal_cutsLinesToItsWidthWithAnEllipsis() {
    // script(1) runs the command on a pseudo-terminal, as a person's shell would.
    Cli.Result onTty =
        Cli.shell(
            "COLUMNS=50 script -qec \"INFLIGHT_NO_BUILD=1 '$0' --home '"
                + home
                + "' status\" /dev/null");

    String out = onTty.out().replace("\r", "");
    assertThat(out).contains("PROVIDER").contains("…");
    assertThat(out.lines().mapToInt(l -> l.codePointCount(0, l.length())).max().orElse(0))
        .isLessThanOrEqualTo(50);
    assertThat(out).doesNotContain(LONG);
  }

  @Test
  void status_piped_printsLinesWhole() {
    Cli.Result r = cli.run("status");

    assertThat(r.out()).contains(LONG).doesNotContain("…");
  }
}
