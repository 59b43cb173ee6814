/** The error of a connection to PostgreSQL that broke below SQL: its socket, TLS or messages. */

/** An error with the code connect.ts translates; `cause` keeps what the driver threw. */
export class WireError extends Error {
  override name = "WireError";
  readonly code: string;

  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }
}
