/**
 * The two ways the server connection fails. Both carry a `code`, which connect.ts translates
 * into one line: a server's SQLSTATE (`28P01`, `57014`…), or a client-side code named as Node
 * and libpq name them (`ECONNREFUSED`, `CONNECT_TIMEOUT`, `CONNECTION_CLOSED`…).
 */

/** An ErrorResponse: the server's fields, keyed as the protocol names them. */
export class ServerError extends Error {
  override name = "ServerError";
  readonly code: string;
  readonly severity: string;
  readonly detail?: string;
  readonly hint?: string;

  constructor(fields: Map<string, string>) {
    super(fields.get("M") ?? "unknown server error");
    this.code = fields.get("C") ?? "XX000";
    this.severity = fields.get("V") ?? fields.get("S") ?? "ERROR";
    this.detail = fields.get("D");
    this.hint = fields.get("H");
  }
}

/** Client-side codes: the connection could not be made, or was lost. */
export type ClientErrorCode =
  | "ECONNREFUSED"
  | "ECONNRESET"
  | "ENOTFOUND"
  | "CONNECT_TIMEOUT"
  | "CONNECTION_CLOSED"
  | "NO_PASSWORD"
  | "TLS_NOT_OFFERED"
  | "AUTH_UNSUPPORTED"
  | "PROTOCOL_ERROR";

export class ClientError extends Error {
  override name = "ClientError";
  readonly code: ClientErrorCode;

  constructor(code: ClientErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }
}

/** Deno's socket errors under the codes retry.ts and connect.ts know. */
export function socketError(error: unknown, where: string): unknown {
  if (error instanceof Deno.errors.ConnectionRefused) {
    return new ClientError("ECONNREFUSED", `connect ECONNREFUSED ${where}`, { cause: error });
  }
  if (
    error instanceof Deno.errors.ConnectionReset || error instanceof Deno.errors.BrokenPipe ||
    error instanceof Deno.errors.ConnectionAborted
  ) {
    return new ClientError("ECONNRESET", `the connection to ${where} was reset`, {
      cause: error,
    });
  }
  const message = (error as Error)?.message ?? "";
  if (/failed to lookup address|Name or service not known|dns error/i.test(message)) {
    return new ClientError("ENOTFOUND", `getaddrinfo ENOTFOUND ${where}`, { cause: error });
  }
  return error;
}
