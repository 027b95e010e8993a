package dev.inflight.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A database that was emptied, or whose WAL was deleted while processes used it, is said so loudly
 * with its path; limits are never lost silently and the database is never split in two.
 */
class DatabaseLossIT {
  @TempDir Path home;

  @Test
  void emptiedDatabase_isRefusedWithBothPaths_andNothingIsRecreated() throws IOException {
    Cli cli = new Cli(home);
    assertThat(cli.run("limits", "set", "openai", "4").code()).isZero();
    Path db = home.resolve("limiter.db");
    Files.write(db, new byte[0]);

    Cli.Result r = cli.run("status");

    assertThat(r.code()).as(r.describe()).isEqualTo(1);
    assertThat(r.err())
        .contains("the database " + db + " is empty")
        .contains(home.resolve("limiter.db.id").toString())
        .contains("its limits would be lost")
        .doesNotContain("\tat ");
    assertThat(Files.size(db)).isZero();
  }

  @Test
  void walDeletedWhileAHolderRuns_laterProcessesAreRefused_andTheHolderSaysSo() throws Exception {
    Cli cli = new Cli(home);
    assertThat(cli.run("limits", "set", "p", "1").code()).isZero();
    Cli.Running holder = cli.start("run", "-p", "p", "--", "sh", "-c", Cli.HOLD);
    holder.awaitOut(l -> l.equals("holding"));
    Path db = home.resolve("limiter.db");
    Files.delete(db.resolveSibling("limiter.db-wal"));
    Files.delete(db.resolveSibling("limiter.db-shm"));

    Cli.Result second = cli.run("run", "-p", "p", "--timeout", "5s", "--", "true");
    Cli.Result edit = cli.run("limits", "set", "p", "5");

    for (Cli.Result r : new Cli.Result[] {second, edit}) {
      assertThat(r.code()).as(r.describe()).isEqualTo(1);
      assertThat(r.err())
          .contains("cannot open the database " + db)
          .contains("was deleted while they ran")
          .contains("pid " + holder.pid());
    }
    // The holder notices at its next heartbeat.
    holder.awaitErr(l -> l.contains("deleted or replaced while this process had it open"));
    holder.closeStdin();
    assertThat(holder.await().code()).isZero();

    // Once every process that had the old files open has exited, the database is whole again.
    Cli.Result after = cli.run("status", "--json");
    assertThat(after.code()).as(after.describe()).isZero();
    assertThat(after.json().get("leases")).isEmpty();
    assertThat(after.json().get("providers").get(0).get("limit").asInt()).isEqualTo(1);
  }
}
