package dev.inflight.testing;

import java.io.IOException;
import java.util.concurrent.TimeUnit;

/**
 * Programs the tests drive, which {@code .ci/run} installs: {@code sqlite3} (hand edits as a person
 * makes them) and {@code faketime} (clock steps of one process). A missing one fails the test with
 * how to install it, rather than letting a check pass that never ran.
 */
public final class Tools {
  private Tools() {}

  public static void require(String program, String debianPackage) {
    if (!installed(program)) {
      throw new AssertionError(
          program
              + " is needed by this test and is not installed: apt-get install "
              + debianPackage
              + " (.ci/run does)");
    }
  }

  public static boolean installed(String program) {
    try {
      Process p =
          new ProcessBuilder("sh", "-c", "command -v " + program).redirectErrorStream(true).start();
      p.getInputStream().readAllBytes();
      return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** Runs {@code sqlite3} on {@code db} with a busy timeout, as a person editing by hand should. */
  public static Child.Result sqlite3(java.nio.file.Path db, String sql) {
    require("sqlite3", "sqlite3");
    return Child.start(
            new ProcessBuilder("sqlite3", "-cmd", ".timeout 5000", db.toString(), sql),
            "sqlite3 " + sql)
        .await();
  }
}
