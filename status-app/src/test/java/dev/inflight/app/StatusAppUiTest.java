package dev.inflight.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.inflight.client.LimitSpec;
import dev.inflight.client.Limiter;
import dev.inflight.testing.Child;
import dev.inflight.testing.Jvm;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import javafx.scene.control.Button;
import javafx.scene.control.Label;
import javafx.scene.control.TableView;
import javafx.scene.control.TextField;
import javafx.scene.input.KeyCode;
import javafx.stage.Stage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.testfx.api.FxToolkit;
import org.testfx.framework.junit5.ApplicationTest;
import org.testfx.util.WaitForAsyncUtils;

/** The real window over a real database, headless (Monocle), driven like a user would. */
class StatusAppUiTest extends ApplicationTest {
  private Path home;
  private Limiter other;
  private StatusViewModel vm;
  private StatusView view;
  private Child holder;

  @Override
  public void start(Stage stage) throws Exception {
    home = Files.createTempDirectory("inflight-ui");
    other = Limiter.builder().home(home).build();
    other.limits().set(LimitSpec.of("openai", 2));
    vm = StatusApp.viewModel(home);
    view = new StatusView(vm);
    stage.setScene(StatusApp.scene(view, 1280, 720));
    stage.show();
    vm.start();
  }

  @AfterEach
  void tearDown() throws Exception {
    if (holder != null) {
      holder.process().destroyForcibly().waitFor(20, TimeUnit.SECONDS);
    }
    FxToolkit.hideStage();
    interact(view::stop);
    vm.close();
    other.close();
  }

  private static void await(BooleanSupplier condition) throws Exception {
    WaitForAsyncUtils.waitFor(20, TimeUnit.SECONDS, condition::getAsBoolean);
    WaitForAsyncUtils.waitForFxEvents();
  }

  private <T extends javafx.scene.Node> T node(String id, Class<T> type) {
    return lookup(id).queryAs(type);
  }

  private boolean shown(String id) {
    return lookup(id).tryQuery().isPresent();
  }

  /**
   * Whether node {@code id} is there and {@code test} holds of it: a node not there yet is "not
   * yet".
   */
  private <T extends javafx.scene.Node> boolean showing(
      String id, Class<T> type, java.util.function.Predicate<T> test) {
    return lookup(id)
        .tryQuery()
        .map(n -> type.isInstance(n) && test.test(type.cast(n)))
        .orElse(false);
  }

  @Test
  void editLimit_toBadValue_showsErrorAndWritesNothing() throws Exception {
    await(
        () ->
            shown("#limit-openai") && "2".equals(node("#limit-openai", TextField.class).getText()));

    clickOn("#limit-openai");
    interact(() -> node("#limit-openai", TextField.class).selectAll());
    write("2.5");
    type(KeyCode.ENTER);

    Label error = node("#error-openai", Label.class);
    assertThat(error.getText()).isEqualTo("limit must be an integer from 1 to 10000 (was \"2.5\")");
    assertThat(node("#limit-openai", TextField.class).getPseudoClassStates())
        .extracting(Object::toString)
        .contains("danger");
    assertThat(error.isVisible()).isTrue();
    vm.refresh().get(20, TimeUnit.SECONDS);
    assertThat(other.limits().get("openai")).hasValue(LimitSpec.of("openai", 2));
  }

  @Test
  void editLimit_toGoodValue_isWrittenAndClearsTheError() throws Exception {
    await(
        () ->
            shown("#limit-openai") && "2".equals(node("#limit-openai", TextField.class).getText()));

    clickOn("#limit-openai");
    interact(() -> node("#limit-openai", TextField.class).selectAll());
    write("0");
    type(KeyCode.ENTER);
    assertThat(node("#error-openai", Label.class).getText()).endsWith("(was 0)");
    interact(() -> node("#limit-openai", TextField.class).selectAll());
    write("5");
    type(KeyCode.ENTER);

    await(() -> other.limits().get("openai").orElseThrow().maxInFlight() == 5);
    assertThat(node("#error-openai", Label.class).getText()).isEmpty();
  }

  @Test
  void editLimit_leftWithTab_savesAGoodValue_andPutsABadOneBackSayingSo() throws Exception {
    await(
        () ->
            shown("#limit-openai") && "2".equals(node("#limit-openai", TextField.class).getText()));

    clickOn("#limit-openai");
    interact(() -> node("#limit-openai", TextField.class).selectAll());
    write("6");
    type(KeyCode.TAB);
    await(() -> other.limits().get("openai").orElseThrow().maxInFlight() == 6);
    assertThat(node("#error-openai", Label.class).getText()).isEmpty();

    clickOn("#limit-openai");
    interact(() -> node("#limit-openai", TextField.class).selectAll());
    write("lots");
    type(KeyCode.TAB);
    assertThat(node("#limit-openai", TextField.class).getText()).isEqualTo("6");
    assertThat(node("#error-openai", Label.class).getText())
        .isEqualTo(
            "limit not saved, kept 6: limit must be an integer from 1 to 10000 (was \"lots\")");
    vm.refresh().get(20, TimeUnit.SECONDS);
    assertThat(other.limits().get("openai").orElseThrow().maxInFlight()).isEqualTo(6);

    // Tab took the focus to the cooldown: typing there makes the note old news.
    write("1s");
    assertThat(node("#error-openai", Label.class).getText()).isEmpty();
  }

  @Test
  void releaseDialog_enterKeepsTheLease_andItsNamedButtonReleasesIt() throws Exception {
    holder = Jvm.start(HoldLease.class.getName(), home.toString(), "openai", "holder-x");
    long id = Long.parseLong(holder.awaitOut("held ").substring("held ".length()).strip());
    await(() -> shown("#release-" + id));

    clickOn("#release-" + id);
    await(() -> shown("#" + Dialogs.CONFIRM_BUTTON));
    assertThat(node("#" + Dialogs.CONFIRM_BUTTON, Button.class).getText())
        .isEqualTo("Release lease");
    assertThat(node("#" + Dialogs.CANCEL_BUTTON, Button.class).isDefaultButton()).isTrue();
    assertThat(lookup("Lease id").tryQuery()).isPresent();
    assertThat(lookup(Long.toString(id)).tryQuery()).isPresent();
    interact(
        () -> {
          try {
            Shots.save(
                node("#" + Dialogs.CANCEL_BUTTON, Button.class).getScene(), "release-dialog");
          } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
          }
        });
    type(KeyCode.ENTER);
    await(() -> !shown("#" + Dialogs.CONFIRM_BUTTON));
    vm.refresh().get(20, TimeUnit.SECONDS);
    assertThat(other.status().leases()).extracting(l -> l.id()).containsExactly(id);

    clickOn("#release-" + id);
    await(() -> shown("#" + Dialogs.CONFIRM_BUTTON));
    clickOn("#" + Dialogs.CONFIRM_BUTTON);
    await(() -> other.status().leases().isEmpty());
  }

  @Test
  void ctrlF_filtersProvidersAndLeases_andEscapeShowsAllAgain() throws Exception {
    other.limits().set(LimitSpec.of("groq", 1));
    try (var lease = other.tryAcquire("openai", "planner").orElseThrow()) {
      @SuppressWarnings("unchecked")
      TableView<LeaseRow> leases = node("#leases", TableView.class);
      await(() -> shown("#provider-groq") && leases.getItems().size() == 1);

      push(KeyCode.CONTROL, KeyCode.F);
      assertThat(node("#filter", TextField.class).isFocused()).isTrue();
      write("gro");

      await(() -> !shown("#provider-openai"));
      assertThat(shown("#provider-groq")).isTrue();
      assertThat(leases.getItems()).isEmpty();

      type(KeyCode.ESCAPE);
      await(() -> shown("#provider-openai"));
      assertThat(leases.getItems()).hasSize(1);
    }
  }

  @Test
  void leasesTable_sortsByTheClickedColumn() throws Exception {
    try (var a = other.tryAcquire("openai", "zeta").orElseThrow();
        var b = other.tryAcquire("openai", "alpha").orElseThrow()) {
      @SuppressWarnings("unchecked")
      TableView<LeaseRow> leases = node("#leases", TableView.class);
      await(() -> leases.getItems().size() == 2);
      assertThat(leases.getItems())
          .extracting(r -> r.info().label())
          .containsExactly("zeta", "alpha");

      clickOn(lookup(".column-header").lookup("label").<javafx.scene.Node>query());

      assertThat(leases.getItems())
          .extracting(r -> r.info().label())
          .containsExactly("alpha", "zeta");
    }
  }

  @Test
  void removeLimitDialog_enterKeepsTheLimit_andItsNamedButtonRemovesIt() throws Exception {
    await(() -> shown("#remove-openai"));

    clickOn("#remove-openai");
    await(() -> shown("#" + Dialogs.CONFIRM_BUTTON));
    assertThat(node("#" + Dialogs.CONFIRM_BUTTON, Button.class).getText())
        .isEqualTo("Remove limit");
    type(KeyCode.ENTER);
    await(() -> !shown("#" + Dialogs.CONFIRM_BUTTON));
    vm.refresh().get(20, TimeUnit.SECONDS);
    assertThat(other.limits().get("openai")).isPresent();

    clickOn("#remove-openai");
    await(() -> shown("#" + Dialogs.CONFIRM_BUTTON));
    clickOn("#" + Dialogs.CONFIRM_BUTTON);
    await(() -> other.limits().get("openai").isEmpty());
  }

  @Test
  void ctrlQ_quits_andCtrlW_closesTheWindow() throws Exception {
    java.util.List<String> done = new java.util.concurrent.CopyOnWriteArrayList<>();
    interact(
        () ->
            view.installShortcuts(
                node("#filter", TextField.class).getScene(),
                () -> done.add("quit"),
                () -> done.add("close")));

    push(KeyCode.CONTROL, KeyCode.W);
    push(KeyCode.CONTROL, KeyCode.Q);

    assertThat(done).containsExactly("close", "quit");
  }

  @Test
  void leaseTakenByAnotherProcess_appears() throws Exception {
    holder = Jvm.start(HoldLease.class.getName(), home.toString(), "openai", "holder-x");
    String held = holder.awaitOut("held ");

    @SuppressWarnings("unchecked")
    TableView<LeaseRow> leases = node("#leases", TableView.class);
    await(() -> leases.getItems().size() == 1);
    LeaseRow row = leases.getItems().get(0);
    assertThat(row.info().label()).isEqualTo("holder-x");
    assertThat(row.info().pid()).isEqualTo(holder.pid());
    assertThat("held " + row.info().id()).isEqualTo(held);
    assertThat(node("#active-openai", Label.class).getText()).isEqualTo("1");
    assertThat(lookup("holder-x").tryQuery()).isPresent();
    await(() -> shown("#lease-id-" + row.info().id()));
    assertThat(node("#lease-id-" + row.info().id(), javafx.scene.control.TableCell.class).getText())
        .isEqualTo(Long.toString(row.info().id()));
  }

  @Test
  void pausingAProvider_isVisibleToTheLibrary() throws Exception {
    await(() -> shown("#pause-openai"));

    clickOn("#pause-openai");

    await(() -> other.limits().get("openai").orElseThrow().paused());
    assertThat(other.tryAcquire("openai")).isEmpty();
    await(() -> showing("#paused-openai", Label.class, Label::isVisible));
    assertThat(node("#pause-openai", Button.class).getText()).isEqualTo("Resume");
  }

  @Test
  void a429Pause_isShownWithItsReasonAndCountdown_andResumeLiftsIt() throws Exception {
    await(() -> shown("#pause-openai"));

    other.report429("openai", java.time.Duration.ofMinutes(10));

    await(() -> showing("#pause-note-openai", Label.class, l -> !l.getText().isEmpty()));
    assertThat(node("#pause-note-openai", Label.class).getText())
        .startsWith("paused until ")
        .contains(" left, 429 reported)");
    assertThat(node("#paused-openai", Label.class).getText()).isEqualTo("429");
    assertThat(node("#pause-openai", Button.class).getText()).isEqualTo("Resume");

    clickOn("#pause-openai");

    await(() -> other.status().providers().get(0).pausedUntil().isEmpty());
    await(() -> showing("#pause-note-openai", Label.class, l -> l.getText().isEmpty()));
    assertThat(other.tryAcquire("openai")).isPresent();
  }
}
