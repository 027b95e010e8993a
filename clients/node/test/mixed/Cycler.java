// A Java process for mixed.test.mjs, run from source against the command's jar (whose manifest
// lists the library): `java -cp limiter-cli/target/limiter-cli.jar Cycler.java HOME PROVIDER
// LABEL WITNESS COUNT`. Prints `ready` once its limiter is open, waits for a line on stdin, then
// takes COUNT leases one after another through the library, and around each holding appends
// `+ LABEL#i` / `- LABEL#i` to the witness, one write(2) per line on an O_APPEND descriptor, like
// the Python and Node cyclers beside it.

import dev.inflight.client.Lease;
import dev.inflight.client.Limiter;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.locks.LockSupport;

public final class Cycler {
  public static void main(String[] args) throws Exception {
    java.util.logging.LogManager.getLogManager().reset(); // the witness is the output
    Path home = Path.of(args[0]);
    String provider = args[1];
    String label = args[2];
    int count = Integer.parseInt(args[4]);
    try (FileChannel w =
            FileChannel.open(
                Path.of(args[3]),
                StandardOpenOption.CREATE,
                StandardOpenOption.WRITE,
                StandardOpenOption.APPEND);
        Limiter limiter = Limiter.builder().home(home).build()) {
      System.out.println("ready");
      System.out.flush();
      new java.io.BufferedReader(new java.io.InputStreamReader(System.in)).readLine(); // go
      for (int i = 0; i < count; i++) {
        String name = label + "#" + i;
        try (Lease lease = limiter.acquire(provider, name, Duration.ofMinutes(2))) {
          write(w, "+ " + name);
          // the simulated request: the workload, not a test waiting for time to pass
          LockSupport.parkNanos(ThreadLocalRandom.current().nextLong(2_000_000));
          write(w, "- " + name);
        }
      }
    }
  }

  private static void write(FileChannel w, String line) throws java.io.IOException {
    w.write(ByteBuffer.wrap((line + "\n").getBytes(StandardCharsets.UTF_8)));
  }
}
