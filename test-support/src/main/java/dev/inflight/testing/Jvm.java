package dev.inflight.testing;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Other JVMs on the test class path: the way tests prove a claim across real processes. */
public final class Jvm {
  private Jvm() {}

  /** The class path of the running tests (Surefire's, when it forks with a manifest jar). */
  public static String testClassPath() {
    return System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
  }

  /** A command line running {@code mainClass} with {@code args} on the test class path. */
  public static List<String> command(String mainClass, String... args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-cp");
    cmd.add(testClassPath());
    cmd.add(mainClass);
    cmd.addAll(List.of(args));
    return cmd;
  }

  /** Starts {@code mainClass} in a JVM of its own. */
  public static Child start(String mainClass, String... args) {
    return Child.start(
        new ProcessBuilder(command(mainClass, args)),
        mainClass.substring(mainClass.lastIndexOf('.') + 1) + " " + String.join(" ", args));
  }
}
