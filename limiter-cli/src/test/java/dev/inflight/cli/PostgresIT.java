package dev.inflight.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.inflight.testing.PgCluster;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The command on a PostgreSQL database: {@code --db URL} and {@code INFLIGHT_DATABASE_URL} reach
 * the same database from config roots of their own (as from two machines), a password is never
 * printed, and a server that cannot be used is one line naming it, exit 1.
 */
class PostgresIT {
  @TempDir Path dir;
  PgCluster pg;
  String database;
  String url;

  @BeforeEach
  void database() {
    pg = PgCluster.shared();
    database = pg.newDatabase().replaceAll(".*/", "");
    pg.psql(database, "GRANT ALL ON DATABASE " + database + " TO secured");
    url =
        "postgresql://secured:"
            + PgCluster.SECURED_PASSWORD
            + "@127.0.0.1:"
            + pg.port()
            + "/"
            + database;
  }

  @Test
  void aLimitSetWithDb_holdsARunFromAnotherRoot_andStatusShowsTheUrlMasked() {
    Cli one = new Cli(dir.resolve("one"));
    Cli.Result set = one.run("--db", url, "limits", "set", "openai", "1");
    assertThat(set.code()).as(set.describe()).isZero();

    // Another root, the URL from the environment: the same database, the same limit.
    Cli.Running held =
        Cli.startRaw(
            Map.of("INFLIGHT_DATABASE_URL", url),
            "--home",
            dir.resolve("two").toString(),
            "run",
            "-p",
            "openai",
            "--label",
            "holder",
            "--",
            "sh",
            "-c",
            Cli.HOLD);
    held.awaitOut(line -> line.contains("holding"));
    Cli.Result busy =
        Cli.runRaw(
            Map.of("INFLIGHT_DATABASE_URL", url),
            "--home",
            dir.resolve("three").toString(),
            "run",
            "-p",
            "openai",
            "--timeout",
            "200ms",
            "--",
            "echo",
            "never");
    assertThat(busy.code()).as(busy.describe()).isEqualTo(75);

    Cli.Result json = one.run("--db", url, "status", "--json");
    assertThat(json.code()).as(json.describe()).isZero();
    assertThat(json.out())
        .contains("\"label\":\"holder\"")
        .contains("postgresql://secured:***@127.0.0.1:" + pg.port() + "/" + database)
        .doesNotContain(PgCluster.SECURED_PASSWORD);
    Cli.Result text = one.run("--db", url, "status");
    assertThat(text.out() + text.err()).doesNotContain(PgCluster.SECURED_PASSWORD);
    held.closeStdin();
    assertThat(held.await().code()).isZero();
  }

  @Test
  void aWrongPassword_isOneLine_exit1_withoutThePassword() {
    String wrong = url.replace(PgCluster.SECURED_PASSWORD, "not-the-password");
    Cli.Result r = new Cli(dir).run("--db", wrong, "status");
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err())
        .contains("cannot log in to the database 127.0.0.1:" + pg.port() + "/" + database)
        .doesNotContain("not-the-password")
        .doesNotContain("at org.")
        .hasLineCount(1);
  }

  @Test
  void aMalformedUrl_isBadInput_exit2() {
    Cli.Result r = new Cli(dir).run("--db", "postgresql://me:pw@/db", "status");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("database must name a host").doesNotContain(":pw@");
  }
}
