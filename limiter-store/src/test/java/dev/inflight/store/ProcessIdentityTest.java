package dev.inflight.store;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** How a {@code /proc/PID/stat} line decides whether a process has ended. */
class ProcessIdentityTest {

  /** The fields after the command name of a stat line: state, …, flags (9), num_threads (20). */
  static String[] stat(String state, long flags, int threads) {
    String[] rest = new String[50];
    java.util.Arrays.fill(rest, "0");
    rest[0] = state;
    rest[6] = Long.toString(flags);
    rest[17] = Integer.toString(threads);
    rest[19] = "123456";
    return rest;
  }

  @Test
  void runningOrSleepingProcess_isNotFinished() {
    assertThat(ProcessIdentity.finished(stat("R", 0x400000, 1))).isFalse();
    assertThat(ProcessIdentity.finished(stat("S", 0x400040, 23))).isFalse();
  }

  @Test
  void zombieAwaitingItsParent_isFinished() {
    assertThat(ProcessIdentity.finished(stat("Z", 0x400000, 1))).isTrue();
    assertThat(ProcessIdentity.finished(stat("X", 0, 1))).isTrue();
  }

  @Test
  void processInsideExit_isFinished() {
    assertThat(ProcessIdentity.finished(stat("D", 0x400004, 1))).isTrue();
  }

  @Test
  void zombieLeaderWithLiveThreads_isStillAlive() {
    assertThat(ProcessIdentity.finished(stat("Z", 0x400004, 4))).isFalse();
  }

  @Test
  void thisJvm_isAliveWithItsOwnStartToken() {
    ProcessIdentity me = ProcessIdentity.current();
    assertThat(ProcessIdentity.isAlive(me.pid(), me.startToken())).isTrue();
    assertThat(ProcessIdentity.isAlive(me.pid(), me.startToken() + "1")).isFalse();
  }

  @Test
  void killedChild_isDeadOnceItExits() throws Exception {
    Process p = new ProcessBuilder("sleep", "600").start();
    String token = ProcessIdentity.startTokenOf(p.pid()).orElseThrow();
    assertThat(ProcessIdentity.isAlive(p.pid(), token)).isTrue();
    p.destroyForcibly().waitFor();
    assertThat(ProcessIdentity.isAlive(p.pid(), token)).isFalse();
  }

  @Test
  void storedUnknownStartTime_isCheckedByPidAlone() {
    long me = ProcessHandle.current().pid();
    assertThat(ProcessIdentity.isAlive(me, "unknown")).isTrue();
    assertThat(ProcessIdentity.isAlive(Integer.MAX_VALUE - 1L, "unknown")).isFalse();
  }

  @Test
  void hostAndProgramNames_withControlCharacters_areRecordedWithoutThem() {
    assertThat(ProcessIdentity.displayable("box\u001b[31mred\n")).isEqualTo("box?[31mred?");
    assertThat(ProcessIdentity.displayable("caf\u00e9")).isEqualTo("caf\u00e9");
  }
}
