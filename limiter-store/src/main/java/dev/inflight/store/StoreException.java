package dev.inflight.store;

import java.util.Objects;

/**
 * The shared database could not be opened, read or written. The message always names the database
 * and says what went wrong in words a user can act on; the cause keeps the driver's detail.
 */
public class StoreException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** What kind of failure this is, so that callers can decide without parsing messages. */
  public enum Kind {
    /** Another process held the write lock past the busy timeout: the same call may succeed. */
    BUSY,
    /** The file is damaged or is not a database. */
    CORRUPT,
    /** The file or its directory cannot be created, opened or written by this user. */
    UNWRITABLE,
    /** The disk is full or an I/O operation failed. */
    IO,
    /** The database refused a row (a CHECK, a trigger, a uniqueness rule). */
    REFUSED,
    /** The schema is newer than this code understands. */
    NEWER_SCHEMA,
    /** The file holds tables that are not inflight's. */
    FOREIGN,
    /** A database existed here and is now empty or missing: its limits would be lost. */
    EMPTIED,
    /** The database's files were deleted or replaced while processes used them. */
    REPLACED,
    /** The database server cannot be reached, or closed the connection. */
    UNREACHABLE,
    /** Anything else. */
    OTHER
  }

  private final String location;
  private final Kind kind;

  public StoreException(String location, Kind kind, String message, Throwable cause) {
    super(message, cause);
    this.location = Objects.requireNonNull(location, "location");
    this.kind = Objects.requireNonNull(kind, "kind");
  }

  public StoreException(String location, Kind kind, String message) {
    this(location, kind, message, null);
  }

  /** The database the failure is about (a file path, or a URL without its password). */
  public String location() {
    return location;
  }

  public Kind kind() {
    return kind;
  }

  /** Whether the same call may succeed when tried again (the database was only busy). */
  public boolean retryable() {
    return kind == Kind.BUSY;
  }
}
