/**
 * Where and as whom to connect: a postgresql:// URL (TLS parameters already taken out by
 * tls.ts) completed from libpq's environment variables.
 */

import { UsageError } from "../../errors.ts";

export interface ServerAddress {
  /** A host name or IP address, or the directory of a Unix socket (starts with "/"). */
  host: string;
  port: number;
}

export interface ConnectionConfig {
  /** Tried in order, as libpq does with `host1,host2`. */
  addresses: ServerAddress[];
  user: string;
  password?: string;
  database: string;
  /** Sent in the startup message: the URL's other parameters (application_name, options…). */
  startupParameters: Record<string, string>;
}

type Env = (name: string) => string | undefined;

/** Parses the URL; missing parts come from PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE. */
export function connectionConfig(
  url: string,
  env: Env = (name) => Deno.env.get(name),
): ConnectionConfig {
  const parts = urlParts(url);
  const { keywords, userInfo } = parts;
  const colon = userInfo.indexOf(":");
  const urlUser = keywords.get("user") ||
    decodeURIComponent(colon === -1 ? userInfo : userInfo.slice(0, colon));
  const urlPassword = keywords.get("password") ||
    (colon === -1 ? "" : decodeURIComponent(userInfo.slice(colon + 1)));
  // libpq's last resort is the operating system's account name, which the shell exports.
  const user = urlUser || env("PGUSER") || env("PGUSERNAME") || env("USER") || env("LOGNAME");
  if (!user) {
    throw new UsageError(
      "The database URL names no user and neither PGUSER nor USER is set: " +
        "write postgresql://user@host/dbname",
    );
  }
  return {
    addresses: addressesOf(parts, env),
    user,
    password: urlPassword || env("PGPASSWORD") || undefined,
    database: keywords.get("dbname") || decodeURIComponent(parts.pathname.slice(1)) ||
      env("PGDATABASE") || user,
    startupParameters: parts.startupParameters,
  };
}

/** The servers the URL names, in the order they are tried (tls.ts checks certificates on them). */
export function serverAddresses(url: string, env: Env = (name) => Deno.env.get(name)) {
  return addressesOf(urlParts(url), env);
}

interface UrlParts {
  /** The authority's host list, percent-decoded: `h1:5432,h2`. */
  hostList: string;
  /** What stands before the authority's last "@": `user:password`, still percent-encoded. */
  userInfo: string;
  pathname: string;
  /** libpq's connection keywords given in the query. */
  keywords: Map<string, string>;
  /** Every other query parameter: settings for the startup message. */
  startupParameters: Record<string, string>;
}

function urlParts(url: string): UrlParts {
  const authorityStart = url.indexOf("://") + 3;
  const authority = url.slice(authorityStart).split(/[/?#]/)[0];
  const at = authority.lastIndexOf("@");
  // The URL parser takes one host; the list is read here.
  const parsed = new URL(`postgresql://host${url.slice(authorityStart + authority.length)}`);
  // libpq's connection keywords in the query string win over the URL's parts, as in libpq;
  // any other parameter is a setting for the server's startup message.
  const keywords = new Map<string, string>();
  const startupParameters: Record<string, string> = {};
  for (const [key, value] of parsed.searchParams) {
    if (CONNECTION_KEYWORDS.has(key)) keywords.set(key, value);
    else if (key !== "client_encoding") startupParameters[key] = value;
  }
  return {
    hostList: decodeURIComponent(authority.slice(at + 1)),
    userInfo: at === -1 ? "" : authority.slice(0, at),
    pathname: parsed.pathname,
    keywords,
    startupParameters,
  };
}

function addressesOf(parts: UrlParts, env: Env): ServerAddress[] {
  const defaultPort = port(parts.keywords.get("port") || env("PGPORT") || "5432");
  const hosts = parts.keywords.get("host") || parts.hostList || env("PGHOST") || "localhost";
  return hosts.split(",").map((entry) => address(entry, defaultPort));
}

/** libpq keywords that say where and as whom to connect, not settings for the server. */
const CONNECTION_KEYWORDS = new Set(["host", "port", "user", "password", "dbname"]);

function port(text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1 || value > 65535) {
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
