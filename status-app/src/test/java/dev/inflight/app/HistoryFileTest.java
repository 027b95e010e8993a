package dev.inflight.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.inflight.client.LimitSpec;
import dev.inflight.client.Limiter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.InstantSource;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.testfx.util.WaitForAsyncUtils;

/** The charts' history kept across restarts, in the app's own file. */
class HistoryFileTest {
  private static final String DB = "/home/me/.config/inflight/limiter.db";
  private static final long T0 = 1_800_000_000_000L;

  @TempDir Path dir;

  private Path file() {
    return dir.resolve(HistoryFile.FILE);
  }

  private static Histories busyFor(int seconds) {
    Histories h = new Histories();
    for (int i = 0; i < seconds; i++) {
      h.of("openai").record(T0 + i * 1000L, 2, i % 3, 4);
      h.of("anthropic").record(T0 + i * 1000L, 0, 0, 2);
    }
    return h;
  }

  @Test
  void restart_drawsThePointsSavedBefore_andLeavesTheTimeBetweenAsAGap() throws Exception {
    Histories before = busyFor(30);
    HistoryFile.save(file(), DB, before.samples());

    Histories after = new Histories();
    long restartedAt = T0 + 120_000;
    after.of("openai").record(restartedAt, 1, 0, 4);
    after.restore(HistoryFile.load(file(), DB).orElseThrow(), restartedAt);

    List<History.Sample> openai = after.of("openai").samples();
    assertThat(openai).hasSize(31);
    assertThat(openai.subList(0, 30)).isEqualTo(before.of("openai").samples());
    // nothing made up for the 90 s the app was not running
    assertThat(openai.get(29).atMs()).isEqualTo(T0 + 29_000);
    assertThat(openai.get(30)).isEqualTo(new History.Sample(restartedAt, 1, 0, 4));
    assertThat(after.of("anthropic").samples()).hasSize(30);
    // the common span covers the old points too
    assertThat(after.spanMs(restartedAt)).isEqualTo(120_000);
  }

  @Test
  void theChart_showsAGapWhereTheAppWasNotRecording_notWhereATickWasLate() {
    History.Sample a = new History.Sample(T0, 1, 0, 2);
    assertThat(ChartCanvas.gap(a, new History.Sample(T0 + 2_000, 1, 0, 2), 1000)).isFalse();
    assertThat(ChartCanvas.gap(a, new History.Sample(T0 + 90_000, 1, 0, 2), 1000)).isTrue();
    assertThat(ChartCanvas.gap(a, new History.Sample(T0 + 12_000, 1, 0, 2), 12_000)).isFalse();
  }

  @Test
  void anIdleHour_isSavedAsOneLinePerProvider() throws Exception {
    Histories h = new Histories();
    for (int i = 0; i < 3600; i++) {
      h.of("openai").record(T0 + i * 1000L, 0, 0, 4);
    }
    HistoryFile.save(file(), DB, h.samples());
    assertThat(Files.readAllLines(file())).filteredOn(l -> l.startsWith("r ")).hasSize(1);
    assertThat(HistoryFile.load(file(), DB).orElseThrow().get("openai")).hasSize(3600);
  }

  @Test
  void pointsOlderThanTheSpan_areDroppedOnRestart() throws Exception {
    HistoryFile.save(file(), DB, busyFor(30).samples());
    Histories after = new Histories();
    long now = T0 + History.WINDOW_MS + 10_000;
    after.restore(HistoryFile.load(file(), DB).orElseThrow(), now);
    assertThat(after.of("openai").samples())
        .extracting(History.Sample::atMs)
        .allMatch(t -> t > now - History.WINDOW_MS)
        .hasSize(19);
  }

  @Test
  void aCorruptTruncatedOrForeignFile_isIgnored_andHistoryStartsEmpty() throws Exception {
    HistoryFile.save(file(), DB, busyFor(5).samples());
    String whole = Files.readString(file());

    Files.writeString(file(), whole.substring(0, whole.length() - 10));
    assertThat(HistoryFile.load(file(), DB)).isEmpty();

    Files.writeString(file(), whole.replace("r " + T0, "r banana"));
    assertThat(HistoryFile.load(file(), DB)).isEmpty();

    Files.write(file(), new byte[] {(byte) 0xff, 0, 1, 2, '\n'});
    assertThat(HistoryFile.load(file(), DB)).isEmpty();

    Files.writeString(file(), whole);
    assertThat(HistoryFile.load(file(), "/elsewhere/limiter.db")).isEmpty();
    assertThat(HistoryFile.load(file(), DB)).isPresent();
    assertThat(HistoryFile.load(dir.resolve("missing.txt"), DB)).isEmpty();
  }

  @Test
  void theFileIsPrivate_andEachDatabaseHasItsOwn() throws Exception {
    Path nested = dir.resolve("new-root").resolve(HistoryFile.FILE);
    HistoryFile.save(nested, DB, busyFor(2).samples());
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(nested)))
        .isEqualTo("rw-------");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(nested.getParent())))
        .isEqualTo("rwx------");

    Path local = dir.resolve("root");
    assertThat(HistoryFile.pathFor(local, local.resolve("limiter.db").toString()))
        .isEqualTo(local.resolve(HistoryFile.FILE));
    Path team = HistoryFile.pathFor(local, "postgresql://me:***@db.example.com/team");
    Path other = HistoryFile.pathFor(local, "postgresql://me:***@db.example.com/other");
    assertThat(team.getParent()).isEqualTo(local);
    assertThat(team).isNotEqualTo(other);
    assertThat(team.getFileName().toString()).matches("app-history-[0-9a-f]{12}\\.txt");
  }

  @Test
  void theViewModel_savesOnClose_andTheNextStartShowsWhatTheLastOneSaw() throws Exception {
    Path home = dir.resolve("home");
    try (Limiter other = Limiter.builder().home(home).build()) {
      other.limits().set(LimitSpec.of("openai", 3));
    }
    StatusViewModel first = viewModel(home);
    first.start();
    WaitForAsyncUtils.waitFor(20, TimeUnit.SECONDS, () -> !first.providers().isEmpty());
    List<History.Sample> seen = first.histories().of("openai").samples();
    first.close();
    assertThat(Files.readString(home.resolve(HistoryFile.FILE), StandardCharsets.UTF_8))
        .contains("p openai");

    StatusViewModel second = viewModel(home);
    second.start();
    try {
      WaitForAsyncUtils.waitFor(20, TimeUnit.SECONDS, () -> !second.providers().isEmpty());
      assertThat(second.histories().of("openai").samples()).startsWith(seen.get(0));
    } finally {
      second.close();
    }
  }

  private static StatusViewModel viewModel(Path home) {
    return new StatusViewModel(
            () -> Limiter.builder().home(home).build(),
            Executors.newSingleThreadScheduledExecutor(),
            Runnable::run,
            InstantSource.system())
        .keepHistoryIn(db -> HistoryFile.pathFor(home, db));
  }
}
