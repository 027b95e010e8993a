package dev.inflight.store;

/**
 * Why admission to a provider is paused until a time, as recorded in {@code
 * admission.pause_reason}. The text is the protocol: other clients write and read the same words.
 */
public enum PauseReason {
  /** No timed pause is in force. */
  NONE(""),
  /** A lease was released as rate-limited: the provider answered 429. */
  PROVIDER_429("429 from the provider"),
  /** A 429 that no lease carried was reported (a script, another tool). */
  REPORTED_429("429 reported"),
  /** A reason some other client wrote; its text is kept as it was. */
  OTHER("429");

  private final String text;

  PauseReason(String text) {
    this.text = text;
  }

  /** The words written to the database and shown to people. */
  public String text() {
    return text;
  }

  /** The reason a stored text names; {@link #OTHER} for words this code does not know. */
  public static PauseReason fromText(String text) {
    if (text == null || text.isEmpty()) {
      return NONE;
    }
    for (PauseReason r : values()) {
      if (r != NONE && r != OTHER && r.text.equals(text)) {
        return r;
      }
    }
    return OTHER;
  }
}
