package dev.inflight.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.inflight.client.ModelStatus;
import dev.inflight.client.Priority;
import dev.inflight.client.ProviderStatus;
import dev.inflight.client.StatusSnapshot;
import dev.inflight.client.Window;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

/** The watch view, driven by hand-made snapshots and changes: no clock, no waiting. */
class StatusWatchTest {
  private static final Instant AT = Instant.parse("2026-11-22T10:00:00Z");
  private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
  private final PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);

  private static StatusSnapshot snapshot(int activeOpenai, int queuedOpenai) {
    return new StatusSnapshot(
        AT,
        List.of(
            new ProviderStatus(
                "anthropic", OptionalInt.of(3), Duration.ZERO, false, 1, 0, 0, Duration.ZERO),
            new ProviderStatus(
                "openai",
                OptionalInt.of(2),
                Duration.ZERO,
                false,
                activeOpenai,
                0,
                queuedOpenai,
                Duration.ofSeconds(1))),
        List.of(),
        List.of());
  }

  private StatusWatch watch(boolean terminal, boolean colour, Deque<StatusSnapshot> reads) {
    return new StatusWatch(
        reads::peek, millis -> reads.poll(), "/db", out, terminal, colour, () -> 60);
  }

  @Test
  void onATerminal_aProviderAtItsLimitIsYellow_andAWaitingQueueRed() {
    StatusWatch w = watch(true, true, new ArrayDeque<>());

    String full = w.frame(snapshot(2, 0));
    String waiting = w.frame(snapshot(2, 3));

    assertThat(full).startsWith(StatusWatch.HOME).endsWith(StatusWatch.CLEAR_BELOW);
    assertThat(full).contains(StatusWatch.YELLOW + "openai ").doesNotContain(StatusWatch.RED);
    assertThat(full).contains("\nanthropic ").doesNotContain(StatusWatch.YELLOW + "anthropic");
    assertThat(waiting).contains(StatusWatch.RED + "openai ");
  }

  @Test
  void modelRows_areColouredByTheirOwnLevel_andTheProvidersAfterThemKeepTheirs() {
    ProviderStatus openai =
        new ProviderStatus(
            "openai",
            OptionalInt.of(4),
            Duration.ZERO,
            false,
            1,
            0,
            1,
            Duration.ofSeconds(1),
            false,
            OptionalInt.empty(),
            Optional.empty(),
            "",
            OptionalInt.empty(),
            Window.NONE,
            List.of(
                new ModelStatus("full", 1, 1, 0, Window.NONE),
                new ModelStatus("waited", 2, 0, 1, Window.NONE)),
            Map.of(Priority.BATCH, 1));
    ProviderStatus zeta =
        new ProviderStatus("zeta", OptionalInt.of(1), Duration.ZERO, false, 1, 0, 0, Duration.ZERO);
    StatusSnapshot s = new StatusSnapshot(AT, List.of(openai, zeta), List.of(), List.of());

    String frame = watch(true, true, new ArrayDeque<>()).frame(s);

    assertThat(frame)
        .contains(StatusWatch.RED + "openai ")
        .contains(StatusWatch.YELLOW + "  full ")
        .contains(StatusWatch.RED + "  waited ")
        .contains(StatusWatch.YELLOW + "zeta ");
  }

  @Test
  void withNoColor_orNotATerminal_thereIsNoColour() {
    assertThat(StatusWatch.colourWanted("1")).isFalse();
    assertThat(StatusWatch.colourWanted("")).isTrue();
    assertThat(StatusWatch.colourWanted(null)).isTrue();

    String plain = watch(true, false, new ArrayDeque<>()).frame(snapshot(2, 3));
    assertThat(plain).doesNotContain("\033[3");
  }

  @Test
  void frames_areCutToTheTerminalsWidth() {
    String frame = watch(true, true, new ArrayDeque<>()).frame(snapshot(2, 3));

    assertThat(frame.lines())
        .allSatisfy(
            l ->
                assertThat(l.replaceAll("\033\\[[0-9;]*[A-Za-z]", "").length())
                    .isLessThanOrEqualTo(60));
    assertThat(frame).contains("inflight status --watch · /db · ");
  }

  @Test
  void onANarrowTerminal_theClockStaysInTheTitle_andTheDatabasesPathIsCut() {
    StatusWatch narrow =
        new StatusWatch(
            () -> snapshot(2, 3),
            millis -> {},
            "/a/long/path/to/the/config/root/limiter.db",
            new PrintStream(new ByteArrayOutputStream()),
            true,
            false,
            () -> 40);

    String title = narrow.frame(snapshot(2, 3)).lines().findFirst().orElseThrow();

    assertThat(title).matches(".*[0-9]{2}:[0-9]{2}:[0-9]{2} · inflight status --watch · /a….*");
  }

  @Test
  void piped_printsOneLinePerChange_withoutColourOrScreenControl() throws Exception {
    Deque<StatusSnapshot> reads =
        new ArrayDeque<>(List.of(snapshot(1, 0), snapshot(1, 0), snapshot(2, 1)));
    StatusWatch w = watch(false, true, reads);

    w.run(reads::isEmpty);

    String text = bytes.toString(StandardCharsets.UTF_8);
    assertThat(text.lines()).hasSize(2);
    assertThat(text).doesNotContain("\033");
    assertThat(text.lines().toList().get(1))
        .endsWith("openai limit 2, active 2, cooling 0, queued 1, paused no");
  }

  @Test
  void onATerminal_eachChangeRedrawsInPlace() throws Exception {
    Deque<StatusSnapshot> reads = new ArrayDeque<>(List.of(snapshot(1, 0), snapshot(2, 1)));
    StatusWatch w = watch(true, true, reads);

    w.run(reads::isEmpty);

    String text = bytes.toString(StandardCharsets.UTF_8);
    assertThat(text.split(java.util.regex.Pattern.quote(StatusWatch.HOME), -1)).hasSize(3);
  }
}
