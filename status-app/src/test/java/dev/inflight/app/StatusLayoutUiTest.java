package dev.inflight.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.inflight.client.Lease;
import dev.inflight.client.LimitSpec;
import dev.inflight.client.Limiter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import javafx.geometry.Bounds;
import javafx.scene.Node;
import javafx.scene.Scene;
import javafx.scene.control.Button;
import javafx.scene.control.Label;
import javafx.scene.control.ScrollPane;
import javafx.scene.control.TableCell;
import javafx.stage.Stage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.testfx.api.FxToolkit;
import org.testfx.framework.junit5.ApplicationTest;
import org.testfx.util.WaitForAsyncUtils;

/**
 * The window from 800×600 with thirty providers up to 1280×720: everything a user needs is inside
 * the window (the header's totals, the first row's buttons, the add form, both tables), the rows
 * scroll, and each size is saved as a PNG under target/screenshots to be looked at.
 */
class StatusLayoutUiTest extends ApplicationTest {
  private Path home;
  private Limiter other;
  private StatusViewModel vm;
  private StatusView view;
  private Stage stage;
  private final List<Lease> held = new ArrayList<>();

  @Override
  public void start(Stage stage) throws Exception {
    this.stage = stage;
    home = Files.createTempDirectory("inflight-layout");
    other = Limiter.builder().home(home).build();
    for (int i = 1; i <= 30; i++) {
      other.limits().set(LimitSpec.of(String.format("provider-%02d", i), 1 + i % 4));
    }
    other.limits().set(LimitSpec.of("provider-03", 4).withAdaptive(true));
    // with tokens reserved: the leases' size column is shown, the narrowest case at 800 px
    held.add(
        other
            .tryAcquire(
                new dev.inflight.client.LeaseRequest(
                    "provider-01", "", "planner", 1, 1500, dev.inflight.client.Priority.NORMAL))
            .orElseThrow());
    held.add(other.tryAcquire("provider-03", "coder").orElseThrow());
    other.report429("provider-03", java.time.Duration.ofMinutes(10));
    // provider-02 full (a limit of 3), and a request with a long label waiting for it
    for (int i = 0; i < 3; i++) {
      held.add(other.tryAcquire("provider-02", "reviewer-with-a-long-label-" + i).orElseThrow());
    }
    other.acquireAsync("provider-02", "subagent-with-a-long-label");
    // and more behind it than the table has rows for: its scroll bar takes room from the columns
    for (int i = 0; i < 5; i++) {
      other.acquireAsync("provider-02", "batch-" + i);
    }
    vm = StatusApp.viewModel(home);
    view = new StatusView(vm);
    stage.setScene(StatusApp.scene(view, 800, 600));
    stage.show();
    vm.start();
  }

  @AfterEach
  void tearDown() throws Exception {
    FxToolkit.hideStage();
    interact(view::stop);
    vm.close();
    held.forEach(Lease::close);
    other.close();
  }

  private static void await(BooleanSupplier condition) throws Exception {
    WaitForAsyncUtils.waitFor(20, TimeUnit.SECONDS, condition::getAsBoolean);
    WaitForAsyncUtils.waitForFxEvents();
  }

  private boolean shown(String id) {
    return lookup(id).tryQuery().isPresent();
  }

  private void resize(double w, double h) {
    interact(
        () -> {
          // At the screen's corner: Monocle's headless screen (1280x800) cannot paint past its
          // edge.
          stage.setX(0);
          stage.setY(0);
          stage.setWidth(w);
          stage.setHeight(h);
          stage.getScene().getRoot().applyCss();
          stage.getScene().getRoot().layout();
        });
    WaitForAsyncUtils.waitForFxEvents();
  }

  /** The node is showing and wholly inside the scene (not cut off by the window's edges). */
  private void assertInside(String id) {
    Node n = lookup(id).query();
    Scene scene = n.getScene();
    Bounds b = n.localToScene(n.getBoundsInLocal());
    assertThat(n.isVisible()).as(id + " visible").isTrue();
    assertThat(b.getMinX()).as(id + " left edge").isGreaterThanOrEqualTo(0);
    assertThat(b.getMinY()).as(id + " top edge").isGreaterThanOrEqualTo(0);
    assertThat(b.getMaxX()).as(id + " right edge").isLessThanOrEqualTo(scene.getWidth());
    assertThat(b.getMaxY()).as(id + " bottom edge").isLessThanOrEqualTo(scene.getHeight());
    assertThat(b.getWidth()).as(id + " width").isGreaterThan(0);
  }

  private void screenshot(String name) throws Exception {
    Exception[] failed = {null};
    interact(
        () -> {
          try {
            Shots.save(stage.getScene(), name);
          } catch (Exception e) {
            failed[0] = e;
          }
        });
    if (failed[0] != null) {
      throw failed[0];
    }
  }

  @Test
  void thirtyProviders_at800x600_keepEverythingInReach_andTheRowsScroll() throws Exception {
    await(
        () ->
            vm.providers().size() == 30
                && shown("#pause-provider-30")
                && shown("#lease-id-" + held.get(0).id()));
    resize(800, 600);

    for (String id :
        List.of(
            "#summary",
            "#filter",
            "#pause-provider-01",
            "#remove-provider-01",
            "#in-force-provider-03",
            "#add-provider",
            "#add-button",
            "#leases",
            "#waiters",
            "#lease-id-" + held.get(0).id(),
            "#release-" + held.get(0).id())) {
      assertInside(id);
    }
    assertThat(lookup("#lease-id-" + held.get(0).id()).queryAs(TableCell.class).getText())
        .isEqualTo(Long.toString(held.get(0).id()));
    assertThat(lookup("#release-" + held.get(0).id()).queryAs(Button.class).getWidth())
        .isGreaterThanOrEqualTo(
            lookup("#release-" + held.get(0).id()).queryAs(Button.class).prefWidth(-1));
    assertThat(lookup("#in-force-provider-03").queryAs(Label.class).getText()).isEqualTo("3 of 4");
    Label inForce = lookup("#in-force-provider-03").queryAs(Label.class);
    assertThat(inForce.getWidth())
        .as("in force \"" + inForce.getText() + "\" whole")
        .isGreaterThanOrEqualTo(inForce.prefWidth(-1));
    ScrollPane scroll = lookup("#providers-scroll").queryAs(ScrollPane.class);
    assertThat(scroll.getContent().getBoundsInLocal().getHeight())
        .isGreaterThan(scroll.getViewportBounds().getHeight());
    screenshot("status-800x600-30-providers");

    interact(() -> scroll.setVvalue(1));
    WaitForAsyncUtils.waitForFxEvents();
    assertInside("#pause-provider-30");
  }

  @Test
  void tables_at800x600_showEveryHeaderWhole_andLongTextEndsInAnEllipsisWithATooltip()
      throws Exception {
    await(
        () ->
            vm.providers().size() == 30
                && vm.waiters().size() == 6
                && shown("#pause-provider-30")
                && shown("#lease-id-" + held.get(0).id()));
    resize(800, 600);
    org.assertj.core.api.SoftAssertions headers = new org.assertj.core.api.SoftAssertions();
    for (String table : List.of("#leases", "#waiters")) {
      for (Node n : lookup(table + " .column-header .label").queryAll()) {
        Label header = (Label) n;
        if (!header.isVisible() || header.getText().isEmpty()) {
          continue;
        }
        headers
            .assertThat(header.getWidth())
            .as(table + " header \"" + header.getText() + "\" whole")
            .isGreaterThanOrEqualTo(header.prefWidth(-1) - 0.5);
      }
    }
    headers.assertAll();
    TableCell<?, ?> label =
        lookup("#waiters .table-cell").queryAllAs(TableCell.class).stream()
            .filter(c -> "subagent-with-a-long-label".equals(c.getText()))
            .findFirst()
            .orElseThrow();
    assertThat(label.getWidth()).isGreaterThanOrEqualTo(50);
    assertThat(label.getTooltip().getText()).isEqualTo("subagent-with-a-long-label");
    assertInside("#notifications");
    assertInside("#theme");
    assertThat(lookup("#grants-provider-02").queryAs(Label.class).getText())
        .isEqualTo("3 grants/min · wait p50 0ms, p90 0ms");
    screenshot("status-800x600-tables");
  }

  @Test
  void rows_keepTheirHeightAndButtons_whenA429PausesOne() throws Exception {
    await(() -> vm.providers().size() == 30 && shown("#pause-provider-30"));
    resize(1280, 720);
    Node paused = lookup("#provider-provider-03").query();
    Node calm = lookup("#provider-provider-02").query();
    Node remove = lookup("#remove-provider-03").query();
    Node otherRemove = lookup("#remove-provider-02").query();

    assertThat(lookup("#pause-provider-03").queryButton().getText()).isEqualTo("Resume");
    assertThat(paused.getBoundsInLocal().getHeight())
        .isEqualTo(calm.getBoundsInLocal().getHeight());
    assertThat(remove.localToScene(remove.getBoundsInLocal()).getMinX())
        .isEqualTo(otherRemove.localToScene(otherRemove.getBoundsInLocal()).getMinX());
    assertInside("#pause-provider-01");
    assertInside("#chart-span");
    screenshot("status-1280x720-30-providers");
  }

  @Test
  void darkToggle_switchesTheWholeWindowAndTheCharts_andBack() throws Exception {
    await(() -> vm.providers().size() == 30 && shown("#pause-provider-30"));
    resize(1280, 720);
    try {
      clickOn("#theme");
      assertThat(javafx.application.Application.getUserAgentStylesheet())
          .isEqualTo(Theme.DARK.stylesheet);
      WaitForAsyncUtils.waitForFxEvents();
      screenshot("status-1280x720-dark");
      assertThat(lookup("#theme").queryButton().getText()).isEqualTo("Light");
    } finally {
      clickOn("#theme");
    }
    assertThat(lookup("#theme").queryButton().getText()).isEqualTo("Dark");
    assertThat(javafx.application.Application.getUserAgentStylesheet())
        .isEqualTo(Theme.LIGHT.stylesheet);
  }
}
