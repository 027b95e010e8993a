package dev.inflight.client;

/** The limiter could not do what was asked; the message says why and names the database. */
public class LimiterException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public LimiterException(String message, Throwable cause) {
    super(message, cause);
  }

  public LimiterException(String message) {
    super(message);
  }
}
