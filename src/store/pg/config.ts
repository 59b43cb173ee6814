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

/** Parses the URL; missing parts come from PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE. */
export function connectionConfig(
  url: string,
  env: (name: string) => string | undefined = (name) => Deno.env.get(name),
): ConnectionConfig {
  const authorityStart = url.indexOf("://") + 3;
  const authority = url.slice(authorityStart).split(/[/?#]/)[0];
  const at = authority.lastIndexOf("@");
  const hostList = decodeURIComponent(authority.slice(at + 1));
  // The URL parser takes one host; the list is read here.
  const parsed = new URL(`postgresql://host${url.slice(authorityStart + authority.length)}`);
  const userInfo = at === -1 ? "" : authority.slice(0, at);
  const colon = userInfo.indexOf(":");
  const urlUser = decodeURIComponent(colon === -1 ? userInfo : userInfo.slice(0, colon));
  const urlPassword = colon === -1 ? "" : decodeURIComponent(userInfo.slice(colon + 1));
  // libpq's last resort is the operating system's account name, which the shell exports.
  const user = urlUser || env("PGUSER") || env("PGUSERNAME") || env("USER") || env("LOGNAME");
  if (!user) {
    throw new UsageError(
      "The database URL names no user and neither PGUSER nor USER is set: " +
        "write postgresql://user@host/dbname",
    );
  }
  const startupParameters: Record<string, string> = {};
  let queryHost: string | undefined;
  for (const [key, value] of parsed.searchParams) {
    if (key === "host") queryHost = value;
    else startupParameters[key] = value;
  }
  const defaultPort = Number(env("PGPORT") || 5432);
  const hosts = hostList || queryHost || env("PGHOST") || "localhost";
  return {
    addresses: hosts.split(",").map((entry) => address(entry, defaultPort)),
    user,
    password: urlPassword || env("PGPASSWORD") || undefined,
    database: decodeURIComponent(parsed.pathname.slice(1)) || env("PGDATABASE") || user,
    startupParameters,
  };
}

function address(entry: string, defaultPort: number): ServerAddress {
  if (entry.startsWith("/")) {
    const [, directory, port] = entry.match(/^(.*?)(?::(\d+))?$/)!;
    return { host: directory, port: Number(port ?? defaultPort) };
  }
  const bracketed = entry.match(/^\[([^\]]+)\](?::(\d+))?$/);
  if (bracketed) return { host: bracketed[1], port: Number(bracketed[2] ?? defaultPort) };
  const [host, port] = entry.split(":");
  return { host, port: port ? Number(port) : defaultPort };
}
