package dev.inflight.store;

import java.nio.file.Path;

/**
 * The shared database could not be opened, read or written. The message always names the database
 * file and says what went wrong in words a user can act on; the cause keeps the driver's detail.
 */
public class StoreException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final transient Path path;

  public StoreException(Path path, String message, Throwable cause) {
    super(message, cause);
    this.path = path;
  }

  public StoreException(Path path, String message) {
    this(path, message, null);
  }

  /** The database file the failure is about. */
  public Path path() {
    return path;
  }
}
