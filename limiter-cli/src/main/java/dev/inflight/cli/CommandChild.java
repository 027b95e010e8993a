package dev.inflight.cli;

import dev.inflight.client.Outcome;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import sun.misc.Signal;

/**
 * COMMAND of one {@code inflight run}, started once its lease is held: the process, the signals
 * passed on to it, and how it ended.
 *
 * <p>Signals: until {@link #run}, SIGINT/SIGTERM/SIGHUP end the JVM normally (the shutdown hook
 * takes the request out of the queue). {@link #run} replaces the JVM's handlers so that a signal is
 * passed on to COMMAND instead; one that arrives between the grant and the start keeps COMMAND from
 * starting. Thread-safe: signal handlers, the shutdown hook and the main thread all use it.
 */
final class CommandChild {
  private final String name;
  private final Object lock = new Object();
  private Process child; // guarded by lock
  private Signal pendingSignal; // guarded by lock: arrived after the grant, before the start
  private boolean signalled; // guarded by lock: a signal came while COMMAND ran
  private boolean shuttingDown; // guarded by lock

  /**
   * @param name COMMAND's program, for messages
   */
  CommandChild(String name) {
    this.name = name;
  }

  /** Starts {@code pb} and waits for it; returns its exit code (128+N for signal N, as shells). */
  int run(ProcessBuilder pb) {
    for (String sig : new String[] {"INT", "TERM", "HUP"}) {
      try {
        Signal.handle(new Signal(sig), this::onSignal);
      } catch (IllegalArgumentException ignoredOrReserved) {
        // e.g. SIGHUP under nohup: the signal stays as the JVM found it
      }
    }
    Process p;
    synchronized (lock) {
      if (shuttingDown) {
        throw awaitExit();
      }
      if (pendingSignal != null) {
        return 128 + pendingSignal.getNumber(); // COMMAND never started
      }
      try {
        p = pb.start();
      } catch (IOException e) {
        return cannotStart(e);
      }
      child = p;
    }
    while (true) {
      try {
        return p.waitFor();
      } catch (InterruptedException e) {
        // only the JVM's shutdown interrupts nobody here; keep waiting for COMMAND
      }
    }
  }

  /** How COMMAND ended, for the release. */
  Outcome outcome(int code, int rateLimitedCode) {
    synchronized (lock) {
      if (child == null) {
        return pendingSignal != null ? Outcome.CANCELLED : Outcome.FAILED; // never started
      }
      if (rateLimitedCode != 0 && code == rateLimitedCode) {
        return Outcome.RATE_LIMITED;
      }
      if (signalled) {
        return Outcome.CANCELLED;
      }
    }
    return code == 0 ? Outcome.SUCCEEDED : Outcome.FAILED;
  }

  /**
   * The JVM is exiting around our handlers: COMMAND must not outlive the lease, so it is stopped
   * (SIGTERM, then killed after 10 s); a COMMAND not yet started never starts.
   */
  void shutdown() {
    Process p;
    synchronized (lock) {
      shuttingDown = true;
      p = child;
    }
    if (p != null && p.isAlive()) {
      p.destroy();
      try {
        if (!p.waitFor(10, TimeUnit.SECONDS)) {
          p.destroyForcibly();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private int cannotStart(IOException e) {
    String msg = e.getMessage() == null ? e.toString() : e.getMessage();
    // "Cannot run program "x": error=2, No such file or directory"
    String reason = msg.contains("error=") ? msg.substring(msg.indexOf("error=")) : msg;
    reason = reason.replaceFirst("^error=\\d+, ", "");
    System.err.println("inflight: cannot run '" + name + "': " + reason);
    return msg.contains("error=2,") ? ExitCodes.NOT_FOUND : ExitCodes.CANNOT_EXECUTE;
  }

  private void onSignal(Signal sig) {
    Process p;
    synchronized (lock) {
      p = child;
      if (p == null) {
        if (pendingSignal == null) {
          pendingSignal = sig;
        }
        return;
      }
      signalled = true;
    }
    if (!p.isAlive()) {
      return;
    }
    switch (sig.getName()) {
      case "TERM" -> p.destroy();
      case "INT" -> {
        if (!keyboardReachedChild()) {
          kill(p, "INT");
        }
      }
      default -> kill(p, sig.getName());
    }
  }

  /**
   * Whether this process is in its terminal's foreground process group: then a Ctrl-C went to the
   * whole group, COMMAND included, and passing it on would deliver it twice.
   */
  private static boolean keyboardReachedChild() {
    try {
      String stat = Files.readString(Path.of("/proc/self/stat"), StandardCharsets.US_ASCII);
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      long pgrp = Long.parseLong(f[2]);
      long tpgid = Long.parseLong(f[5]);
      return tpgid > 0 && tpgid == pgrp;
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  private static void kill(Process p, String signal) {
    try {
      Process k =
          new ProcessBuilder("kill", "-s", signal, Long.toString(p.pid()))
              .redirectOutput(ProcessBuilder.Redirect.DISCARD)
              .redirectError(ProcessBuilder.Redirect.DISCARD)
              .start();
      k.waitFor(5, TimeUnit.SECONDS);
    } catch (IOException e) {
      p.destroy(); // no kill(1): SIGTERM is the closest we can send
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Blocks the calling thread until the JVM halts (System.exit must not be called now). */
  static RuntimeException awaitExit() {
    while (true) {
      try {
        Thread.sleep(Long.MAX_VALUE);
      } catch (InterruptedException e) {
        // keep waiting for the halt
      }
    }
  }
}
