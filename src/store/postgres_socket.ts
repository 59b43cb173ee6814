/**
 * The socket dpo hands postgres.js, opened as libpq would: the URL's servers in order, a Unix
 * socket or TCP, and TLS as libpq's sslmode says (postgres.js's own `ssl` option differs: its
 * "require" goes on with TLS after the server said no, and it has no verify-ca without a host
 * name check). The socket passes each reply through postgres_wire.ts's check.
 */
import { Buffer } from "node:buffer";
import { connect as connectTcp, isIP, type Socket } from "node:net";
import { checkServerIdentity, connect as connectTls, type ConnectionOptions } from "node:tls";
import { DatabaseError } from "../errors.ts";
import { describeAddress, type PostgresSettings, type ServerAddress } from "../postgres_url.ts";
import { WireError } from "./postgres_wire_error.ts";

/** How TLS goes for a server: never, if the server offers it (unverified), or always. */
export type TlsPolicy =
  | { kind: "disable" }
  | { kind: "prefer" }
  | { kind: "require"; options: ConnectionOptions; verifyHost: boolean; direct: boolean };

/** Certificate codes connect.ts explains; any other TLS failure is a broken handshake. */
const CERTIFICATE_CODES = new Set([
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "CERT_SIGNATURE_FAILURE",
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "ERR_TLS_CERT_ALTNAME_INVALID",
]);

/** Socket errors after which the next server of the URL is tried. */
const UNREACHABLE_CODES = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ETIMEDOUT",
  "ENOENT",
]);

/** The sslmode in node:tls terms; reads sslrootcert, sslcert and sslkey now, once. */
export function tlsPolicy(tls: PostgresSettings["tls"]): TlsPolicy {
  if (tls.mode === "disable") return { kind: "disable" };
  if ((tls.mode === "allow" || tls.mode === "prefer") && tls.clientCert === undefined) {
    // TLS when the server offers it, unverified; a root certificate does not change that.
    return { kind: "prefer" };
  }
  const verify = tls.mode === "verify-ca" || tls.mode === "verify-full";
  const options: ConnectionOptions = { rejectUnauthorized: verify };
  if (tls.clientCert) {
    options.cert = readPem(tls.clientCert.cert, "sslcert", "CERTIFICATE");
    options.key = readPem(tls.clientCert.key, "sslkey", "PRIVATE KEY");
  }
  if (verify && tls.rootCert !== undefined && tls.rootCert !== "system") {
    options.ca = readPem(tls.rootCert, "sslrootcert", "CERTIFICATE");
  }
  return { kind: "require", options, verifyHost: tls.mode === "verify-full", direct: tls.direct };
}

/**
 * libpq's verify-full check of the certificate against the host dpo connected to (Deno's
 * node:tls passes "localhost" as the name when the host is an IP address).
 */
export function hostCheck(host: string): ConnectionOptions["checkServerIdentity"] {
  return (_servername, certificate) =>
    checkServerIdentity(isIP(host) ? host : host.toLowerCase(), certificate);
}

/** Connects to the first of the servers that answers, negotiating TLS; aborted by `signal`. */
export async function openSocket(
  addresses: readonly ServerAddress[],
  tls: TlsPolicy,
  signal: AbortSignal,
): Promise<{ socket: Socket; address: ServerAddress }> {
  let lastError: unknown;
  for (const address of addresses) {
    try {
      return { socket: await openOne(address, tls, signal), address };
    } catch (error) {
      lastError = error;
      if (signal.aborted || !UNREACHABLE_CODES.has((error as { code?: string }).code ?? "")) {
        throw error;
      }
    }
  }
  throw lastError;
}

async function openOne(address: ServerAddress, tls: TlsPolicy, signal: AbortSignal) {
  const where = describeAddress(address);
  const unixSocket = address.host.startsWith("/");
  if (tls.kind === "require" && tls.direct && !unixSocket) {
    // PostgreSQL 17's direct negotiation: TLS at once, ALPN "postgresql".
    const socket = connectTls({
      ...tlsOptions(address, tls),
      host: address.host,
      port: address.port,
      ALPNProtocols: ["postgresql"],
    });
    return await settled(socket, "secureConnect", signal, where);
  }
  const plain = unixSocket
    ? connectTcp({ path: `${address.host}/.s.PGSQL.${address.port}` })
    : connectTcp({ host: address.host, port: address.port, noDelay: true });
  await settled(plain, "connect", signal, where);
  // libpq ignores sslmode on Unix sockets, and so does the server: there is nothing to encrypt.
  if (tls.kind === "disable" || unixSocket) return plain;
  plain.write(SSL_REQUEST);
  const answer = await firstChunk(plain, signal, where);
  if (answer.length !== 1 || (answer[0] !== S && answer[0] !== N)) {
    plain.destroy();
    // libpq refuses bytes after the answer too: they came unencrypted where TLS should start.
    throw new WireError(
      "PROTOCOL_ERROR",
      answer.length > 1 && (answer[0] === S || answer[0] === N)
        ? `the server at ${where} sent unencrypted data after its answer to the TLS request`
        : `the server at ${where} does not speak PostgreSQL's protocol: check the URL's host and port`,
    );
  }
  if (answer[0] === N) {
    if (tls.kind === "prefer") return plain;
    plain.destroy();
    throw new WireError(
      "TLS_NOT_OFFERED",
      `the server at ${where} does not accept TLS connections`,
    );
  }
  const options = tls.kind === "prefer"
    ? { rejectUnauthorized: false, checkServerIdentity: () => undefined }
    : tlsOptions(address, tls);
  const secure = connectTls({ ...options, socket: plain });
  return await settled(secure, "secureConnect", signal, where);
}

function tlsOptions(
  address: ServerAddress,
  tls: Extract<TlsPolicy, { kind: "require" }>,
): ConnectionOptions {
  return {
    ...tls.options,
    servername: isIP(address.host) ? undefined : address.host,
    checkServerIdentity: tls.verifyHost ? hostCheck(address.host) : () => undefined,
  };
}

const S = 0x53, N = 0x4e;
const SSL_REQUEST = Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]);

/** Waits for `event`; an error, the end of the connection or the abort destroys the socket. */
function settled<T extends Socket>(
  socket: T,
  event: string,
  signal: AbortSignal,
  where: string,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const cleanUp = () => {
      socket.off(event, onEvent).off("error", onError).off("close", onClose);
      signal.removeEventListener("abort", onAbort);
    };
    const fail = (error: unknown) => {
      cleanUp();
      socket.destroy();
      reject(error);
    };
    const onEvent = () => {
      cleanUp();
      resolve(socket);
    };
    const onError = (error: Error) => fail(handshakeError(error, event, where));
    const onClose = () =>
      fail(new WireError("ECONNRESET", `the server at ${where} closed the connection`));
    const onAbort = () => fail(signal.reason);
    if (signal.aborted) return onAbort();
    socket.once(event, onEvent).once("error", onError).once("close", onClose);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/** The server's first bytes: its one-byte answer to the TLS request. */
function firstChunk(socket: Socket, signal: AbortSignal, where: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const cleanUp = () => {
      socket.off("data", onData).off("error", onError).off("close", onClose);
      signal.removeEventListener("abort", onAbort);
    };
    const onData = (chunk: Buffer) => {
      cleanUp();
      resolve(chunk);
    };
    const fail = (error: unknown) => {
      cleanUp();
      socket.destroy();
      reject(error);
    };
    const onError = (error: Error) => fail(error);
    const onClose = () =>
      fail(new WireError("ECONNRESET", `the server at ${where} closed the connection`));
    const onAbort = () => fail(signal.reason);
    if (signal.aborted) return onAbort();
    socket.on("data", onData).once("error", onError).once("close", onClose);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/** A failed TLS handshake that is not about the certificate is the server's fault. */
function handshakeError(error: Error, event: string, where: string): unknown {
  const code = (error as { code?: string }).code;
  if (event !== "secureConnect" || (code !== undefined && CERTIFICATE_CODES.has(code))) {
    return error;
  }
  return new WireError(
    "PROTOCOL_ERROR",
    `the TLS handshake with the server at ${where} failed (${error.message})`,
    { cause: error },
  );
}

/** A PEM file's text; an unreadable or non-PEM file is one clear error. */
function readPem(path: string, parameter: string, label: string): string {
  const variable = `PG${parameter.toUpperCase()}`;
  const where = `the URL's ${parameter} or ${variable}`;
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (error) {
    const reason = error instanceof Deno.errors.NotFound
      ? "no such file"
      : error instanceof Deno.errors.PermissionDenied
      ? "permission denied"
      : error instanceof Deno.errors.IsADirectory
      ? "it is a directory"
      : (error as Error).message;
    throw new DatabaseError(`Cannot read ${parameter} "${path}": ${reason}; fix ${where}`, {
      cause: error,
    });
  }
  // "PRIVATE KEY" also matches "RSA PRIVATE KEY" and "EC PRIVATE KEY".
  if (!new RegExp(`-----BEGIN [A-Z ]*${label}-----`).test(text)) {
    throw new DatabaseError(
      `${parameter} "${path}" holds no PEM ${label.toLowerCase()}: fix ${where}`,
    );
  }
  return text;
}
