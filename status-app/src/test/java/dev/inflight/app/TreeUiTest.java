package dev.inflight.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.inflight.client.Lease;
import dev.inflight.client.LeaseRequest;
import dev.inflight.client.LimitSpec;
import dev.inflight.client.Limiter;
import dev.inflight.client.ModelLimitSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import javafx.scene.Node;
import javafx.scene.control.Label;
import javafx.scene.control.TextField;
import javafx.scene.input.KeyCode;
import javafx.stage.Stage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.testfx.api.FxToolkit;
import org.testfx.framework.junit5.ApplicationTest;
import org.testfx.util.WaitForAsyncUtils;

/** The provider/model tree and its budget gauges in the real window, over a real database. */
class TreeUiTest extends ApplicationTest {
  private static final LimitSpec OPENAI = LimitSpec.of("openai", 2).withBudgets(20, 0, 0);
  private static final ModelLimitSpec GPT_4O = ModelLimitSpec.of("openai", "gpt-4o", 1);

  private Path home;
  private Limiter other;
  private StatusViewModel vm;
  private StatusView view;
  private Lease held;

  @Override
  public void start(Stage stage) throws Exception {
    home = Files.createTempDirectory("inflight-tree-ui");
    other = Limiter.builder().home(home).build();
    other.limits().set(OPENAI);
    other.limits().setModel(GPT_4O);
    vm = StatusApp.viewModel(home);
    view = new StatusView(vm);
    stage.setScene(StatusApp.scene(view, 1280, 720));
    stage.show();
    vm.start();
  }

  @AfterEach
  void tearDown() throws Exception {
    if (held != null) {
      held.close();
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

  private <T extends Node> T node(String id, Class<T> type) {
    return lookup(id).queryAs(type);
  }

  private String text(String id) {
    return lookup(id).tryQuery().map(n -> ((Label) n).getText()).orElse("");
  }

  @Test
  void leaseOnAModel_isShownBeneathItsProvider_againstBothCaps_andInTheRpmGauge() throws Exception {
    held = other.acquire(LeaseRequest.of("openai/gpt-4o").label("coder"), Duration.ofSeconds(10));

    await(() -> "1/1".equals(text("#model-in-flight-openai-gpt-4o")));

    assertThat(text("#in-flight-openai")).isEqualTo("1/2");
    assertThat(text("#rpm-gauge-openai")).isEqualTo("1/20 rpm");
    assertThat(text("#frees-openai")).startsWith("frees in ");
    // The model's row is inside its provider's, below the provider's own line.
    Node model = lookup("#model-openai-gpt-4o").query();
    Node provider = lookup("#provider-openai").query();
    assertThat(model.localToScene(0, 0).getY())
        .isGreaterThan(lookup("#budget-openai").query().localToScene(0, 0).getY());
    assertThat(
            provider
                .localToScene(provider.getBoundsInLocal())
                .contains(model.localToScene(model.getBoundsInLocal())))
        .isTrue();
    // Indented: it starts to the right of the provider's own columns.
    assertThat(model.localToScene(0, 0).getX())
        .isGreaterThan(lookup("#budget-openai").query().localToScene(0, 0).getX());
  }

  @Test
  void badRpm_showsTheLibrarysMessageOnTheRow_andChangesNothing() throws Exception {
    // the row may not be there yet: a missing node is "not yet", not an error
    await(
        () ->
            lookup("#rpm-openai")
                .tryQuery()
                .map(n -> "20".equals(((TextField) n).getText()))
                .orElse(false));

    clickOn("#rpm-openai");
    interact(() -> node("#rpm-openai", TextField.class).selectAll());
    write("ten");
    type(KeyCode.ENTER);

    assertThat(text("#error-openai"))
        .isEqualTo(
            "requests_per_minute must be an integer from 1 to 1000000, or 0 for none (was \"ten\")");
    vm.refresh().get(20, TimeUnit.SECONDS);
    assertThat(other.limits().get("openai")).hasValue(OPENAI);
  }

  @Test
  void addModel_refusedName_saysWhyBesideTheForm_thenAGoodOneIsWritten() throws Exception {
    await(() -> lookup("#add-model-openai").tryQuery().isPresent());

    clickOn("#add-model-openai");
    write("openai/gpt-4o-mini");
    type(KeyCode.TAB);
    write("2");
    type(KeyCode.ENTER);

    assertThat(text("#new-model-error-openai"))
        .isEqualTo(
            "model must be the model's own name under its provider (was \"openai/gpt-4o-mini\""
                + " under \"openai\"; give \"gpt-4o-mini\")");
    assertThat(other.limits().models()).containsExactly(GPT_4O);

    interact(() -> node("#new-model-openai", TextField.class).setText("gpt-4o-mini"));
    clickOn("#new-model-add-openai");

    await(() -> other.limits().models().size() == 2);
    assertThat(other.limits().models()).contains(ModelLimitSpec.of("openai", "gpt-4o-mini", 2));
    await(() -> lookup("#model-limit-openai-gpt-4o-mini").tryQuery().isPresent());
  }
}
