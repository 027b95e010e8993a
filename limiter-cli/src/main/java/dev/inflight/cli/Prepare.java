package dev.inflight.cli;

import dev.inflight.client.Lease;
import dev.inflight.client.Limiter;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * Start-up preparation run once by bin/inflight after a build; not a user command.
 *
 * <ul>
 *   <li>{@code native DIR}: copies the SQLite driver's native library for this platform into DIR
 *       and prints its file name, so each start loads it from there instead of unpacking ~1 MB into
 *       the temp directory.
 *   <li>{@code train}: runs every command once on a throw-away database, so that a JVM started with
 *       {@code -XX:ArchiveClassesAtExit} archives the classes a real start loads.
 * </ul>
 */
public final class Prepare {
  private Prepare() {}

  public static void main(String[] args) throws Exception {
    if (args.length == 2 && args[0].equals("native")) {
      extractNative(Path.of(args[1]));
    } else if (args.length == 1 && args[0].equals("train")) {
      train();
    } else {
      System.err.println("usage: Prepare native DIR | Prepare train");
      System.exit(2);
    }
  }

  /** Uses the driver's own idea of the platform's library, found by reflection (no SQL here). */
  private static void extractNative(Path dir) throws Exception {
    Class<?> util = Class.forName("org.sqlite.util.LibraryLoaderUtil");
    String folder = (String) util.getMethod("getNativeLibResourcePath").invoke(null);
    String name = (String) util.getMethod("getNativeLibName").invoke(null);
    String resource = (folder.startsWith("/") ? folder.substring(1) : folder) + "/" + name;
    try (InputStream in = util.getClassLoader().getResourceAsStream(resource)) {
      if (in == null) {
        return; // no bundled library for this platform: the driver finds its own way
      }
      Files.createDirectories(dir);
      Path tmp = Files.createTempFile(dir, name, ".tmp");
      try (OutputStream out = Files.newOutputStream(tmp)) {
        in.transferTo(out);
      }
      Files.move(tmp, dir.resolve(name), StandardCopyOption.REPLACE_EXISTING);
      System.out.println(name);
    }
  }

  private static void train() throws IOException {
    Path home = Files.createTempDirectory("inflight-train");
    PrintStream out = System.out;
    PrintStream err = System.err;
    PrintStream devNull = new PrintStream(OutputStream.nullOutputStream(), true);
    System.setOut(devNull);
    System.setErr(devNull);
    try {
      String h = home.toString();
      Main.run(new String[] {"--home", h, "status"});
      Main.run(new String[] {"--home", h, "limits", "set", "train", "1", "--cooldown", "0s"});
      Main.run(new String[] {"--home", h, "limits", "list"});
      Main.run(new String[] {"--home", h, "limits", "list", "--json"});
      Main.run(new String[] {"--home", h, "run", "--provider", "train", "--", "true"});
      Main.run(new String[] {"--home", h, "run", "--provider", "other", "--", "true"});
      try (Limiter limiter = Limiter.builder().home(home).build();
          Lease held = limiter.acquire("train", "held", Duration.ofSeconds(10))) {
        Main.run(new String[] {"--home", h, "status"});
        Main.run(new String[] {"--home", h, "status", "--json"});
        Main.run(
            new String[] {"--home", h, "run", "-p", "train", "--timeout", "1ms", "--", "true"});
        Main.run(new String[] {"--home", h, "release", Long.toString(held.id())});
      }
      Main.run(new String[] {"--home", h, "pause", "train"});
      Main.run(new String[] {"--home", h, "resume", "train"});
      Main.run(new String[] {"--home", h, "report-429", "train", "--retry-after", "1s"});
      Main.run(new String[] {"--home", h, "status"});
      Main.run(new String[] {"--home", h, "resume", "train"});
      Main.run(
          new String[] {
            "--home", h, "run", "-p", "other", "--rate-limited-exit-code", "3", "--", "false"
          });
      Main.run(new String[] {"--home", h, "limits", "set", "train", "abc"});
      Main.run(new String[] {"--home", h, "limits", "unset", "train"});
      Main.run(new String[] {"--home", h, "run", "--help"});
    } finally {
      System.setOut(out);
      System.setErr(err);
      try (Stream<Path> files = Files.walk(home)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }
}
