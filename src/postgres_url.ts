/**
 * A PostgreSQL connection string read once, as libpq reads it, into the one value every consumer
 * takes: servers, user, password, database, TLS (sslmode semantics postgres.js lacks) and the
 * settings sent at start-up. Missing parts come from libpq's PG* variables.
 */
import { UsageError } from "./errors.ts";
import { redactUrl, urlAuthority } from "./redaction.ts";

/** A host name or IP address, or the directory of a Unix socket (starts with "/"). */
export interface ServerAddress {
  host: string;
  port: number;
}

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

/** libpq's default: TLS whenever the server offers it, as psql and the Python tool do. */
export const DEFAULT_SSL_MODE: SslMode = "prefer";

/** What TLS the URL asks for; the files are read when connecting. */
export interface TlsSettings {
  /** The mode in effect: `require` with a root certificate is `verify-ca`, as in libpq. */
  mode: SslMode;
  /** A PEM file of trusted CAs, or "system" (then the mode is verify-full). */
  rootCert?: string;
  /** A client certificate and its key, both or neither. */
  clientCert?: { cert: string; key: string };
  /** PostgreSQL 17's sslnegotiation=direct: TLS at once with ALPN "postgresql". */
  direct: boolean;
}

/** Everything dpo needs to connect, read from the URL and the environment. */
export interface PostgresSettings {
  /** Tried in order, as libpq does with `host1,host2`. */
  addresses: ServerAddress[];
  user: string;
  password?: string;
  database: string;
  tls: TlsSettings;
  /** Sent in the start-up message: the URL's other parameters (application_name, options…). */
  startupParameters: Record<string, string>;
  /** The URL as messages show it: `postgresql://user:***@host:port/db?…`. */
  display: string;
}

type Env = (name: string) => string | undefined;

/** libpq keywords that say where and as whom to connect, not settings for the server. */
const CONNECTION_KEYWORDS = new Set(["host", "port", "user", "password", "dbname"]);

/** libpq's TLS parameters dpo reads, each with the variable that stands in for it. */
const TLS_PARAMETERS = {
  sslmode: "PGSSLMODE",
  sslrootcert: "PGSSLROOTCERT",
  sslcert: "PGSSLCERT",
  sslkey: "PGSSLKEY",
  sslnegotiation: "PGSSLNEGOTIATION",
} as const;
type TlsParameter = keyof typeof TLS_PARAMETERS;

/** Parses a postgresql:// URL (any driver suffix already removed) and libpq's variables. */
export function parsePostgresUrl(
  url: string,
  env: Env = (name) => Deno.env.get(name),
): PostgresSettings {
  const display = redactUrl(url.replace(/#.*$/s, ""));
  const malformed = (what: string) =>
    new UsageError(
      `Database URL "${display}" ${what}: use postgresql://user:password@host:port/dbname`,
    );
  const { userInfo, hostList, rest } = splitUrl(url, malformed);
  const { keywords, tlsValues, startupParameters } = urlParameters(rest.searchParams);
  const decode = (text: string, what: string) => {
    try {
      return decodeURIComponent(text);
    } catch {
      throw malformed(`has a malformed %-escape in its ${what}: write "%" as %25`);
    }
  };
  const colon = userInfo.indexOf(":");
  const urlUser = keywords.get("user") ||
    decode(colon === -1 ? userInfo : userInfo.slice(0, colon), "user name");
  const urlPassword = keywords.get("password") ||
    (colon === -1 ? "" : decode(userInfo.slice(colon + 1), "password"));
  // libpq's last resort is the operating system's account name, which the shell exports.
  const user = urlUser || env("PGUSER") || env("PGUSERNAME") || env("USER") || env("LOGNAME");
  if (!user) {
    throw new UsageError(
      "The database URL names no user and neither PGUSER nor USER is set: " +
        "write postgresql://user@host/dbname",
    );
  }
  const defaultPort = port(keywords.get("port") || env("PGPORT") || "5432");
  const hosts = keywords.get("host") || decode(hostList, "host") || env("PGHOST") || "localhost";
  const tlsSetting = (name: TlsParameter) =>
    nonEmpty(tlsValues.get(name)) ?? nonEmpty(env(TLS_PARAMETERS[name]));
  return {
    addresses: hosts.split(",").map((entry) => address(entry, defaultPort)),
    user,
    password: urlPassword || env("PGPASSWORD") || undefined,
    database: keywords.get("dbname") || decode(rest.pathname.slice(1), "database name") ||
      env("PGDATABASE") || user,
    tls: tlsSettings(tlsSetting),
    startupParameters,
    display,
  };
}

// The user-info and host list, which the URL parser would not take (a raw "@" in a password, a
// list of hosts), and the rest as a URL: the database and the parameters.
function splitUrl(
  url: string,
  malformed: (what: string) => UsageError,
): { userInfo: string; hostList: string; rest: URL } {
  const authority = urlAuthority(url);
  if (!authority) throw malformed("is malformed");
  const userInfo = authority.at === -1 ? "" : url.slice(authority.start, authority.at);
  const hostList = url.slice(
    authority.at === -1 ? authority.start : authority.at + 1,
    authority.end,
  );
  try {
    // The URL parser takes one host; the list is read here.
    return { userInfo, hostList, rest: new URL(`postgresql://host${url.slice(authority.end)}`) };
  } catch {
    throw malformed("is malformed");
  }
}

// The URL's parameters by what they are to dpo: where and as whom to connect, TLS, or settings
// sent to the server at start-up.
function urlParameters(parameters: URLSearchParams) {
  const keywords = new Map<string, string>();
  const tlsValues = new Map<TlsParameter, string>();
  const startupParameters: Record<string, string> = {};
  for (const [key, value] of parameters) {
    if (CONNECTION_KEYWORDS.has(key)) keywords.set(key, value);
    else if (key in TLS_PARAMETERS) tlsValues.set(key as TlsParameter, value);
    else if (/^(ssl|requiressl)/i.test(key)) {
      throw new UsageError(
        `Database URL parameter "${key}" is not supported: dpo reads sslmode, sslrootcert, ` +
          "sslcert, sslkey and sslnegotiation",
      );
    } // Results are decoded as UTF-8, whatever the URL says.
    else if (key !== "client_encoding") startupParameters[key] = value;
  }
  return { keywords, tlsValues, startupParameters };
}

/** `host:port` or the socket file, as messages name one server. */
export function describeAddress(address: ServerAddress): string {
  if (address.host.startsWith("/")) return `${address.host}/.s.PGSQL.${address.port}`;
  return address.host.includes(":")
    ? `[${address.host}]:${address.port}`
    : `${address.host}:${address.port}`;
}

function tlsSettings(setting: (name: TlsParameter) => string | undefined): TlsSettings {
  const given = setting("sslmode");
  if (given !== undefined && !(SSL_MODES as readonly string[]).includes(given)) {
    throw new UsageError(`sslmode "${given}" is not known: choose one of ${SSL_MODES.join(", ")}`);
  }
  const negotiation = setting("sslnegotiation") ?? "postgres";
  if (negotiation !== "postgres" && negotiation !== "direct") {
    throw new UsageError(
      `sslnegotiation "${negotiation}" is not known: choose one of postgres, direct`,
    );
  }
  const rootCert = setting("sslrootcert");
  return {
    mode: effectiveMode(given as SslMode | undefined, rootCert),
    rootCert,
    clientCert: clientCertificate(setting("sslcert"), setting("sslkey")),
    direct: negotiation === "direct",
  };
}

function effectiveMode(mode: SslMode | undefined, rootCert: string | undefined): SslMode {
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
  cert: string | undefined,
  key: string | undefined,
): TlsSettings["clientCert"] {
  if (cert === undefined && key === undefined) return undefined;
  if (cert === undefined || key === undefined) {
    const [given, missing] = cert === undefined ? ["sslkey", "sslcert"] : ["sslcert", "sslkey"];
    throw new UsageError(`${given} is given without ${missing}: a client certificate needs both`);
  }
  return { cert, key };
}

function port(text: string): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < 1 || value > 65535) {
    throw new UsageError(`Port "${text}" is not a TCP port: give a number from 1 to 65535`);
  }
  return value;
}

function address(entry: string, defaultPort: number): ServerAddress {
  if (entry.startsWith("/")) {
    const [, directory, socketPort] = entry.match(/^(.*?)(?::(\d+))?$/)!;
    return { host: directory, port: socketPort ? port(socketPort) : defaultPort };
  }
  const bracketed = entry.match(/^\[([^\]]+)\](?::(.*))?$/);
  if (bracketed) {
    return { host: bracketed[1], port: bracketed[2] ? port(bracketed[2]) : defaultPort };
  }
  // More than one ":" is an IPv6 address without brackets (as PGHOST=::1 gives it).
  if (entry.indexOf(":") !== entry.lastIndexOf(":")) return { host: entry, port: defaultPort };
  const [host, hostPort] = entry.split(":");
  return { host, port: hostPort ? port(hostPort) : defaultPort };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === "" ? undefined : value;
}
