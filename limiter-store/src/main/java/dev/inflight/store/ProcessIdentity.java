package dev.inflight.store;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * Who a client process is, in the terms the protocol uses to decide whether it is still alive.
 *
 * <p>{@code hostId} scopes process ids: two rows with the same {@code hostId} live in the same pid
 * namespace of the same boot of the same machine, so one can check the other's pid. On Linux it is
 * {@code /proc/sys/kernel/random/boot_id} + "/" + the pid namespace link; elsewhere the host name.
 * {@code startToken} tells a process from a later one that reuses its pid: on Linux field 22
 * ({@code starttime}, clock ticks since boot) of {@code /proc/PID/stat}; elsewhere the start
 * instant in milliseconds.
 */
public record ProcessIdentity(
    String host, String hostId, long pid, String startToken, String name) {

  public ProcessIdentity {
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(hostId, "hostId");
    Objects.requireNonNull(startToken, "startToken");
    Objects.requireNonNull(name, "name");
    if (pid <= 0) {
      throw new IllegalArgumentException("pid must be positive (was " + pid + ")");
    }
  }

  private static final Path PROC = Path.of("/proc");

  /** The identity of the running JVM. */
  public static ProcessIdentity current() {
    ProcessHandle self = ProcessHandle.current();
    String name = commandName(self);
    return new ProcessIdentity(
        displayable(hostName()),
        currentHostId(),
        self.pid(),
        startTokenOf(self.pid()).orElse("unknown"),
        displayable(name));
  }

  /**
   * The file name of this process's program. On Linux it is read from {@code /proc/self/exe}, where
   * {@link ProcessHandle.Info#command()} reads it too, without the rest of what {@code info()}
   * looks up for every field (the command line, the times, the user's name through NSS): that cost
   * several milliseconds of every start.
   */
  private static String commandName(ProcessHandle self) {
    try {
      Path name = Files.readSymbolicLink(PROC.resolve("self/exe")).getFileName();
      if (name != null) {
        return name.toString();
      }
    } catch (IOException | UnsupportedOperationException | SecurityException e) {
      // not Linux: ask the JDK
    }
    return self.info().command().map(c -> Path.of(c).getFileName().toString()).orElse("java");
  }

  /**
   * A host or program name as the database accepts it: control characters (which the schema
   * refuses, since every terminal running {@code status} would obey them) become {@code ?}. These
   * names are only ever displayed.
   */
  static String displayable(String s) {
    StringBuilder sb = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) { // every control character is one char
      char c = s.charAt(i);
      sb.append(Character.isISOControl(c) ? '?' : c);
    }
    return sb.toString();
  }

  /** The host id of this machine as the protocol defines it. */
  public static String currentHostId() {
    try {
      String boot =
          Files.readString(PROC.resolve("sys/kernel/random/boot_id"), StandardCharsets.US_ASCII)
              .trim();
      String ns = Files.readSymbolicLink(PROC.resolve("self/ns/pid")).toString();
      return boot + "/" + ns;
    } catch (IOException | UnsupportedOperationException | SecurityException e) {
      return "host:" + hostName();
    }
  }

  /**
   * The start token of a process on this host, or empty when no such process exists.
   *
   * @param pid a process id in this host's pid namespace
   */
  public static Optional<String> startTokenOf(long pid) {
    Path stat = PROC.resolve(Long.toString(pid)).resolve("stat");
    if (Files.isDirectory(PROC.resolve("self"))) {
      try {
        String s = Files.readString(stat, StandardCharsets.US_ASCII);
        // The command name (field 2) may hold spaces and parentheses: count from the last ')'.
        String[] rest = s.substring(s.lastIndexOf(')') + 2).split(" ");
        if (finished(rest)) {
          return Optional.empty();
        }
        return Optional.of(rest[19]);
      } catch (IOException | RuntimeException e) {
        return Optional.empty();
      }
    }
    return ProcessHandle.of(pid)
        .filter(ProcessHandle::isAlive)
        .map(
            p ->
                p.info()
                    .startInstant()
                    .map(i -> Long.toString(i.toEpochMilli()))
                    .orElse("unknown"));
  }

  private static final long PF_EXITING = 0x4;

  /**
   * Whether a process that still has a {@code /proc} entry has in fact ended: its last thread is a
   * zombie waiting for its parent, or it is past the point of no return in {@code exit}. The kernel
   * drops its file locks in that window, so waiters must not see it as alive. A zombie leader whose
   * other threads still run ({@code num_threads} > 1) is alive.
   *
   * @param rest the fields of {@code /proc/PID/stat} after the command name, from field 3 (state)
   */
  static boolean finished(String[] rest) {
    int threads = Integer.parseInt(rest[17]);
    if (threads > 1) {
      return false;
    }
    String state = rest[0];
    if (state.equals("Z") || state.equals("X") || state.equals("x")) {
      return true;
    }
    return (Long.parseUnsignedLong(rest[6]) & PF_EXITING) != 0;
  }

  /** Whether the process a row describes is still running (only meaningful on its own host). */
  public static boolean isAlive(long pid, String startToken) {
    // "unknown" on either side: the start time could not be read, so only the pid can be checked
    // (a reused pid then keeps a dead process's rows until its heartbeat expires).
    return startTokenOf(pid)
        .map(t -> t.equals(startToken) || "unknown".equals(t) || "unknown".equals(startToken))
        .orElse(false);
  }

  private static String hostName() {
    String env = System.getenv("HOSTNAME");
    if (env != null && !env.isBlank()) {
      return env;
    }
    try {
      return Files.readString(Path.of("/etc/hostname"), StandardCharsets.UTF_8).trim();
    } catch (IOException e) {
      try {
        return InetAddress.getLocalHost().getHostName();
      } catch (IOException e2) {
        return "localhost";
      }
    }
  }
}
