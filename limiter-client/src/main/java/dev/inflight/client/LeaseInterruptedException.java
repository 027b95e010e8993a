package dev.inflight.client;

/**
 * The waiting thread was interrupted. The request has left the queue and the thread's interrupt
 * flag is set again.
 */
public class LeaseInterruptedException extends LimiterException {
  private static final long serialVersionUID = 1L;

  public LeaseInterruptedException(String message, Throwable cause) {
    super(message, cause);
  }
}
