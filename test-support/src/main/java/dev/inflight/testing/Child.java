package dev.inflight.testing;

import static org.assertj.core.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A started process whose stdout and stderr lines are collected as they come. Every wait here only
 * guards against a hang: it returns as soon as the awaited line or exit happens, and fails with
 * everything the process printed after {@link #HANG_GUARD}.
 */
public final class Child {
  /** Upper bound for anything to happen; never reached when things work. */
  public static final Duration HANG_GUARD = Duration.ofSeconds(120);

  private final Process process;
  private final String what;
  private final Lines out;
  private final Lines err;

  private Child(Process process, String what) {
    this.process = process;
    this.what = what;
    this.out = new Lines(process.getInputStream());
    this.err = new Lines(process.getErrorStream());
  }

  /** Starts {@code pb}; {@code what} names it in failure messages. */
  public static Child start(ProcessBuilder pb, String what) {
    try {
      return new Child(pb.start(), what);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + what, e);
    }
  }

  public Process process() {
    return process;
  }

  public long pid() {
    return process.pid();
  }

  /** Waits until stdout has a line matching {@code p} and returns it. */
  public String awaitOut(Predicate<String> p) {
    return out.await(p, this);
  }

  /** Waits until stdout has a line starting with {@code prefix} and returns it. */
  public String awaitOut(String prefix) {
    return awaitOut(l -> l.startsWith(prefix));
  }

  /** Waits until stderr has a line matching {@code p} and returns it. */
  public String awaitErr(Predicate<String> p) {
    return err.await(p, this);
  }

  /** Waits for the next stdout line starting with {@code prefix} after those already consumed. */
  public String next(String prefix) {
    return out.next(l -> l.startsWith(prefix), this);
  }

  public void write(String line) {
    try {
      OutputStream in = process.getOutputStream();
      in.write((line + "\n").getBytes(StandardCharsets.UTF_8));
      in.flush();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public void closeStdin() {
    try {
      process.getOutputStream().close();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** {@code kill -9}: no close, no release, no commit. */
  public void kill() {
    process.destroyForcibly();
    try {
      process.waitFor(HANG_GUARD.toSeconds(), TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Waits for the process to end. */
  public Result await() {
    try {
      if (!process.waitFor(HANG_GUARD.toSeconds(), TimeUnit.SECONDS)) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        fail(what + " did not end\n" + describe());
      }
      out.join();
      err.join();
      return new Result(what, process.exitValue(), out.text(), err.text());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  public String stdout() {
    return out.text();
  }

  public String stderr() {
    return err.text();
  }

  public String describe() {
    return what + "\nstdout: " + out.text() + "\nstderr: " + err.text();
  }

  /** A finished process. */
  public record Result(String what, int code, String out, String err) {
    public String describe() {
      return what + " -> exit " + code + "\nstdout: " + out + "\nstderr: " + err;
    }
  }

  /** Collects a stream's lines on a thread of its own. */
  private static final class Lines {
    private final List<String> lines = new ArrayList<>();
    private final Thread reader;
    private boolean ended;
    private int consumed;

    Lines(InputStream in) {
      reader =
          new Thread(
              () -> {
                try (BufferedReader r =
                    new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                  String line;
                  while ((line = r.readLine()) != null) {
                    add(line);
                  }
                } catch (IOException e) {
                  // the process ended
                } finally {
                  end();
                }
              },
              "child-output");
      reader.setDaemon(true);
      reader.start();
    }

    private synchronized void add(String line) {
      lines.add(line);
      notifyAll();
    }

    private synchronized void end() {
      ended = true;
      notifyAll();
    }

    synchronized String await(Predicate<String> p, Child owner) {
      return find(p, owner, 0, false);
    }

    synchronized String next(Predicate<String> p, Child owner) {
      return find(p, owner, consumed, true);
    }

    private String find(Predicate<String> p, Child owner, int from, boolean consume) {
      long deadline = System.nanoTime() + HANG_GUARD.toNanos();
      int i = from;
      while (true) {
        for (; i < lines.size(); i++) {
          if (p.test(lines.get(i))) {
            if (consume) {
              consumed = i + 1;
            }
            return lines.get(i);
          }
        }
        long left = deadline - System.nanoTime();
        if (ended || left <= 0) {
          throw new AssertionError(
              (ended ? "output ended" : "timed out")
                  + " before the expected line; "
                  + owner.describe());
        }
        try {
          wait(TimeUnit.NANOSECONDS.toMillis(left) + 1);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new AssertionError(e);
        }
      }
    }

    synchronized String text() {
      return String.join("\n", lines);
    }

    void join() throws InterruptedException {
      reader.join(HANG_GUARD.toMillis());
    }
  }
}
