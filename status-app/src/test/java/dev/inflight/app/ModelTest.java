package dev.inflight.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.inflight.client.LeaseInfo;
import dev.inflight.client.LimitSpec;
import dev.inflight.client.ProviderStatus;
import dev.inflight.client.StatusSnapshot;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.atomic.AtomicReference;
import javafx.geometry.Rectangle2D;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The view-model's parts that need no database and no toolkit: edits, the form, rows, charts. */
class ModelTest {
  private final List<String> saved = new ArrayList<>();
  private final AtomicReference<String> stored = new AtomicReference<>("2");

  private FieldEdit limitEdit() {
    return new FieldEdit(
        "limit",
        stored::get,
        t -> {
          try {
            Inputs.limit(t);
          } catch (IllegalArgumentException e) {
            return Optional.of(e.getMessage());
          }
          saved.add(t.strip());
          return Optional.empty();
        });
  }

  @Test
  void edit_enterWithBadText_keepsItMarkedWithTheMessage_andSavesNothing() {
    FieldEdit e = limitEdit();
    e.focus();
    e.textProperty().set("2.5");

    assertThat(e.commit()).isFalse();

    assertThat(e.textProperty().get()).isEqualTo("2.5");
    assertThat(e.invalidProperty().get()).isTrue();
    assertThat(e.errorProperty().get())
        .isEqualTo("limit must be an integer from 1 to 10000 (was \"2.5\")");
    assertThat(saved).isEmpty();
  }

  @Test
  void edit_leavingWithBadText_putsTheStoredValueBack_andSaysItWasNotSaved() {
    FieldEdit e = limitEdit();
    e.focus();
    e.textProperty().set("0");
    e.commit();

    e.leave();

    assertThat(e.textProperty().get()).isEqualTo("2");
    assertThat(e.invalidProperty().get()).isFalse();
    assertThat(e.errorProperty().get())
        .isEqualTo("limit not saved, kept 2: limit must be an integer from 1 to 10000 (was 0)");
    assertThat(saved).isEmpty();
  }

  @Test
  void edit_notSavedNote_canBeDismissed_butARefusalShownStays() {
    FieldEdit e = limitEdit();
    e.focus();
    e.textProperty().set("0");
    e.leave();
    assertThat(e.errorProperty().get()).startsWith("limit not saved");

    e.dismiss();
    assertThat(e.errorProperty().get()).isEmpty();

    e.textProperty().set("x");
    e.commit();
    e.dismiss();
    assertThat(e.errorProperty().get()).startsWith("limit must be");
  }

  @Test
  void edit_leavingWithGoodText_savesItOnce_andClearsAnOldError() {
    FieldEdit e = limitEdit();
    e.focus();
    e.textProperty().set("x");
    e.commit();
    e.textProperty().set("5");

    e.leave();

    assertThat(saved).containsExactly("5");
    assertThat(e.errorProperty().get()).isEmpty();
    assertThat(e.invalidProperty().get()).isFalse();
    assertThat(e.textProperty().get()).isEqualTo("5");
  }

  @Test
  void edit_enterThenLeaving_savesOnce_andTheReadBackValueIsShown() {
    FieldEdit e = limitEdit();
    e.focus();
    e.textProperty().set("7");
    assertThat(e.commit()).isTrue();
    e.leave();
    assertThat(saved).containsExactly("7");

    stored.set("7");
    e.storedChanged();
    assertThat(e.textProperty().get()).isEqualTo("7");
  }

  @Test
  void edit_escape_putsTheStoredValueBackAndClearsTheMessage() {
    FieldEdit e = limitEdit();
    e.focus();
    e.textProperty().set("abc");
    e.commit();

    e.cancel();

    assertThat(e.textProperty().get()).isEqualTo("2");
    assertThat(e.errorProperty().get()).isEmpty();
    assertThat(saved).isEmpty();
  }

  @Test
  void edit_databaseChangeWhileTyping_doesNotReplaceTheText_butDoesOnceLeft() {
    FieldEdit e = limitEdit();
    e.focus();
    e.textProperty().set("3");
    stored.set("9");
    e.storedChanged();
    assertThat(e.textProperty().get()).isEqualTo("3");

    e.cancel();
    e.leave();
    e.storedChanged();
    assertThat(e.textProperty().get()).isEqualTo("9");
    assertThat(saved).isEmpty();
  }

  @Test
  void addForm_badField_isNamedAndMarked_andNothingIsWritten() {
    List<LimitSpec> written = new ArrayList<>();
    AddForm f = new AddForm(written::add);
    f.providerProperty().set("groq");
    f.limitProperty().set("lots");

    assertThat(f.submit()).isFalse();
    assertThat(f.badFieldProperty().get()).isEqualTo(AddForm.Field.LIMIT);
    assertThat(f.errorProperty().get())
        .isEqualTo("limit must be an integer from 1 to 10000 (was \"lots\")");

    f.limitProperty().set("3");
    f.cooldownProperty().set("soon");
    assertThat(f.submit()).isFalse();
    assertThat(f.badFieldProperty().get()).isEqualTo(AddForm.Field.COOLDOWN);

    f.providerProperty().set(" ");
    assertThat(f.submit()).isFalse();
    assertThat(f.badFieldProperty().get()).isEqualTo(AddForm.Field.PROVIDER);
    assertThat(f.errorProperty().get()).startsWith("provider must be 1 to 200 characters");
    assertThat(written).isEmpty();
  }

  @Test
  void addForm_goodFields_writeTheLimitWithAdaptive_andEmptyTheForm() {
    List<LimitSpec> written = new ArrayList<>();
    AddForm f = new AddForm(written::add);
    f.providerProperty().set(" groq ");
    f.limitProperty().set("4");
    f.cooldownProperty().set("1.5s");
    f.adaptiveProperty().set(true);
    f.submit();
    f.limitProperty().set("bad");
    f.submit();

    f.providerProperty().set("groq");
    f.limitProperty().set("4");
    f.cooldownProperty().set("");
    assertThat(f.submit()).isTrue();

    assertThat(written)
        .containsExactly(
            LimitSpec.of("groq", 4).withCooldown(Duration.ofMillis(1500)).withAdaptive(true),
            LimitSpec.of("groq", 4));
    assertThat(f.errorProperty().get()).isEmpty();
    assertThat(f.badFieldProperty().get()).isNull();
    assertThat(f.providerProperty().get()).isEmpty();
    assertThat(f.adaptiveProperty().get()).isFalse();
  }

  private static final Instant T0 = Instant.parse("2026-12-01T12:00:00Z");

  private static ProviderStatus limited(String p, int active) {
    return new ProviderStatus(
        p, OptionalInt.of(2), Duration.ZERO, false, active, 0, 0, Duration.ZERO);
  }

  private static ProviderStatus unlimited(String p, int active) {
    return new ProviderStatus(
        p, OptionalInt.empty(), Duration.ZERO, false, active, 0, 0, Duration.ZERO);
  }

  private static StatusSnapshot snap(Instant at, ProviderStatus... ps) {
    return new StatusSnapshot(at, List.of(ps), List.<LeaseInfo>of(), List.of());
  }

  @Test
  void rows_ofAnUnlimitedProvider_stayWhileItsChartShowsActivity_thenGo() {
    Histories h = new Histories();
    Rows rows =
        new Rows(h::of, (p, t) -> Optional.empty(), (p, t) -> Optional.empty(), ZoneOffset.UTC);
    StatusSnapshot busy = snap(T0, limited("openai", 1), unlimited("bedrock", 1));
    h.record(busy, T0.toEpochMilli());
    rows.apply(busy, T0);
    ProviderRow bedrock = rows.providers().get(0);

    Instant later = T0.plusSeconds(5);
    StatusSnapshot idle = snap(later, limited("openai", 0));
    h.record(idle, later.toEpochMilli());
    rows.apply(idle, later);

    assertThat(rows.providers())
        .extracting(ProviderRow::provider)
        .containsExactly("bedrock", "openai");
    assertThat(rows.providers().get(0)).isSameAs(bedrock);
    assertThat(bedrock.status().active()).isZero();

    Instant gone = T0.plus(Duration.ofMinutes(11));
    StatusSnapshot quiet = snap(gone, limited("openai", 0));
    h.record(quiet, gone.toEpochMilli());
    rows.apply(quiet, gone);
    assertThat(rows.providers()).extracting(ProviderRow::provider).containsExactly("openai");
  }

  @Test
  void rows_keepTheirPlaceAndIdentity_whileNumbersChange() {
    Histories h = new Histories();
    Rows rows =
        new Rows(h::of, (p, t) -> Optional.empty(), (p, t) -> Optional.empty(), ZoneOffset.UTC);
    rows.apply(snap(T0, limited("b", 0), limited("a", 2), limited("c", 1)), T0);
    List<ProviderRow> before = List.copyOf(rows.providers());

    rows.apply(snap(T0.plusSeconds(1), limited("c", 2), limited("a", 0), limited("b", 2)), T0);

    assertThat(rows.providers()).containsExactlyElementsOf(before);
    assertThat(rows.providers()).extracting(ProviderRow::provider).containsExactly("a", "b", "c");
  }

  @Test
  void history_keepsTheLowestLimitOfEachSecond_soA429StepDownShows() {
    History h = new History();
    h.record(10_000, 1, 0, 4);
    h.record(10_500, 1, 0, 3);
    h.record(11_000, 1, 0, 3);
    h.record(12_000, 1, 0, 4);
    assertThat(h.samples()).extracting(History.Sample::limit).containsExactly(3, 3, 4);
  }

  @Test
  void charts_shareOneScale_roundedToAReadableTop_andOneTrueSpan() {
    Histories h = new Histories();
    long t = T0.toEpochMilli();
    h.record(snap(T0, limited("a", 1), limited("b", 2)), t);
    h.of("b").record(t + 1000, 7, 0, 2);
    assertThat(h.scaleTop(t + 1000)).isEqualTo(7);
    assertThat(h.spanMs(t + 1000)).isEqualTo(60_000);
    assertThat(h.spanMs(t + 150_000)).isEqualTo(180_000);
    assertThat(h.spanMs(t + 3_600_000)).isEqualTo(History.WINDOW_MS);
    assertThat(Histories.niceCeiling(3)).isEqualTo(3);
    assertThat(Histories.niceCeiling(11)).isEqualTo(12);
    assertThat(Histories.niceCeiling(21)).isEqualTo(25);
    assertThat(Histories.niceCeiling(81)).isEqualTo(100);
    assertThat(Histories.niceCeiling(10_000)).isEqualTo(10_000);
  }

  @Test
  void windowPlace_isRememberedAndFittedToTheScreensThereAreNow(@TempDir Path dir)
      throws Exception {
    Path file = dir.resolve(WindowPlace.FILE);
    {
      assertThat(WindowPlace.load(file)).isEmpty();
      new WindowPlace(2000, 100, 900, 700).save(file);
      WindowPlace back = WindowPlace.load(file).orElseThrow();
      assertThat(back).isEqualTo(new WindowPlace(2000, 100, 900, 700));

      Rectangle2D one = new Rectangle2D(0, 0, 1280, 720);
      assertThat(back.fit(List.of(one))).isEqualTo(new WindowPlace(380, 20, 900, 700));
      assertThat(new WindowPlace(10, 10, 500, 300).fit(List.of(one)))
          .isEqualTo(new WindowPlace(10, 10, 800, 600));
      Rectangle2D two = new Rectangle2D(1280, 0, 1920, 1080);
      assertThat(back.fit(List.of(one, two))).isEqualTo(back);
    }
    Files.writeString(file, "x=left\n");
    assertThat(WindowPlace.load(file)).isEmpty();
  }

  @Test
  void filter_matchesAnyWordIgnoringCase_andBlankMatchesAll() {
    assertThat(Filter.of("").test(new String[] {"x"})).isTrue();
    assertThat(Filter.of(" OpenA ").test(new String[] {"openai", "planner"})).isTrue();
    assertThat(Filter.of("plan").test(new String[] {"openai", "planner"})).isTrue();
    assertThat(Filter.of("groq").test(new String[] {"openai", "planner"})).isFalse();
  }

  @Test
  void inputs_speakOfTheLimitAsTheScreenDoes_andCooldownsAboveAnHourAreRefusedAsTyped() {
    assertThat(Inputs.limit(" 12 ")).isEqualTo(12);
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> Inputs.limit(""))
        .hasMessage("limit must be an integer from 1 to 10000 (was \"\")");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> Inputs.cooldown("61m"))
        .hasMessage("cooldown must be whole milliseconds from 0 to 1h (was \"61m\")");
    assertThat(Inputs.cooldown("1h")).isEqualTo(Duration.ofHours(1));
  }

  @Test
  void theme_followsGnomesColorScheme() {
    assertThat(Theme.ofColorScheme("'prefer-dark'\n")).isEqualTo(Theme.DARK);
    assertThat(Theme.ofColorScheme("'default'\n")).isEqualTo(Theme.LIGHT);
    assertThat(Theme.ofColorScheme("No such schema")).isEqualTo(Theme.LIGHT);
  }
}
