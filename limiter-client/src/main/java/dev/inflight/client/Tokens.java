package dev.inflight.client;

import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * Request tokens: 16 random bytes as hex. Read from {@code /dev/urandom} where it exists, which is
 * what {@link SecureRandom}'s default (NativePRNG) reads too, without setting up the security
 * providers first (20-45 ms of every start here); elsewhere, or if it cannot be read, from {@link
 * SecureRandom}.
 *
 * <p>Thread-safe: {@link #LOCK} guards the stream.
 */
final class Tokens {
  private static final Object LOCK = new Object();
  private static InputStream urandom; // guarded by LOCK; opened on first use, kept open
  private static boolean noUrandom; // guarded by LOCK

  private Tokens() {}

  static String next() {
    byte[] b = new byte[16];
    if (!fromUrandom(b)) {
      Fallback.RANDOM.nextBytes(b);
    }
    return HexFormat.of().formatHex(b);
  }

  private static boolean fromUrandom(byte[] b) {
    synchronized (LOCK) {
      if (noUrandom) {
        return false;
      }
      try {
        if (urandom == null) {
          urandom = new FileInputStream("/dev/urandom");
        }
        if (urandom.readNBytes(b, 0, b.length) == b.length) {
          return true;
        }
      } catch (IOException | SecurityException e) {
        // no such device here: SecureRandom from now on
      }
      noUrandom = true;
      return false;
    }
  }

  private static final class Fallback {
    static final SecureRandom RANDOM = new SecureRandom();
  }
}
