package dev.inflight.bench;

import dev.inflight.client.Lease;
import dev.inflight.client.Limiter;
import java.io.BufferedReader;
import java.io.PrintStream;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

/**
 * The worker roles of the {@code postgres} figure ({@link PgFigures}), started through {@link
 * Worker} like every worker. Lines on stdin/stdout as there; timestamps are {@link
 * System#nanoTime()}.
 */
final class PgWorker {
  private PgWorker() {}

  /**
   * {@code pg-spin HOME URL PORT FLOOR_DB}: a limiter on the PostgreSQL database URL, one on the
   * SQLite file under HOME, and a bare floor connection. On {@code run ENGINE PROVIDER FROM END}
   * (ENGINE {@code postgres}, {@code sqlite} or {@code floor}) it cycles tryAcquire+release (the
   * floor: its grant and release) as fast as it can until END, and answers {@code done CYCLES
   * BUSY}: the cycles that ended in [FROM, END), and the attempts that found the provider full
   * (there should be none: the limits leave room for every worker).
   */
  static void spin(String[] args, BufferedReader in, PrintStream out) throws Exception {
    Path home = Path.of(args[1]);
    try (Limiter pg = Limiter.builder().home(home).database(args[2]).build();
        Limiter lite = Limiter.builder().home(home).localDatabase().build();
        PgFloor floor = new PgFloor(Integer.parseInt(args[3]), args[4])) {
      out.println("ready");
      String line;
      while ((line = in.readLine()) != null && line.startsWith("run ")) {
        String[] cmd = line.split(" ");
        String provider = cmd[2];
        long from = Long.parseLong(cmd[3]);
        long end = Long.parseLong(cmd[4]);
        long cycles = 0;
        long busy = 0;
        long now;
        while ((now = System.nanoTime()) < end) {
          boolean done =
              switch (cmd[1]) {
                case "postgres" -> cycle(pg, provider);
                case "sqlite" -> cycle(lite, provider);
                case "floor" -> floor.cycle(provider, 1_000);
                default -> throw new IllegalArgumentException("no engine " + cmd[1]);
              };
          now = System.nanoTime();
          if (now >= from && now < end) {
            if (done) {
              cycles++;
            } else {
              busy++;
            }
          }
        }
        out.println("done " + cycles + " " + busy);
      }
    }
  }

  private static boolean cycle(Limiter limiter, String provider) {
    Optional<Lease> lease = limiter.tryAcquire(provider);
    lease.ifPresent(Lease::release);
    return lease.isPresent();
  }

  /**
   * {@code pg-handoff HOME URL PROVIDER PORT DB}: B of the PostgreSQL hand-off, and the waiter of
   * its floor. {@code go}: queue for PROVIDER on the limiter, say {@code queued}, and answer {@code
   * granted T} when the lease arrives. {@code listen}: say {@code listening}, block in the driver
   * until a notification on channel {@code bench} reaches this JVM's bare connection (LISTENing on
   * database DB since start), and answer {@code notified T}.
   */
  static void handoff(String[] args, BufferedReader in, PrintStream out) throws Exception {
    Path home = Path.of(args[1]);
    String provider = args[3];
    Properties p = new Properties();
    p.setProperty("user", PgServer.USER);
    p.setProperty("ApplicationName", "inflight-bench-listener");
    try (Limiter limiter = Limiter.builder().home(home).database(args[2]).build();
        Connection bare =
            DriverManager.getConnection(PgServer.jdbcUrl(Integer.parseInt(args[4]), args[5]), p)) {
      try (Statement s = bare.createStatement()) {
        s.execute("LISTEN bench");
      }
      PGConnection listener = bare.unwrap(PGConnection.class);
      limiter.status(); // loads the classes the timed path needs
      out.println("ready");
      String cmd;
      while ((cmd = in.readLine()) != null) {
        if (cmd.equals("go")) {
          CompletableFuture<Lease> f = limiter.acquireAsync(provider, "handoff-b");
          if (f.isDone()) {
            throw new IllegalStateException("B was granted at once: A did not hold the lease");
          }
          out.println("queued");
          Lease lease = f.get();
          long t1 = System.nanoTime();
          lease.close();
          out.println("granted " + t1);
        } else if (cmd.equals("listen")) {
          out.println("listening");
          PGNotification[] got;
          do {
            got = listener.getNotifications(30_000); // blocks on the socket until one arrives
          } while (got == null || got.length == 0);
          out.println("notified " + System.nanoTime());
        } else {
          return;
        }
      }
    }
  }
}
