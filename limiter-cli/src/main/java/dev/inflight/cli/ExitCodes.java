package dev.inflight.cli;

/** The command's exit codes, as the README documents them. */
final class ExitCodes {
  static final int OK = 0;

  /** Anything else that failed: the database could not be used, a lease id was not found. */
  static final int FAILURE = 1;

  /** Bad usage or invalid input; nothing was changed. */
  static final int USAGE = 2;

  /** {@code run --timeout} passed without a lease (sysexits' EX_TEMPFAIL: try again later). */
  static final int TIMEOUT = 75;

  /** {@code run}: COMMAND exists but cannot be executed (as env, timeout and shells report). */
  static final int CANNOT_EXECUTE = 126;

  /** {@code run}: COMMAND was not found (as env, timeout and shells report). */
  static final int NOT_FOUND = 127;

  private ExitCodes() {}
}
