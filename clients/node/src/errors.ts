/** A problem with the database or the files beside it. `file` names the file concerned. */
export class DatabaseError extends Error {
  override name = 'DatabaseError';
  constructor(
    message: string,
    readonly file: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The database is not one this client may use: missing, at another schema version, replaced.
 * Nothing was written. */
export class SchemaError extends DatabaseError {
  override name = 'SchemaError';
  constructor(
    message: string,
    file: string,
    /** The schema version found (0 for a missing or empty file), when that was the problem. */
    readonly version?: number,
  ) {
    super(message, file);
  }
}

/** No lease within the timeout; the message names the provider's state. */
export class LeaseTimeoutError extends Error {
  override name = 'TimeoutError';
}
