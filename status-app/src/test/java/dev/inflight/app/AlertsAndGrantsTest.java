package dev.inflight.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.inflight.client.LeaseInfo;
import dev.inflight.client.ProviderStatus;
import dev.inflight.client.StatusSnapshot;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Notifications (one per episode), grants and wait percentiles, the theme choice, the settings. */
class AlertsAndGrantsTest {
  private static final Instant T0 = Instant.parse("2026-12-01T12:00:00Z");

  private final List<String> said = new ArrayList<>();
  private final Alerts alerts = new Alerts((title, text) -> said.add(title));

  private static ProviderStatus status(
      String p, int queued, Duration longestWait, Optional<Instant> pausedUntil) {
    return new ProviderStatus(
        p,
        OptionalInt.of(2),
        Duration.ZERO,
        false,
        2,
        0,
        queued,
        longestWait,
        true,
        OptionalInt.empty(),
        pausedUntil,
        pausedUntil.isPresent() ? "429 from the provider" : "",
        OptionalInt.empty());
  }

  private static StatusSnapshot snap(Instant at, ProviderStatus... ps) {
    return new StatusSnapshot(at, List.of(ps), List.<LeaseInfo>of(), List.of());
  }

  @Test
  void a429Pause_isAnnouncedOnce_andAgainOnlyAfterItEnded() {
    alerts.setEnabled(true);
    StatusSnapshot paused =
        snap(T0, status("openai", 0, Duration.ZERO, Optional.of(T0.plusSeconds(60))));
    alerts.check(paused, T0);
    alerts.check(paused, T0.plusSeconds(1));
    alerts.check(paused, T0.plusSeconds(30));
    assertThat(said).containsExactly("openai paused by a 429");

    // the pause runs out: the episode ends, and the next 429 is a new one
    alerts.check(paused, T0.plusSeconds(61));
    alerts.check(
        snap(T0.plusSeconds(62), status("openai", 0, Duration.ZERO, Optional.empty())),
        T0.plusSeconds(62));
    alerts.check(
        snap(
            T0.plusSeconds(70),
            status("openai", 0, Duration.ZERO, Optional.of(T0.plusSeconds(90)))),
        T0.plusSeconds(70));
    assertThat(said).containsExactly("openai paused by a 429", "openai paused by a 429");
  }

  @Test
  void aLongWait_isAnnouncedWhenItCrossesTheThreshold_countingTheTimeSinceTheRead() {
    alerts.setEnabled(true);
    alerts.setThreshold(Duration.ofSeconds(30));
    StatusSnapshot waiting =
        snap(T0, status("anthropic", 2, Duration.ofSeconds(25), Optional.empty()));
    alerts.check(waiting, T0);
    alerts.check(waiting, T0.plusSeconds(4));
    assertThat(said).isEmpty();
    alerts.check(waiting, T0.plusSeconds(5)); // 25 s at the read + 5 s since
    alerts.check(waiting, T0.plusSeconds(9));
    assertThat(said).containsExactly("A request for anthropic has waited 30s");

    // nobody waits: re-armed; a new long wait speaks again
    alerts.check(
        snap(T0.plusSeconds(10), status("anthropic", 0, Duration.ZERO, Optional.empty())),
        T0.plusSeconds(10));
    alerts.check(
        snap(T0.plusSeconds(50), status("anthropic", 1, Duration.ofSeconds(31), Optional.empty())),
        T0.plusSeconds(50));
    assertThat(said).hasSize(2);
  }

  @Test
  void whileOff_nothingIsShown_andAnEpisodeUnderWayWhenTurnedOnStaysQuiet() {
    StatusSnapshot paused =
        snap(T0, status("openai", 0, Duration.ZERO, Optional.of(T0.plusSeconds(60))));
    alerts.check(paused, T0);
    alerts.setEnabled(true);
    alerts.check(paused, T0.plusSeconds(1));
    assertThat(said).isEmpty();
    alerts.check(
        snap(
            T0.plusSeconds(2),
            status("openai", 0, Duration.ZERO, Optional.of(T0.plusSeconds(60))),
            status("groq", 0, Duration.ZERO, Optional.of(T0.plusSeconds(60)))),
        T0.plusSeconds(2));
    assertThat(said).containsExactly("groq paused by a 429");
  }

  private static LeaseInfo lease(long id, String provider, Instant queued, Instant acquired) {
    return new LeaseInfo(
        id, provider, 42, "host", "python", "", acquired, Duration.ZERO, "", 1, 0, queued);
  }

  @Test
  void grants_countEachLeaseOnce_withItsWait_andForgetThemAfterAMinute() {
    Grants g = new Grants();
    List<LeaseInfo> first = new ArrayList<>();
    for (int i = 1; i <= 10; i++) {
      // waits of 100, 200, … 1000 ms
      first.add(lease(i, "openai", T0.minusMillis(i * 100L), T0));
    }
    g.see(first);
    g.see(first); // the same leases read again are not new grants
    g.see(List.of(lease(11, "anthropic", T0, T0)));
    Grants.Stats s = g.of("openai", T0.plusSeconds(1));
    assertThat(s).isEqualTo(new Grants.Stats(10, 500, 900));
    assertThat(s.text()).isEqualTo("10 grants/min · wait p50 500ms, p90 900ms");
    assertThat(g.of("anthropic", T0.plusSeconds(1)).text())
        .isEqualTo("1 grant/min · wait p50 0ms, p90 0ms");
    assertThat(g.of("openai", T0.plusSeconds(60)).text()).isEqualTo("no grants in the last minute");
    assertThat(g.of("groq", T0)).isEqualTo(Grants.Stats.NONE);
  }

  @Test
  void percentiles_areNearestRank() {
    assertThat(Grants.percentile(new long[] {7}, 50)).isEqualTo(7);
    assertThat(Grants.percentile(new long[] {1, 2, 3, 4}, 50)).isEqualTo(2);
    assertThat(Grants.percentile(new long[] {1, 2, 3, 4}, 90)).isEqualTo(4);
    assertThat(Grants.percentile(new long[] {}, 90)).isZero();
  }

  @Test
  void themeToggle_namesTheThemeItSwitchesTo_andAChoiceMatchingTheDesktopFollowsItAgain() {
    List<Optional<Theme>> remembered = new ArrayList<>();
    ThemeChoice t = new ThemeChoice(Theme.DARK, Optional.empty(), remembered::add);
    assertThat(t.shown()).isEqualTo(Theme.DARK);
    assertThat(t.toggleLabel()).isEqualTo("Light");
    t.toggle();
    assertThat(t.shown()).isEqualTo(Theme.LIGHT);
    assertThat(t.toggleLabel()).isEqualTo("Dark");
    assertThat(remembered).containsExactly(Optional.of(Theme.LIGHT));
    t.desktopIs(Theme.DARK); // a choice stands while the desktop says otherwise
    assertThat(t.shown()).isEqualTo(Theme.LIGHT);
    t.toggle();
    assertThat(t.followsDesktop()).isTrue();
    t.desktopIs(Theme.LIGHT); // following again: the desktop's change is shown
    assertThat(t.shown()).isEqualTo(Theme.LIGHT);
    assertThat(remembered).containsExactly(Optional.of(Theme.LIGHT), Optional.empty());
  }

  @TempDir Path dir;

  @Test
  void settings_areRemembered_andABadValueIsRefusedForItsDefault() throws Exception {
    Path f = dir.resolve(AppPrefs.FILE);
    assertThat(AppPrefs.load(f)).isEqualTo(AppPrefs.DEFAULTS);
    assertThat(AppPrefs.DEFAULTS.notifications()).isFalse();
    AppPrefs mine = AppPrefs.DEFAULTS.withTheme(Optional.of(Theme.DARK)).withNotify(true);
    mine.save(f);
    assertThat(AppPrefs.load(f)).isEqualTo(mine);

    Files.writeString(f, "theme=purple\nnotify=yes\nnotify.wait.seconds=2.5\n");
    assertThat(AppPrefs.load(f)).isEqualTo(AppPrefs.DEFAULTS);
    Files.writeString(f, "notify.wait.seconds=90\n");
    assertThat(AppPrefs.load(f).waitThreshold()).isEqualTo(Duration.ofSeconds(90));
  }
}
