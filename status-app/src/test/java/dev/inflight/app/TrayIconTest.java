package dev.inflight.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.inflight.client.Lease;
import dev.inflight.client.LimitSpec;
import dev.inflight.client.Limiter;
import dev.inflight.testing.Child;
import dev.inflight.testing.Eventually;
import dev.inflight.testing.Jvm;
import dev.inflight.testing.Tools;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The tray icon under a real tray host: the test starts its own Xvfb display and {@code trayer} on
 * it, runs the app in a JVM of its own over a real database, drives the queue with the real
 * library, and looks from outside the app: the icon's X window inside trayer's panel, its pixels
 * (red dot or not), the tooltip and menu windows that hovering and clicking open. What the app
 * hands the tray as tooltip text is read from its debug lines. Screenshots go to
 * target/screenshots/tray-*.png for a person to look at.
 *
 * <p>Skipped only when Xvfb or trayer is not installed ({@code .ci/run} installs both). The tools
 * it looks with, {@code xdotool}, {@code xwininfo} (x11-utils) and {@code import} (imagemagick),
 * fail it when missing, naming the package; the app itself needs GTK 3 and a JRE with AWT's X11
 * part.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class TrayIconTest {
  private static final String PANEL = "^panel$";
  private static final String ICON = "^JavaEmbeddedFrame$";
  private static final String MENU = "^sun-awt-X11-XPopupMenuPeer$";
  private static final String WINDOW = "^inflight status$";
  private static final String APP_CLASS = "dev-inflight-app-Main";
  private static final Pattern GEOMETRY =
      Pattern.compile("(?s).*Position: (\\d+),(\\d+) .*Geometry: (\\d+)x(\\d+).*");

  @TempDir Path home;

  private final List<Child> started = new ArrayList<>();
  private String display;
  private Child app;

  @BeforeEach
  void startDisplayWithTrayHost() {
    assumeTrue(Tools.installed("Xvfb"), "Xvfb is not installed (apt-get install xvfb): no display");
    assumeTrue(
        Tools.installed("trayer"),
        "trayer is not installed (apt-get install trayer): no tray host");
    Tools.require("xdotool", "xdotool");
    Tools.require("xwininfo", "x11-utils");
    Tools.require("import", "imagemagick");
    // -displayfd: Xvfb picks a free display itself and prints its number
    Child xvfb =
        start(
            new ProcessBuilder(
                "Xvfb", "-displayfd", "1", "-screen", "0", "1600x1000x24", "-nolisten", "tcp"),
            "Xvfb");
    display = ":" + xvfb.awaitOut(l -> l.matches("\\d+"));
    // top left, clear of the window, which the app centres on a screen this size
    start(
        onDisplay(
            new ProcessBuilder(
                "trayer",
                "--edge",
                "top",
                "--align",
                "left",
                "--widthtype",
                "request",
                "--height",
                "32",
                "--transparent",
                "false",
                "--SetDockType",
                "false",
                "--SetPartialStrut",
                "false")),
        "trayer");
    await("trayer's panel is shown", () -> !visible(PANEL).isEmpty());
  }

  @AfterEach
  void stopAll() throws InterruptedException {
    for (int i = started.size() - 1; i >= 0; i--) {
      Process p = started.get(i).process();
      p.destroy();
      if (!p.waitFor(20, TimeUnit.SECONDS)) {
        p.destroyForcibly().waitFor(20, TimeUnit.SECONDS);
      }
    }
  }

  @Test
  void trayIcon_showsTotals_redDotOnlyWhileQueued_andItsMenuReopensAndQuits() throws Exception {
    try (Limiter limiter = Limiter.builder().home(home).build()) {
      limiter.limits().set(LimitSpec.of("openai", 1));
      List<String> cmd = Jvm.command(Main.class.getName(), "app", "--home", home.toString());
      cmd.add(1, "-D" + StatusApp.DEBUG_PROPERTY + "=true");
      app = start(onDisplay(new ProcessBuilder(cmd)), "inflight app");

      // given: the app's icon is embedded in the tray host, idle
      app.awaitErr(tooltip("0 active · 0 queued · 1 provider"));
      String panel = visible(PANEL).get(0);
      await("the tray icon is inside trayer's panel", () -> iconIn(panel) != null);
      String icon = iconIn(panel);
      await("the idle icon is drawn", () -> bluePixels(capture(icon, "tray-idle")) > 20);
      assertThat(redPixels(capture(icon, "tray-idle"))).as("red pixels while idle").isZero();

      // when: one lease is held and a second request queues behind it in another process
      Lease held = limiter.acquire("openai", "holder", Duration.ofSeconds(30));
      Child waiter =
          start(
              new ProcessBuilder(
                  Jvm.command(HoldLease.class.getName(), home.toString(), "openai", "waiter")),
              "waiter");

      // then: the tooltip has the totals and the icon gets its red dot
      app.awaitErr(tooltip("1 active · 1 queued · 1 provider"));
      await("the icon shows a red dot", () -> redPixels(capture(icon, "tray-queued")) > 20);
      Point at = centre(icon);
      hoverUntilTooltip(at);
      saveTopLeft("tray-tooltip-queued");
      xdotool("mousemove", "800", "900");

      // when the holder lets go, the waiter gets the lease and nobody queues: the dot goes
      held.close();
      waiter.awaitOut("held ");
      app.awaitErr(tooltip("1 active · 0 queued · 1 provider"));
      await("the red dot goes", () -> redPixels(capture(icon, "tray-drained")) == 0);
      assertThat(bluePixels(capture(icon, "tray-drained"))).isGreaterThan(20);

      // when the window is closed (Ctrl+W) the app stays in the tray
      String window = visible(WINDOW).get(0);
      xdotool("windowfocus", window, "key", "ctrl+w");
      await("the window closes", () -> visible(WINDOW).isEmpty());
      assertThat(visible(ICON)).as("the tray icon with the window closed").contains(icon);
      assertThat(app.process().isAlive()).as(app.describe()).isTrue();

      // and the menu (a right click) brings it back with Open, and ends the app with Quit
      Rect menu = openMenu(at);
      saveTopLeft("tray-menu");
      xdotool("mousemove", "" + (menu.x + menu.w / 2), "" + (menu.y + 10), "click", "1");
      await("Open shows the window again", () -> !visible(WINDOW).isEmpty());
      menu = openMenu(at);
      xdotool("mousemove", "" + (menu.x + menu.w / 2), "" + (menu.y + menu.h - 10), "click", "1");
      Child.Result ended = app.await();
      assertThat(ended.code()).as(ended.describe()).isZero();
      assertThat(visible(ICON)).as("no tray icon after Quit").isEmpty();
    }
  }

  /** Right-clicks the icon and returns where its menu opened. */
  private Rect openMenu(Point at) {
    xdotool("mousemove", "" + at.x, "" + at.y, "click", "3");
    await("the tray menu opens", () -> !visible(MENU).isEmpty());
    return geometry(visible(MENU).get(0));
  }

  @Test
  void notifications_whenTurnedOn_sayA429PauseOnce_notAtEveryRead() throws Exception {
    Files.createDirectories(home);
    Files.writeString(home.resolve(AppPrefs.FILE), "notify=true\n");
    try (Limiter limiter = Limiter.builder().home(home).build()) {
      limiter.limits().set(LimitSpec.of("openai", 2));
      List<String> cmd = Jvm.command(Main.class.getName(), "app", "--home", home.toString());
      cmd.add(1, "-D" + StatusApp.DEBUG_PROPERTY + "=true");
      app = start(onDisplay(new ProcessBuilder(cmd)), "inflight app");
      app.awaitErr(tooltip("0 active · 0 queued · 1 provider"));

      // when: a 429 pauses openai, and another 429 comes during the pause
      limiter.report429("openai", Duration.ofMinutes(5));
      app.awaitErr(l -> l.startsWith("inflight-app notify openai paused by a 429: "));
      limiter.report429("openai", Duration.ofMinutes(5));
      limiter.limits().set(LimitSpec.of("openai", 3));
      app.awaitErr(l -> l.startsWith("inflight-app applied ") && l.contains("openai=3"));

      // then: one notification for the one pause, however many reads showed it
      assertThat(app.stderr().lines().filter(l -> l.startsWith("inflight-app notify ")))
          .singleElement()
          .asString()
          .contains("openai paused until ")
          .contains("429");
    }
  }

  /** The app's debug line for a tooltip with these totals. */
  private static Predicate<String> tooltip(String totals) {
    String line = "inflight-app tray tooltip " + StatusApp.trayTooltip(totals);
    return line::equals;
  }

  // ---------------------------------------------------------------- the X side

  private Child start(ProcessBuilder pb, String what) {
    Child c = Child.start(pb, what);
    started.add(c);
    return c;
  }

  private ProcessBuilder onDisplay(ProcessBuilder pb) {
    pb.environment().put("DISPLAY", display);
    return pb;
  }

  private Child.Result x(String... cmd) {
    return Child.start(onDisplay(new ProcessBuilder(cmd)), String.join(" ", cmd)).await();
  }

  private void xdotool(String... args) {
    String[] cmd = new String[args.length + 1];
    cmd[0] = "xdotool";
    System.arraycopy(args, 0, cmd, 1, args.length);
    Child.Result r = x(cmd);
    assertThat(r.code()).as(r.describe()).isZero();
  }

  /** Ids of mapped windows whose name matches {@code nameRegex}. */
  private List<String> visible(String nameRegex) {
    return lines(x("xdotool", "search", "--onlyvisible", "--name", nameRegex).out());
  }

  /** The id of the tray icon's window among the panel's descendants, or null. */
  private String iconIn(String panel) {
    Child.Result tree = x("xwininfo", "-tree", "-id", panel);
    for (String id : visible(ICON)) {
      String hex = "0x" + Long.toHexString(Long.parseLong(id));
      if (tree.out().contains(hex + " \"JavaEmbeddedFrame\"")) {
        return id;
      }
    }
    return null;
  }

  private Rect geometry(String window) {
    Child.Result r = x("xdotool", "getwindowgeometry", window);
    Matcher m = GEOMETRY.matcher(r.out());
    assertThat(m.matches()).as(r.describe()).isTrue();
    return new Rect(
        Integer.parseInt(m.group(1)),
        Integer.parseInt(m.group(2)),
        Integer.parseInt(m.group(3)),
        Integer.parseInt(m.group(4)));
  }

  private Point centre(String window) {
    Rect r = geometry(window);
    return new Point(r.x + r.w / 2, r.y + r.h / 2);
  }

  /**
   * Moves the pointer onto the icon and waits until a new window of the app's (the tooltip) maps.
   */
  private void hoverUntilTooltip(Point at) {
    Set<String> before = new TreeSet<>(classWindows());
    xdotool("mousemove", "" + at.x, "" + at.y);
    await(
        "a tooltip window opens over the icon",
        () -> {
          Set<String> now = new TreeSet<>(classWindows());
          now.removeAll(before);
          return !now.isEmpty();
        });
  }

  private List<String> classWindows() {
    return lines(x("xdotool", "search", "--onlyvisible", "--class", APP_CLASS).out());
  }

  /** The screen's top-left corner (tray, tooltip, menu), saved for a person to look at. */
  private void saveTopLeft(String name) throws IOException {
    BufferedImage root = capture("root", name + "-screen");
    BufferedImage corner = root.getSubimage(0, 0, 420, 120);
    ImageIO.write(corner, "png", screenshots().resolve(name + ".png").toFile());
    Files.delete(screenshots().resolve(name + "-screen.png"));
  }

  /** Screenshot of one window (an X id, or "root"), saved as target/screenshots/NAME.png. */
  private BufferedImage capture(String window, String name) {
    try {
      Path file = screenshots().resolve(name + ".png");
      Child.Result r = x("import", "-window", window, "png:" + file);
      assertThat(r.code()).as(r.describe()).isZero();
      return ImageIO.read(file.toFile());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Path screenshots() throws IOException {
    return Files.createDirectories(Path.of("target", "screenshots"));
  }

  /** Pixels of the dot's red (#cf222e), not its anti-aliased edge on the dark background. */
  private static int redPixels(BufferedImage img) {
    return count(img, (r, g, b) -> r >= 150 && g <= 80 && b <= 90);
  }

  /** Pixels of the bars' blue (#54aeff): the capture is the icon, not an empty window. */
  private static int bluePixels(BufferedImage img) {
    return count(img, (r, g, b) -> b >= 200 && r <= 120 && g >= 130);
  }

  private interface Rgb {
    boolean test(int r, int g, int b);
  }

  private static int count(BufferedImage img, Rgb p) {
    int n = 0;
    for (int y = 0; y < img.getHeight(); y++) {
      for (int x = 0; x < img.getWidth(); x++) {
        int c = img.getRGB(x, y);
        if (p.test((c >> 16) & 0xff, (c >> 8) & 0xff, c & 0xff)) {
          n++;
        }
      }
    }
    return n;
  }

  private void await(String what, BooleanSupplier condition) {
    try {
      Eventually.until(condition);
    } catch (AssertionError e) {
      throw new AssertionError(
          what + ": " + e.getMessage() + (app == null ? "" : "\n" + app.describe()), e);
    }
  }

  private static List<String> lines(String text) {
    return Arrays.stream(text.split("\n")).map(String::strip).filter(s -> !s.isEmpty()).toList();
  }

  private record Point(int x, int y) {}

  private record Rect(int x, int y, int w, int h) {}
}
