package dev.inflight.client;

import java.util.concurrent.ThreadFactory;

/** The limiter's threads: daemons (they never keep the JVM alive), named for thread dumps. */
final class Threads {
  private Threads() {}

  static ThreadFactory daemon(String name) {
    return r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    };
  }
}
