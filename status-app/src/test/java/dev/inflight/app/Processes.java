package dev.inflight.app;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/** Other JVMs on the test class path, with their output read as it comes. */
final class Processes {
  private Processes() {}

  /** A started JVM; its output (stdout and stderr) is collected by a reader thread. */
  static final class Child {
    private static final String EOF = "\u0000eof";
    final Process process;
    private final LinkedBlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final StringBuffer all = new StringBuffer();
    private final Thread reader;

    Child(Process process) {
      this.process = process;
      this.reader =
          new Thread(
              () -> {
                try (BufferedReader r =
                    new BufferedReader(
                        new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                  String line;
                  while ((line = r.readLine()) != null) {
                    all.append(line).append('\n');
                    lines.add(line);
                  }
                } catch (IOException e) {
                  // the process was destroyed
                } finally {
                  lines.add(EOF);
                }
              },
              "child-output");
      reader.setDaemon(true);
      reader.start();
    }

    /** Waits for a matching line (the caller's test timeout guards against hangs). */
    String awaitLine(Predicate<String> match, String what) throws InterruptedException {
      while (true) {
        String line = lines.take();
        if (line.equals(EOF)) {
          throw new IllegalStateException("process ended before " + what + ":\n" + all);
        }
        if (match.test(line)) {
          return line;
        }
      }
    }

    String awaitLine(String prefix) throws InterruptedException {
      return awaitLine(l -> l.startsWith(prefix), "'" + prefix + "'");
    }

    /** Waits for the process to end and returns everything it printed. */
    String awaitExit() throws InterruptedException {
      if (!process.waitFor(60, TimeUnit.SECONDS)) {
        throw new IllegalStateException("process did not end:\n" + all);
      }
      reader.join(10_000);
      return all.toString();
    }

    long pid() {
      return process.pid();
    }
  }

  static Child java(String mainClass, String... args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(mainClass);
    cmd.addAll(List.of(args));
    try {
      return new Child(new ProcessBuilder(cmd).redirectErrorStream(true).start());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
