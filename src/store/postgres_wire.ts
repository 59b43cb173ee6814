/**
 * A check of every message a PostgreSQL server sends, made before postgres.js reads it.
 * postgres.js 3.4.9 trusts the server: a RowDescription whose name has no NUL terminator makes it
 * loop forever (connection.js `while (x[index++] !== 0)`), a message shorter than its type needs
 * throws from an async handler where no promise catches it, a claimed length is buffered without
 * bound, unknown messages print "Postgres.js : Unknown …" lines, and it accepts a SCRAM exchange
 * that skips the server's proof. So dpo frames the byte stream itself, checks each message's
 * structure (not its meaning, which stays the driver's: postgres_reply_check.ts, with the
 * authentication exchange in postgres_auth_check.ts) and hands only whole, well-formed messages
 * on; anything else ends the connection with a PROTOCOL_ERROR.
 */
import { Buffer } from "node:buffer";
import type { Socket } from "node:net";
import { ReplyCheck } from "./postgres_reply_check.ts";
import { WireError } from "./postgres_wire_error.ts";

export { WireError };

export interface WireCheckOptions {
  /** host:port, for messages. */
  where: string;
  /** Whether a password was given: a server asking for one without it fails at once. */
  hasPassword: boolean;
  /** Called once with the error, before the socket is destroyed with it. */
  onViolation(error: WireError): void;
}

/**
 * Puts the check between the socket and postgres.js: the socket's "data" events carry only
 * whole messages that passed, and an exception the driver throws while reading one ends the
 * connection instead of the process.
 */
export function checkReplies(socket: Socket, options: WireCheckOptions): void {
  const check = new ReplyCheck(options);
  let pending: Buffer = Buffer.alloc(0);
  let failed = false;
  // deno-lint-ignore no-explicit-any
  const emit = socket.emit as (...args: any[]) => boolean;
  const fail = (error: unknown) => {
    failed = true;
    const failure = asWireError(error, options.where);
    options.onViolation(failure);
    socket.destroy(failure);
  };
  // The whole messages received so far, checked, go on; the rest waits for the next chunk.
  const passWholeMessages = (target: Socket, data: Uint8Array | string): boolean => {
    try {
      const chunk = Buffer.isBuffer(data) ? data : Buffer.from(data);
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      const end = check.wholeMessages(pending);
      if (end === 0) return true;
      const complete = pending.subarray(0, end);
      pending = pending.subarray(end);
      return emit.apply(target, ["data", complete]);
    } catch (error) {
      fail(error);
      return false;
    }
  };
  // deno-lint-ignore no-explicit-any
  socket.emit = function (this: Socket, event: string | symbol, ...args: any[]): boolean {
    if (event === "data") return failed ? false : passWholeMessages(this, args[0]);
    // A server that hangs up inside a message is broken, not restarting: no retry.
    if ((event === "end" || event === "close") && pending.length > 0 && !failed) {
      fail(
        new WireError(
          "PROTOCOL_ERROR",
          `the server at ${options.where} closed the connection in the middle of a message`,
        ),
      );
    }
    return emit.apply(this, [event, ...args]);
  };
  const write = socket.write;
  // deno-lint-ignore no-explicit-any
  socket.write = function (this: Socket, chunk: any, ...rest: any[]): boolean {
    check.sent(chunk);
    return write.apply(this, [chunk, ...rest] as Parameters<Socket["write"]>);
  };
}

// A check's own error as it is; anything the driver threw while reading a message, wrapped.
function asWireError(error: unknown, where: string): WireError {
  if (error instanceof WireError) return error;
  return new WireError(
    "PROTOCOL_ERROR",
    `the driver could not read a reply of the server at ${where}: ` +
      `${(error as Error)?.message ?? error}`,
    { cause: error },
  );
}
