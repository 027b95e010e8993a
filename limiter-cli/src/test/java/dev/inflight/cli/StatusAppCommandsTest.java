package dev.inflight.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@code app} and {@code demo} parsed by the CLI's model, as the status app's JVM runs them. */
class StatusAppCommandsTest {
  private final List<String> calls = new ArrayList<>();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();
  private PrintStream savedErr;

  private final StatusAppLauncher launcher =
      new StatusAppLauncher() {
        @Override
        public int app(Path root, String databaseUrl, Duration quitAfter) {
          calls.add(
              "app " + root + (databaseUrl == null ? "" : " " + databaseUrl) + " " + quitAfter);
          return 0;
        }

        @Override
        public int demo(Path explicitHome, boolean gui, int agents, Duration duration) {
          calls.add("demo " + explicitHome + " gui=" + gui + " agents=" + agents + " " + duration);
          return 0;
        }
      };

  @BeforeEach
  void captureStderr() {
    savedErr = System.err;
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  @AfterEach
  void restoreStderr() {
    System.setErr(savedErr);
  }

  @Test
  void demo_withoutHome_getsNoRoot_soItUsesItsPrivateOne() {
    int code = Commands.runStatusApp(new String[] {"demo", "--no-gui", "--agents", "3"}, launcher);

    assertThat(code).isZero();
    assertThat(calls).containsExactly("demo null gui=false agents=3 null");
  }

  @Test
  void demo_withHomeBeforeOrAfterTheWord_getsThatRoot() {
    Path dir = Path.of("/tmp/somewhere").toAbsolutePath();
    Commands.runStatusApp(new String[] {"--home", dir.toString(), "demo"}, launcher);
    Commands.runStatusApp(
        new String[] {"demo", "--duration", "90s", "--home", dir.toString()}, launcher);

    assertThat(calls)
        .containsExactly(
            "demo " + dir + " gui=true agents=7 null",
            "demo " + dir + " gui=true agents=7 PT1M30S");
  }

  @Test
  void app_getsTheResolvedConfigRoot() {
    Commands.runStatusApp(new String[] {"app", "--home", "/tmp/x", "--duration", "5m"}, launcher);

    assertThat(calls).containsExactly("app /tmp/x PT5M");
    calls.clear();
    Commands.runStatusApp(
        new String[] {"app", "--home", "/tmp/x", "--db", "postgresql://h/team"}, launcher);
    assertThat(calls).containsExactly("app /tmp/x postgresql://h/team null");
  }

  @Test
  void badValues_areRefusedWithTheRule_andOnlyTheHint_notTheWholeUsage() {
    int agents = Commands.runStatusApp(new String[] {"demo", "--agents", "99"}, launcher);
    int duration = Commands.runStatusApp(new String[] {"demo", "--duration", "soon"}, launcher);
    int option = Commands.runStatusApp(new String[] {"app", "--no-gui"}, launcher);

    assertThat(List.of(agents, duration, option)).containsOnly(ExitCodes.USAGE);
    assertThat(calls).isEmpty();
    String text = err.toString(StandardCharsets.UTF_8);
    assertThat(text)
        .contains("inflight: --agents must be an integer from 1 to 24 (was \"99\")\n")
        .contains("--duration")
        .contains("soon")
        .contains("inflight: Unknown option: '--no-gui'\nSee 'inflight app --help'.\n")
        .doesNotContain("Usage:");
  }
}
