package dev.inflight.store.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.inflight.store.EngineConfig;
import dev.inflight.store.Engines;
import dev.inflight.store.LeaseEngine;
import dev.inflight.store.LimitChange;
import dev.inflight.store.StoreException;
import dev.inflight.testing.PgCluster;
import java.net.ServerSocket;
import org.junit.jupiter.api.Test;

/**
 * What a user is told when the PostgreSQL database cannot be used: each failure names the host, the
 * port and the database, says what to do, and never shows the password.
 */
class PostgresErrorsTest {
  private static final String PASSWORD = "hunter2-do-not-print";

  private static LeaseEngine open(String url) {
    return Engines.open(EngineConfig.ofUrl(url));
  }

  @Test
  void aServerThatIsNotThere_isNamed_withoutThePassword() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort(); // closed again: nothing listens there
    }
    String url = "postgresql://inflight:" + PASSWORD + "@127.0.0.1:" + port + "/team";
    assertThatThrownBy(() -> open(url))
        .isInstanceOfSatisfying(
            StoreException.class,
            e -> {
              assertThat(e.kind()).isEqualTo(StoreException.Kind.UNREACHABLE);
              assertThat(e.location()).doesNotContain(PASSWORD).contains(":***@");
            })
        .hasMessageContaining("127.0.0.1:" + port + "/team")
        .hasMessageContaining("check that PostgreSQL runs there")
        .hasMessageNotContaining(PASSWORD);
  }

  @Test
  void aMissingDatabase_isNamed_withTheCommandThatCreatesIt() {
    PgCluster pg = PgCluster.shared();
    String url = pg.url("no_such_db").replace("inflight@", "inflight:" + PASSWORD + "@");
    assertThatThrownBy(() -> open(url))
        .hasMessageContaining("127.0.0.1:" + pg.port() + "/no_such_db does not exist")
        .hasMessageContaining("createdb -h 127.0.0.1 -p " + pg.port() + " no_such_db")
        .hasMessageNotContaining(PASSWORD);
  }

  @Test
  void aWrongPassword_isRefused_namingWhereToFixIt_butNotThePassword() {
    PgCluster pg = PgCluster.shared();
    String database = pg.newDatabase().replaceAll(".*/", "");
    String wrong = "postgresql://secured:" + PASSWORD + "@127.0.0.1:" + pg.port() + "/" + database;
    assertThatThrownBy(() -> open(wrong))
        .hasMessageContaining("cannot log in to the database 127.0.0.1:" + pg.port())
        .hasMessageContaining("PGPASSWORD or ~/.pgpass")
        .hasMessageNotContaining(PASSWORD);
    String right =
        "postgresql://secured:"
            + PgCluster.SECURED_PASSWORD
            + "@127.0.0.1:"
            + pg.port()
            + "/"
            + database
            + "?ApplicationName=inflight-test";
    pg.psql(database, "GRANT ALL ON DATABASE " + database + " TO secured");
    try (LeaseEngine e = open(right)) {
      assertThat(e.location())
          .isEqualTo(
              "postgresql://secured:***@127.0.0.1:"
                  + pg.port()
                  + "/"
                  + database
                  + "?ApplicationName=inflight-test");
    }
  }

  @Test
  void aNewerSchema_isRefusedAtOpen_andByAProcessThatWasRunning() {
    PgCluster pg = PgCluster.shared();
    String url = pg.newDatabase();
    String database = url.replaceAll(".*/", "");
    try (LeaseEngine running = open(url)) {
      running.setLimit(new LimitChange("openai", 2, 0, false));
      assertThat(pg.psql(database, "UPDATE database_info SET schema_version = 5").code()).isZero();
      assertThatThrownBy(() -> running.setLimit(new LimitChange("openai", 3, 0, false)))
          .isInstanceOfSatisfying(
              StoreException.class,
              e -> assertThat(e.kind()).isEqualTo(StoreException.Kind.NEWER_SCHEMA))
          .hasMessageContaining("changed to schema version 5 while this process ran")
          .hasMessageContaining("writes schema version 4 only");
    }
    assertThatThrownBy(() -> open(url))
        .hasMessageContaining("has schema version 5, newer than this inflight knows (4)");
    assertThat(pg.psql(database, "SELECT max_in_flight FROM limits").out().trim()).isEqualTo("2");
  }

  @Test
  void aMalformedUrl_isRefused_namingTheRule_withItsPasswordMasked() {
    assertThatThrownBy(() -> Engines.checkUrl("postgresql://me:" + PASSWORD + "@/db"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("database must name a host")
        .hasMessageContaining("postgresql://me:***@/db")
        .hasMessageNotContaining(PASSWORD);
    assertThatThrownBy(() -> Engines.checkUrl("mysql://host/db"))
        .hasMessageContaining("database must be a URL of the form postgresql://");
  }
}
