package dev.inflight.store.sqlite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The process's few connections: reused, bounded, evicted when broken, closed at the end. */
class ConnectionsTest {
  final AtomicInteger opened = new AtomicInteger();
  final List<String> closed = new ArrayList<>();

  Connection fake() {
    int n = opened.incrementAndGet();
    return (Connection)
        Proxy.newProxyInstance(
            Connection.class.getClassLoader(),
            new Class<?>[] {Connection.class},
            (p, m, a) -> {
              if (m.getName().equals("close")) {
                synchronized (closed) {
                  closed.add("c" + n);
                }
              }
              return switch (m.getName()) {
                case "toString" -> "c" + n;
                case "equals" -> p == a[0];
                case "hashCode" -> System.identityHashCode(p);
                default -> null;
              };
            });
  }

  @Test
  void aReturnedConnection_isReused_andOnlyAsManyAreOpenedAsAreInUseAtOnce() throws Exception {
    Connections pool = new Connections(this::fake, 3, TimeUnit.SECONDS.toNanos(5), () -> "db");
    Connection a = pool.borrow();
    pool.giveBack(a);
    assertThat(pool.borrow()).isSameAs(a);
    Connection b = pool.borrow();
    assertThat(b).isNotSameAs(a);
    assertThat(opened).hasValue(2);
  }

  @Test
  void whenAllAreInUse_aCallerWaitsForOneToComeBack() throws Exception {
    Connections pool = new Connections(this::fake, 1, TimeUnit.SECONDS.toNanos(30), () -> "db");
    Connection only = pool.borrow();
    CompletableFuture<Connection> waiting =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return pool.borrow();
              } catch (SQLException e) {
                throw new IllegalStateException(e);
              }
            });
    assertThat(waiting).isNotDone();
    pool.giveBack(only);
    assertThat(waiting.get(30, TimeUnit.SECONDS)).isSameAs(only);
  }

  @Test
  void whenAllStayInUsePastTheTimeout_theErrorNamesTheDatabase() throws Exception {
    Connections pool = new Connections(this::fake, 1, 0, () -> "/home/u/limiter.db");
    pool.borrow();
    assertThatThrownBy(pool::borrow)
        .isInstanceOf(SQLException.class)
        .hasMessageContaining("/home/u/limiter.db")
        .hasMessageContaining("1 connections");
  }

  @Test
  void anEvictedConnection_isClosedAndReplaced_andCloseClosesTheRest() throws Exception {
    Connections pool = new Connections(this::fake, 1, 0, () -> "db");
    Connection broken = pool.borrow();
    pool.evict(broken);
    Connection fresh = pool.borrow();
    assertThat(fresh).isNotSameAs(broken);
    assertThat(closed).containsExactly("c1");
    pool.giveBack(fresh);
    pool.close();
    assertThat(closed).containsExactly("c1", "c2");
    assertThatThrownBy(pool::borrow).hasMessageContaining("closed");
  }
}
