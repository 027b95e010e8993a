package dev.inflight.bench;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The benchmark's own PostgreSQL server: a fresh cluster in {@code WORK_DIR/pg}, listening on a
 * free port on 127.0.0.1 only (no Unix socket), trust authentication for the user {@code inflight}.
 * It never looks for, or talks to, a server of the user's. Run as root, the server runs as the
 * {@code postgres} user ({@code runuser}), since PostgreSQL refuses to run as root; the scratch
 * directory is then opened for traversal (mode 711) so that user can reach its own directory.
 *
 * <p>Settings: {@code synchronous_commit=off}, so that a commit does not wait for its WAL flush (as
 * the SQLite engine's {@code synchronous=NORMAL} does not fsync at commit); everything else is
 * initdb's default. {@link #close} stops it (fast shutdown, then immediate); a JVM that exits
 * without closing it stops it from a shutdown hook, and {@code bin/bench} stops a postmaster left
 * in the scratch directory when the harness was killed.
 */
final class PgServer implements AutoCloseable {
  static final String USER = "inflight";

  private final Path bin;
  private final Path dir;
  private final int port;
  private final boolean asPostgres;
  private final Thread hook;
  private boolean stopped;

  private PgServer(Path bin, Path dir, int port, boolean asPostgres) {
    this.bin = bin;
    this.dir = dir;
    this.port = port;
    this.asPostgres = asPostgres;
    this.hook = new Thread(this::stopQuietly, "bench-stop-postgres");
  }

  /** initdb and start a server in {@code work/pg}; throws, having stopped it, if either fails. */
  static PgServer start(Path work) throws IOException, InterruptedException {
    Path bin = findBin();
    boolean root = "root".equals(System.getProperty("user.name"));
    Path dir = work.resolve("pg");
    Files.createDirectory(dir);
    if (root) {
      Files.setPosixFilePermissions(work, PosixFilePermissions.fromString("rwx--x--x"));
      run(List.of("chown", "postgres:postgres", dir.toString()), dir, "chown");
    }
    PgServer s = new PgServer(bin, dir, freePort(), root);
    Runtime.getRuntime().addShutdownHook(s.hook);
    try {
      s.pg(
          "initdb",
          "-D",
          s.data(),
          "-U",
          USER,
          "-A",
          "trust",
          "-E",
          "UTF8",
          "--no-locale",
          "--no-sync");
      // In the configuration file, not on the command line: the figure changes it with ALTER
      // SYSTEM, which a command-line setting would override.
      Files.writeString(
          dir.resolve("data").resolve("postgresql.conf"),
          "\n# inflight bench\nsynchronous_commit = off\n",
          StandardOpenOption.APPEND);
      s.pg(
          "pg_ctl",
          "-D",
          s.data(),
          "-l",
          dir.resolve("server.log").toString(),
          "-w",
          "-t",
          "60",
          "-o",
          "-p " + s.port + " -c listen_addresses=127.0.0.1 -c unix_socket_directories=''",
          "start");
      return s;
    } catch (IOException | RuntimeException | InterruptedException e) {
      s.close();
      throw e;
    }
  }

  /** The library's URL of database {@code db} on this server. */
  String url(String db) {
    return "postgresql://" + USER + "@127.0.0.1:" + port + "/" + db;
  }

  /** A bare JDBC connection to database {@code db} (for the floors and the samplers). */
  Connection connect(String db) throws SQLException {
    Properties p = new Properties();
    p.setProperty("user", USER);
    p.setProperty("ApplicationName", "inflight-bench");
    return DriverManager.getConnection(jdbcUrl(port, db), p);
  }

  static String jdbcUrl(int port, String db) {
    return "jdbc:postgresql://127.0.0.1:" + port + "/" + db;
  }

  int port() {
    return port;
  }

  /** Creates an empty database {@code name}. */
  void createDatabase(String name) throws SQLException {
    try (Connection c = connect("postgres");
        Statement s = c.createStatement()) {
      s.execute("CREATE DATABASE " + name);
    }
  }

  private String data() {
    return dir.resolve("data").toString();
  }

  private void pg(String program, String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    if (asPostgres) {
      cmd.addAll(List.of("runuser", "-u", "postgres", "--"));
    }
    cmd.add(bin.resolve(program).toString());
    cmd.addAll(List.of(args));
    run(cmd, dir, program);
  }

  private static void run(List<String> cmd, Path cwd, String what)
      throws IOException, InterruptedException {
    // In the server's own directory: the postgres user cannot enter the caller's.
    Process p = new ProcessBuilder(cmd).directory(cwd.toFile()).redirectErrorStream(true).start();
    byte[] said = p.getInputStream().readAllBytes();
    if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
      p.destroyForcibly();
      throw new IllegalStateException(
          "bench: "
              + what
              + " failed ("
              + (p.isAlive() ? "timed out" : "exit " + p.exitValue())
              + "): "
              + new String(said, StandardCharsets.UTF_8).strip());
    }
  }

  /** Stops the server: fast shutdown, immediate if that fails; then removes its directory. */
  @Override
  public void close() {
    stopQuietly();
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException e) {
      // the JVM is already exiting: the hook runs, and finds the server stopped
    }
  }

  private synchronized void stopQuietly() {
    if (stopped) {
      return;
    }
    stopped = true;
    if (Files.exists(dir.resolve("data").resolve("postmaster.pid"))) {
      for (String mode : List.of("fast", "immediate")) {
        try {
          pg("pg_ctl", "-D", data(), "-m", mode, "-w", "-t", "30", "stop");
          break;
        } catch (IOException | RuntimeException | InterruptedException e) {
          System.err.println("bench: " + e.getMessage());
        }
      }
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // bin/bench removes the scratch directory anyway
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  /** The newest installed server programs (Debian's postgresql package). */
  private static Path findBin() throws IOException {
    Path base = Path.of("/usr/lib/postgresql");
    if (Files.isDirectory(base)) {
      try (Stream<Path> versions = Files.list(base)) {
        var best =
            versions
                .map(v -> v.resolve("bin"))
                .filter(b -> Files.isExecutable(b.resolve("initdb")))
                .max(Comparator.comparingInt(b -> major(b.getParent())));
        if (best.isPresent()) {
          return best.get();
        }
      }
    }
    throw new IllegalStateException(
        "bench: the postgres figure needs the PostgreSQL server programs (initdb, pg_ctl) under"
            + " /usr/lib/postgresql/*/bin, and they are not installed: apt-get install postgresql");
  }

  private static int major(Path versionDir) {
    try {
      return Integer.parseInt(versionDir.getFileName().toString());
    } catch (NumberFormatException e) {
      return -1;
    }
  }
}
