/**
 * libpq's TLS parameters: dpo takes sslmode, sslrootcert, sslcert and sslkey out of the URL (or
 * PGSSLMODE, PGSSLROOTCERT, PGSSLCERT, PGSSLKEY), since any other URL parameter is sent to the
 * server as a setting, and builds the options of node:tls from them. node:tls itself is loaded
 * only when TLS is required: a plain connection must not pay for Node's start-up.
 */
import type { ConnectionOptions, PeerCertificate } from "node:tls";
import { DatabaseError, UsageError } from "../errors.ts";
import { serverAddresses } from "./pg/config.ts";

/** libpq's sslmode values, weakest first. */
export const SSL_MODES = [
  "disable",
  "allow",
  "prefer",
  "require",
  "verify-ca",
  "verify-full",
] as const;
export type SslMode = typeof SSL_MODES[number];

/**
 * libpq's default: dpo uses TLS whenever the
 * server offers it, as psql and the Python tool (libpq) do.
 */
export const DEFAULT_SSL_MODE: SslMode = "prefer";

/** The URL without dpo's TLS parameters, and what TLS it asks for ("prefer": if offered). */
export interface TlsSetup {
  url: string;
  /** The mode in effect: `require` with a root certificate is `verify-ca`, as in libpq. */
  mode: SslMode;
  ssl: false | "prefer" | ConnectionOptions;
}

/** The URL parameters dpo reads, each with the environment variable that stands in for it. */
const PARAMETERS = {
  sslmode: "PGSSLMODE",
  sslrootcert: "PGSSLROOTCERT",
  sslcert: "PGSSLCERT",
  sslkey: "PGSSLKEY",
} as const;
type Parameter = keyof typeof PARAMETERS;

/** TLS parameters the client (pg/client.ts) reads itself. */
const PASSED_THROUGH = new Set(["sslnegotiation"]);

/** Reads the TLS parameters of a postgresql:// URL and the environment; reads the files named. */
export async function tlsSetup(
  url: string,
  env: (name: string) => string | undefined = (name) => Deno.env.get(name),
): Promise<TlsSetup> {
  const { url: strippedUrl, values } = takeParameters(url);
  const setting = (name: Parameter) =>
    nonEmpty(values.get(name)) ?? nonEmpty(env(PARAMETERS[name]));
  const rootCert = setting("sslrootcert");
  const mode = effectiveMode(setting("sslmode"), rootCert);
  const hosts = serverAddresses(strippedUrl, env).map((address) => address.host);
  // libpq ignores sslmode on Unix sockets, and so does the server: there is nothing to encrypt.
  if (mode === "disable" || hosts.every((host) => host.startsWith("/"))) {
    return { url: strippedUrl, mode, ssl: false };
  }
  const clientCert = clientCertificate(setting("sslcert"), setting("sslkey"));
  if ((mode === "allow" || mode === "prefer") && clientCert === undefined) {
    // TLS when the server offers it, unverified; a root certificate does not change that.
    return { url: strippedUrl, mode, ssl: "prefer" };
  }
  const verify = mode === "verify-ca" || mode === "verify-full";
  const { checkServerIdentity } = await import("node:tls");
  const { isIP } = await import("node:net");
  const matchesAnyHost = (cert: PeerCertificate) => {
    let mismatch: Error | undefined;
    for (const host of hosts) {
      const error = checkServerIdentity(isIP(host) ? host : host.toLowerCase(), cert);
      if (error === undefined) return undefined;
      mismatch ??= error;
    }
    return mismatch;
  };
  const ssl: ConnectionOptions = {
    ...clientCert,
    rejectUnauthorized: verify,
    // Deno's node:tls checks an IP host against the name "localhost": dpo checks the real host.
    checkServerIdentity: mode === "verify-full"
      ? (_servername, cert) => matchesAnyHost(cert)
      : () => undefined,
  };
  if (verify && rootCert !== undefined && rootCert !== "system") {
    ssl.ca = readPem(rootCert, "sslrootcert", "CERTIFICATE");
  }
  return { url: strippedUrl, mode, ssl };
}

/** True when sslmode requires TLS and the server answered the TLS request with "no". */
export function isTlsNotOffered(error: unknown): boolean {
  return (error as { code?: unknown })?.code === "TLS_NOT_OFFERED";
}

function takeParameters(url: string): { url: string; values: Map<string, string> } {
  const values = new Map<string, string>();
  const queryStart = url.indexOf("?");
  if (queryStart === -1) return { url, values };
  const fragmentStart = url.indexOf("#", queryStart);
  const queryEnd = fragmentStart === -1 ? url.length : fragmentStart;
  const kept: string[] = [];
  // Pair by pair, so that the parameters dpo does not read reach the server byte for byte.
  for (const pair of url.slice(queryStart + 1, queryEnd).split("&")) {
    const [[key, value] = ["", ""]] = new URLSearchParams(pair);
    if (key in PARAMETERS) values.set(key, value);
    else if (/^(ssl|requiressl)/i.test(key) && !PASSED_THROUGH.has(key)) {
      throw new UsageError(
        `Database URL parameter "${key}" is not supported: dpo reads sslmode, sslrootcert, ` +
          "sslcert and sslkey",
      );
    } else if (pair !== "") kept.push(pair);
  }
  const query = kept.length === 0 ? "" : `?${kept.join("&")}`;
  return { url: url.slice(0, queryStart) + query + url.slice(queryEnd), values };
}

function effectiveMode(given: string | undefined, rootCert: string | undefined): SslMode {
  if (given !== undefined && !(SSL_MODES as readonly string[]).includes(given)) {
    throw new UsageError(`sslmode "${given}" is not known: choose one of ${SSL_MODES.join(", ")}`);
  }
  const mode = given as SslMode | undefined;
  // libpq 16: the system's CAs are only worth trusting together with the host name check.
  if (rootCert === "system") {
    if (mode !== undefined && mode !== "verify-full") {
      throw new UsageError(
        `sslmode "${mode}" is too weak for sslrootcert=system: use sslmode=verify-full`,
      );
    }
    return "verify-full";
  }
  if (mode === "require" && rootCert !== undefined) return "verify-ca";
  return mode ?? DEFAULT_SSL_MODE;
}

function clientCertificate(
  certPath: string | undefined,
  keyPath: string | undefined,
): { cert: string; key: string } | undefined {
  if (certPath === undefined && keyPath === undefined) return undefined;
  if (certPath === undefined || keyPath === undefined) {
    throw new UsageError(
      `${certPath === undefined ? "sslkey" : "sslcert"} is given without ` +
        `${certPath === undefined ? "sslcert" : "sslkey"}: a client certificate needs both`,
    );
  }
  return {
    cert: readPem(certPath, "sslcert", "CERTIFICATE"),
    key: readPem(keyPath, "sslkey", "PRIVATE KEY"),
  };
}

/** A PEM file's text; an unreadable or non-PEM file is one clear error. */
function readPem(path: string, parameter: Parameter, label: string): string {
  const where = `the URL's ${parameter} or ${PARAMETERS[parameter]}`;
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

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === "" ? undefined : value;
}
