/** Opens the store a command names, and turns driver failures into one-line DatabaseErrors. */
import type { StoreTarget } from "../config.ts";
import { DatabaseError } from "../errors.ts";
import type { Log } from "../log.ts";
import type { Store } from "./database.ts";
import { isAtRevision, upgrade } from "./migrate.ts";
import { redactText, type Secrets } from "../redaction.ts";

export interface OpenOptions {
  connectTimeoutSeconds: number;
  statementTimeoutSeconds: number;
  log: Log;
  /** The embedded store is created and migrated on first use; a server is migrated explicitly. */
  migrateEmbedded?: boolean;
}

/** Runs `work` with an open store and always closes it, so the process can exit. */
export async function withStore<T>(
  target: StoreTarget,
  options: OpenOptions,
  work: (store: Store) => Promise<T>,
): Promise<T> {
  let store: Store | undefined;
  try {
    store = await openStore(target, options);
    // One read on every command; a write transaction only when a migration is due.
    if (
      store.dialect === "sqlite" && options.migrateEmbedded !== false &&
      !await isAtRevision(store, "head")
    ) {
      await upgrade(store, "head", quietLog(options.log));
    }
    return await work(store);
  } catch (error) {
    throw translateDatabaseError(error, target, options.statementTimeoutSeconds);
  } finally {
    await store?.close().catch(() => {});
  }
}

async function openStore(target: StoreTarget, options: OpenOptions): Promise<Store> {
  if (target.kind === "sqlite") {
    // Loaded on demand: neither store pays for the other's driver.
    const { openSqliteStore } = await import("./sqlite_store.ts");
    if (options.migrateEmbedded !== false && !fileExists(target.path)) {
      const { createSqliteStore } = await import("./sqlite_creation.ts");
      await createSqliteStore(target.path, {
        busyTimeoutSeconds: options.connectTimeoutSeconds,
        log: options.log,
        migrate: (store) => upgrade(store, "head", quietLog(options.log)),
      });
    }
    return openSqliteStore({
      path: target.path,
      busyTimeoutSeconds: options.connectTimeoutSeconds,
      log: options.log,
    });
  }
  const { openPostgresStore } = await import("./postgres_store.ts");
  return await openPostgresStore({
    settings: target.settings,
    connectTimeoutSeconds: options.connectTimeoutSeconds,
    statementTimeoutSeconds: options.statementTimeoutSeconds,
    log: options.log,
  });
}

function fileExists(path: string): boolean {
  try {
    Deno.lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

// Migrating the embedded store on every open would otherwise log at INFO on every command.
function quietLog(log: Log): Log {
  return { ...log, info: log.debug };
}

interface DriverError {
  code?: string;
  message?: string;
  severity?: string;
  address?: string;
  port?: number;
  hostname?: string;
}

/** One clear line for each way the database can fail; other errors pass through unchanged. */
export function translateDatabaseError(
  error: unknown,
  target: StoreTarget,
  statementTimeoutSeconds?: number,
): unknown {
  if (!(error instanceof Error) || error instanceof DatabaseError) return error;
  const driver = error as DriverError;
  const code = driver.code;
  if (typeof code !== "string") return error;
  const where = target.display;
  const secrets = secretsOf(target);
  const serverMessage = redactText(driver.message ?? "", secrets);
  const make = (text: string) => new DatabaseError(redactText(text, secrets), { cause: error });
  const certificate = `The TLS certificate of PostgreSQL at ${where}`;
  switch (code) {
    case "TLS_NOT_OFFERED":
      return make(
        `PostgreSQL at ${where} does not accept TLS connections, which sslmode requires: ` +
          "turn ssl on in the server, or use sslmode=prefer or sslmode=disable",
      );
    case "DEPTH_ZERO_SELF_SIGNED_CERT":
    case "SELF_SIGNED_CERT_IN_CHAIN":
    case "UNABLE_TO_GET_ISSUER_CERT":
    case "UNABLE_TO_GET_ISSUER_CERT_LOCALLY":
    case "UNABLE_TO_VERIFY_LEAF_SIGNATURE":
    case "CERT_SIGNATURE_FAILURE":
      return make(
        `${certificate} is not signed by a trusted CA (${serverMessage}): give the CA's ` +
          "certificate with sslrootcert=<file> or PGSSLROOTCERT, or skip the check with " +
          "sslmode=require",
      );
    case "CERT_HAS_EXPIRED":
    case "CERT_NOT_YET_VALID":
      return make(`${certificate} is not valid now (${serverMessage}): renew it`);
    case "ERR_TLS_CERT_ALTNAME_INVALID":
      return make(
        `${certificate} does not name the host in the URL (${serverMessage}): connect by a ` +
          "name the certificate lists, or check only the CA with sslmode=verify-ca",
      );
    case "ECONNREFUSED":
      return make(
        `Cannot connect to PostgreSQL at ${where}: connection refused; ` +
          "check that the server is running and the URL's host and port",
      );
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return make(`Cannot connect to PostgreSQL at ${where}: unknown host; check the URL's host`);
    case "CONNECT_TIMEOUT":
      return make(
        `Cannot connect to PostgreSQL at ${where}: no answer in time; ` +
          "check the host and port, or raise --connect-timeout",
      );
    case "ECONNRESET":
      return make(
        `The connection to PostgreSQL at ${where} was closed: ${serverMessage}; ` +
          "check sslmode and that the server is healthy",
      );
    case "NO_PASSWORD":
      return make(
        `PostgreSQL at ${where} asks for a password and none was given: put it in the URL, ` +
          `${"DPO_DATABASE_URL"} or PGPASSWORD`,
      );
    case "AUTH_UNSUPPORTED":
      return make(`Cannot connect to PostgreSQL at ${where}: ${serverMessage}`);
    case "PROTOCOL_ERROR":
    case "MESSAGE_NOT_SUPPORTED":
    case "SASL_SIGNATURE_MISMATCH":
      return make(
        `The server at ${where} broke PostgreSQL's protocol (${serverMessage}) and dpo closed ` +
          "the connection, so nothing was committed: check that the URL names a PostgreSQL " +
          "server or pooler you trust",
      );
    case "STATEMENT_DEADLINE":
      return make(
        `PostgreSQL at ${where} did not answer a statement within --statement-timeout ` +
          `(${
            statementTimeoutSeconds ?? "?"
          } s) and did not cancel it itself (${serverMessage}): ` +
          "dpo closed the connection, so nothing was committed; check the server's health, " +
          "or raise --statement-timeout",
      );
    case "28P01":
      return make(
        `Password authentication failed at ${where}: check the password in the URL, ` +
          `${"DPO_DATABASE_URL"} or PGPASSWORD`,
      );
    case "28000":
      return make(`PostgreSQL at ${where} refused the connection: ${serverMessage}`);
    case "3D000":
      return make(`${capitalise(serverMessage)} at ${where}: create it or fix the URL`);
    case "42P01":
    case "3F000":
    case "42703":
      return make(
        `The dpo schema is missing or incomplete in ${where} (${serverMessage}): ` +
          'run "dpo db upgrade"',
      );
    case "42501":
      return make(
        `Permission denied in ${where}: ${serverMessage}; run "dpo db upgrade" and ` +
          '"db downgrade" as the role that owns schema dpo, and grant the role of other ' +
          "commands what docs/security.md's least-privilege setup lists",
      );
    case "CONNECTION_CLOSED":
    case "CONNECTION_ENDED":
    case "CONNECTION_DESTROYED":
    case "57P01":
    case "57P02":
      return make(
        `The connection to PostgreSQL at ${where} was lost during the command ` +
          `(${/^[0-9A-Z]{5}$/.test(code) ? serverMessage : "closed by the server"}): what dpo ` +
          "had not committed was rolled back; run the command again once the server is back",
      );
    case "55P03":
    case "57014": {
      // Both lock_timeout and statement_timeout are --statement-timeout (postgres_store.ts).
      if (code === "57014" && !/statement timeout/.test(serverMessage)) break;
      const limit = `--statement-timeout (${statementTimeoutSeconds ?? "?"} s)`;
      return make(
        `PostgreSQL at ${where} cancelled a statement that ran longer than ${limit}: ` +
          `${serverMessage}; another session may hold a lock dpo needs: let it finish, ` +
          "or raise --statement-timeout",
      );
    }
    case "53300":
      return make(`PostgreSQL at ${where} has no free connection: ${serverMessage}`);
    case "57P03":
      return make(`PostgreSQL at ${where} is starting up: retry in a moment`);
    case "08P01":
      // PgBouncer refuses startup parameters it does not track, such as the URL's ?options=.
      if (/unsupported startup parameter/.test(serverMessage)) {
        return make(
          `The server at ${where} refused the connection: ${serverMessage}; remove it from the ` +
            "URL (a pooler such as PgBouncer accepts only a few)",
        );
      }
  }
  if (/^[0-9A-Z]{5}$/.test(code)) {
    const store = target.kind === "sqlite" ? "The embedded store" : "PostgreSQL at";
    return make(`${store} ${where} failed (SQLSTATE ${code}): ${serverMessage}`);
  }
  return error;
}

/** The password of a server URL, and the words it shows anyway. */
function secretsOf(target: StoreTarget): Secrets {
  if (target.kind !== "postgres") return { passwords: [] };
  const { settings } = target;
  return {
    passwords: settings.password === undefined ? [] : [settings.password],
    shown: [settings.user, settings.database, ...settings.addresses.map((a) => a.host)],
  };
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
