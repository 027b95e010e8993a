package dev.inflight.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * A private PostgreSQL server for tests: its own data directory under the system's temporary
 * directory, listening on a free port on loopback only, with trust authentication for the user
 * {@code inflight}. One per JVM ({@link #shared}), stopped when the JVM exits; each test takes a
 * fresh database of its own ({@link #newDatabase}). It needs Debian's {@code postgresql} package
 * (.ci/run installs it); without its server programs a test fails saying so.
 *
 * <p>Run as root (as CI does), the server runs as the {@code postgres} user, since PostgreSQL
 * refuses to run as root.
 */
public final class PgCluster {
  private static PgCluster shared;

  /** The password of the role {@code secured}, the one role that must give one. */
  public static final String SECURED_PASSWORD = "right-horse-battery";

  private final Path bin;
  private final Path dir;
  private final int port;
  private final boolean asPostgres;

  private PgCluster(Path bin, Path dir, int port, boolean asPostgres) {
    this.bin = bin;
    this.dir = dir;
    this.port = port;
    this.asPostgres = asPostgres;
  }

  /** The server of this JVM, started on first use. */
  public static synchronized PgCluster shared() {
    if (shared == null) {
      shared = start();
      PgCluster s = shared;
      Runtime.getRuntime().addShutdownHook(new Thread(s::stopQuietly, "stop test PostgreSQL"));
    }
    return shared;
  }

  private static PgCluster start() {
    Path bin = findBin();
    boolean root = "root".equals(System.getProperty("user.name"));
    try {
      Path dir = Files.createTempDirectory("inflight-pg-").toAbsolutePath();
      int port = freePort();
      PgCluster c = new PgCluster(bin, dir, port, root);
      if (root) {
        run(List.of("chown", "postgres:postgres", dir.toString()), "chown");
      }
      c.pg(
          List.of(
              bin.resolve("initdb").toString(),
              "-D",
              dir.resolve("data").toString(),
              "-U",
              "inflight",
              "-A",
              "trust",
              "-E",
              "UTF8",
              "--no-locale",
              "--no-sync"),
          "initdb");
      // One role that must log in with a password, for the tests of a wrong one; all others are
      // trusted on loopback.
      Path hba = dir.resolve("data").resolve("pg_hba.conf");
      String rules = "host all secured 127.0.0.1/32 scram-sha-256\n";
      c.pg(
          List.of(
              "sh",
              "-c",
              "printf '"
                  + rules
                  + "' | cat - "
                  + hba
                  + " > "
                  + hba
                  + ".new && mv "
                  + hba
                  + ".new "
                  + hba),
          "pg_hba.conf");
      c.startServer();
      c.psql("postgres", "CREATE ROLE secured LOGIN CREATEDB PASSWORD '" + SECURED_PASSWORD + "'");
      return c;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void startServer() {
    pg(
        List.of(
            bin.resolve("pg_ctl").toString(),
            "-D",
            dir.resolve("data").toString(),
            "-l",
            dir.resolve("server.log").toString(),
            "-w",
            "-t",
            "60",
            "-o",
            "-p "
                + port
                + " -k "
                + dir
                + " -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off"
                + " -c max_connections=200",
            "start"),
        "pg_ctl start");
  }

  /** Stops the server (fast: sessions are cut) and starts it again on the same port. */
  public void restart() {
    pg(
        List.of(
            bin.resolve("pg_ctl").toString(),
            "-D",
            dir.resolve("data").toString(),
            "-m",
            "fast",
            "-w",
            "stop"),
        "pg_ctl stop");
    startServer();
  }

  /** A new, empty database; returns its URL ({@code postgresql://inflight@127.0.0.1:PORT/db}). */
  public String newDatabase() {
    String name = "t_" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
    psql("postgres", "CREATE DATABASE " + name);
    return url(name);
  }

  public String url(String database) {
    return "postgresql://inflight@127.0.0.1:" + port + "/" + database;
  }

  public int port() {
    return port;
  }

  /**
   * Runs {@code sql} with {@code psql} on {@code database}, as a person would by hand.
   *
   * @return what it did: exit code, output, errors
   */
  public Child.Result psql(String database, String sql) {
    Tools.require(bin.resolve("psql").toString(), "postgresql");
    ProcessBuilder pb =
        new ProcessBuilder(
            bin.resolve("psql").toString(),
            "-X",
            "-q",
            "-t",
            "-A",
            "-v",
            "ON_ERROR_STOP=1",
            "-h",
            "127.0.0.1",
            "-p",
            String.valueOf(port),
            "-U",
            "inflight",
            "-d",
            database,
            "-c",
            sql);
    pb.environment().put("PGOPTIONS", "-c search_path=inflight");
    return Child.start(pb, "psql " + sql).await();
  }

  private void pg(List<String> command, String what) {
    List<String> full = new ArrayList<>();
    if (asPostgres) {
      full.addAll(List.of("runuser", "-u", "postgres", "--"));
    }
    full.addAll(command);
    run(full, what);
  }

  private static void run(List<String> command, String what) {
    Child.Result r = Child.start(new ProcessBuilder(command), what).await();
    if (r.code() != 0) {
      throw new AssertionError(what + " failed (" + r.code() + "): " + r.out() + r.err());
    }
  }

  private void stopQuietly() {
    try {
      List<String> full = new ArrayList<>();
      if (asPostgres) {
        full.addAll(List.of("runuser", "-u", "postgres", "--"));
      }
      full.addAll(
          List.of(
              bin.resolve("pg_ctl").toString(),
              "-D",
              dir.resolve("data").toString(),
              "-m",
              "immediate",
              "-w",
              "stop"));
      new ProcessBuilder(full).redirectErrorStream(true).start().waitFor();
      try (Stream<Path> walk = Files.walk(dir)) {
        walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    } catch (IOException | InterruptedException ignored) {
      // the JVM is exiting
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  private static Path findBin() {
    Path base = Path.of("/usr/lib/postgresql");
    if (Files.isDirectory(base)) {
      try (Stream<Path> versions = Files.list(base)) {
        Path best =
            versions
                .map(v -> v.resolve("bin"))
                .filter(b -> Files.isExecutable(b.resolve("initdb")))
                .max(Comparator.comparing(b -> b.getParent().getFileName().toString()))
                .orElse(null);
        if (best != null) {
          return best;
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    throw new AssertionError(
        "the PostgreSQL server programs (initdb, pg_ctl) are needed by this test and are not"
            + " installed: apt-get install postgresql (.ci/run does)");
  }
}
