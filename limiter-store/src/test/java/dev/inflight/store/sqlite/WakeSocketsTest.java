package dev.inflight.store.sqlite;

import static org.assertj.core.api.Assertions.assertThat;

import dev.inflight.store.Rows.Grant;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Wake-up sockets between two engines' processes: what the woken one hears of each message. */
class WakeSocketsTest {
  @TempDir Path dir;
  WakeSockets woken;
  WakeSockets waker;
  final LinkedBlockingQueue<List<Grant>> heard = new LinkedBlockingQueue<>();
  static final long OWNER = 7;

  @BeforeEach
  void listen() {
    LockFiles files = new LockFiles(dir.resolve("limiter.db"));
    woken = new WakeSockets(files);
    woken.subscribe(heard::add);
    woken.listen(OWNER);
    waker = new WakeSockets(files);
  }

  @AfterEach
  void close() {
    woken.close();
    waker.close();
  }

  private List<Grant> next() throws InterruptedException {
    List<Grant> g = heard.poll(30, TimeUnit.SECONDS); // guards against a hang only
    assertThat(g).as("a wake-up").isNotNull();
    return g;
  }

  private void sendRaw(String text) throws Exception {
    try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      ch.connect(UnixDomainSocketAddress.of(dir.resolve("procs").resolve(OWNER + ".sock")));
      if (!text.isEmpty()) {
        ch.write(ByteBuffer.wrap(text.getBytes(StandardCharsets.US_ASCII)));
      }
    }
  }

  @Test
  void aWakeUp_namesTheGrantsItsWakerCommitted() throws Exception {
    Grant a = new Grant("0123456789abcdef0123456789abcdef", 41, 1_700_000_000_000L);
    Grant b = new Grant("fedcba9876543210fedcba9876543210", 42, 1_700_000_000_001L);
    waker.wake(Map.of(OWNER, List.of(a, b)));
    assertThat(next()).containsExactly(a, b);
  }

  @Test
  void aClientThatOnlyConnects_wakesAll_theSame_withNothingNamed() throws Exception {
    sendRaw("");
    assertThat(next()).isEmpty();
  }

  @Test
  void aMessageNotUnderstoodInFull_namesNothing_soThatTheOwnerReads() throws Exception {
    sendRaw("grant 0123456789abcdef0123456789abcdef 41 1700000000000\nhello\n");
    assertThat(next()).isEmpty();
    sendRaw("grant 0123456789abcdef0123456789abcdef 41 17000"); // cut short
    assertThat(next()).isEmpty();
    sendRaw("grant short 41 1700000000000\n");
    assertThat(next()).isEmpty();
  }

  @Test
  void anOwnerOfThisEngine_isToldDirectly_withItsGrants() {
    List<List<Grant>> direct = new java.util.ArrayList<>();
    waker.subscribe(direct::add);
    waker.listen(8);
    Grant g = new Grant("0123456789abcdef0123456789abcdef", 5, 0);
    waker.wake(Map.of(8L, List.of(g)));
    assertThat(direct).containsExactly(List.of(g)); // on the committer's thread, no socket
    assertThat(heard).isEmpty();
  }

  @Test
  void grantsThatCannotAllBeNamed_areSentAsABareWakeUp_soThatNoneIsMissed() throws Exception {
    Grant plain = new Grant("0123456789abcdef0123456789abcdef", 41, 1);
    Grant foreign = new Grant("a foreign token with spaces", 42, 1);
    waker.wake(Map.of(OWNER, List.of(plain, foreign)));
    assertThat(next()).isEmpty();

    List<Grant> many = new java.util.ArrayList<>();
    for (int i = 0; i < 100; i++) {
      many.add(new Grant(String.format("%032d", i), i + 1, 1_700_000_000_000L));
    }
    waker.wake(Map.of(OWNER, many)); // more than one message holds
    assertThat(next()).isEmpty();
  }
}
