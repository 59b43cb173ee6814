/**
 * The words for the store's failures (store/store_error.ts): one line each, saying what happened
 * and what to do next, the flag or command that cures it included.
 */
import type { StoreTarget } from "../config.ts";
import { embeddedStoreText } from "./embedded_store_errors.ts";
import { DatabaseError } from "../errors.ts";
import { redactText, type Secrets } from "../redaction.ts";
import { describeLockHolder } from "../store/migration_lock.ts";
import { asStoreError, StoreError, type StoreFailure } from "../store/store_error.ts";

type DatabaseFailure = Extract<StoreFailure, { kind: "database" }>;

/** What a wording knows: the failure, where it happened, and the server's redacted words. */
interface Facts {
  failure: DatabaseFailure;
  where: string;
  serverMessage: string;
}

/**
 * A StoreError as a one-line DatabaseError (its cause the driver's error, as before wording),
 * or the driver's error itself when dpo has nothing to add; any other error unchanged.
 */
export function wordStoreError(error: unknown, target: StoreTarget): unknown {
  if (!(error instanceof StoreError)) return error;
  const { failure } = error;
  if (failure.kind === "migration-lock") {
    return new DatabaseError(migrationLockText(failure), { cause: error.cause });
  }
  if (failure.kind === "embedded") {
    return new DatabaseError(embeddedStoreText(failure), { cause: error.cause });
  }
  const secrets = secretsOf(target);
  const facts = {
    failure,
    where: target.display,
    serverMessage: redactText(failure.serverMessage, secrets),
  };
  const wording = Object.hasOwn(DATABASE_TEXTS, failure.code) ? DATABASE_TEXTS[failure.code] : null;
  const text = wording?.(facts) ?? sqlStateText(facts, target);
  if (text === undefined) return error.cause;
  return new DatabaseError(redactText(text, secrets), { cause: error.cause });
}

/**
 * One line for a store failure met outside a command's withStore (dpo ui's pages): the driver's
 * error given its code as withStore gives it, then worded as a command would print it.
 */
export function storeFailureLine(
  error: unknown,
  target: StoreTarget,
  statementTimeoutSeconds: number,
): string {
  const worded = wordStoreError(asStoreError(error, statementTimeoutSeconds), target);
  const text = worded instanceof Error ? worded.message : String(worded);
  return redactText(text.split("\n")[0], secretsOf(target));
}

function migrationLockText(failure: Extract<StoreFailure, { kind: "migration-lock" }>): string {
  return `Cannot take the migration lock within ${failure.lockTimeout}: ` +
    (failure.holder
      ? `it is held by ${describeLockHolder(failure.holder)}; let that process finish, or raise ` +
        "--statement-timeout"
      : "its holder has just released it; run the command again");
}

// Any other SQLSTATE: the server's words, with the code to look up.
function sqlStateText(facts: Facts, target: StoreTarget): string | undefined {
  const { code } = facts.failure;
  if (!/^[0-9A-Z]{5}$/.test(code)) return undefined;
  const store = target.kind === "sqlite" ? "The embedded store" : "PostgreSQL at";
  return `${store} ${facts.where} failed (SQLSTATE ${code}): ${facts.serverMessage}`;
}

const untrustedCertificate = ({ where, serverMessage }: Facts) =>
  `The TLS certificate of PostgreSQL at ${where} is not signed by a trusted CA ` +
  `(${serverMessage}): give the CA's certificate with sslrootcert=<file> or PGSSLROOTCERT, or ` +
  "skip the check with sslmode=require";

const expiredCertificate = ({ where, serverMessage }: Facts) =>
  `The TLS certificate of PostgreSQL at ${where} is not valid now (${serverMessage}): renew it`;

const brokenProtocol = ({ where, serverMessage }: Facts) =>
  `The server at ${where} broke PostgreSQL's protocol (${serverMessage}) and dpo closed ` +
  "the connection, so nothing was committed: check that the URL names a PostgreSQL " +
  "server or pooler you trust";

const missingSchema = ({ where, serverMessage }: Facts) =>
  `The dpo schema is missing or incomplete in ${where} (${serverMessage}): ` +
  'run "dpo db upgrade"';

const lostConnection = ({ failure, where, serverMessage }: Facts) =>
  `The connection to PostgreSQL at ${where} was lost during the command ` +
  `(${/^[0-9A-Z]{5}$/.test(failure.code) ? serverMessage : "closed by the server"}): what dpo ` +
  "had not committed was rolled back; run the command again once the server is back";

// Both lock_timeout and statement_timeout are --statement-timeout (postgres_store.ts).
const statementTimedOut = ({ failure, where, serverMessage }: Facts) =>
  failure.code === "57014" && !/statement timeout/.test(serverMessage)
    ? undefined
    : `PostgreSQL at ${where} cancelled a statement that ran longer than ` +
      `--statement-timeout (${failure.statementTimeoutSeconds ?? "?"} s): ` +
      `${serverMessage}; another session may hold a lock dpo needs: let it finish, ` +
      "or raise --statement-timeout";

/** The wording of each code dpo can explain better than the server's own words. */
const DATABASE_TEXTS: Record<string, (facts: Facts) => string | undefined> = {
  TLS_NOT_OFFERED: ({ where }) =>
    `PostgreSQL at ${where} does not accept TLS connections, which sslmode requires: ` +
    "turn ssl on in the server, or use sslmode=prefer or sslmode=disable",
  DEPTH_ZERO_SELF_SIGNED_CERT: untrustedCertificate,
  SELF_SIGNED_CERT_IN_CHAIN: untrustedCertificate,
  UNABLE_TO_GET_ISSUER_CERT: untrustedCertificate,
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: untrustedCertificate,
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: untrustedCertificate,
  CERT_SIGNATURE_FAILURE: untrustedCertificate,
  CERT_HAS_EXPIRED: expiredCertificate,
  CERT_NOT_YET_VALID: expiredCertificate,
  ERR_TLS_CERT_ALTNAME_INVALID: ({ where, serverMessage }) =>
    `The TLS certificate of PostgreSQL at ${where} does not name the host in the URL ` +
    `(${serverMessage}): connect by a name the certificate lists, or check only the CA with ` +
    "sslmode=verify-ca",
  ECONNREFUSED: ({ where }) =>
    `Cannot connect to PostgreSQL at ${where}: connection refused; ` +
    "check that the server is running and the URL's host and port",
  ENOTFOUND: ({ where }) =>
    `Cannot connect to PostgreSQL at ${where}: unknown host; check the URL's host`,
  EAI_AGAIN: ({ where }) =>
    `Cannot connect to PostgreSQL at ${where}: unknown host; check the URL's host`,
  CONNECT_TIMEOUT: ({ where }) =>
    `Cannot connect to PostgreSQL at ${where}: no answer in time; ` +
    "check the host and port, or raise --connect-timeout",
  ECONNRESET: ({ where, serverMessage }) =>
    `The connection to PostgreSQL at ${where} was closed: ${serverMessage}; ` +
    "check sslmode and that the server is healthy",
  NO_PASSWORD: ({ where }) =>
    `PostgreSQL at ${where} asks for a password and none was given: put it in the URL, ` +
    "DPO_DATABASE_URL or PGPASSWORD",
  AUTH_UNSUPPORTED: ({ where, serverMessage }) =>
    `Cannot connect to PostgreSQL at ${where}: ${serverMessage}`,
  PROTOCOL_ERROR: brokenProtocol,
  MESSAGE_NOT_SUPPORTED: brokenProtocol,
  SASL_SIGNATURE_MISMATCH: brokenProtocol,
  STATEMENT_DEADLINE: ({ failure, where, serverMessage }) =>
    `PostgreSQL at ${where} did not answer a statement within --statement-timeout ` +
    `(${failure.statementTimeoutSeconds ?? "?"} s) and did not cancel it itself ` +
    `(${serverMessage}): dpo closed the connection, so nothing was committed; check the ` +
    "server's health, or raise --statement-timeout",
  "28P01": ({ where }) =>
    `Password authentication failed at ${where}: check the password in the URL, ` +
    "DPO_DATABASE_URL or PGPASSWORD",
  "28000": ({ where, serverMessage }) =>
    `PostgreSQL at ${where} refused the connection: ${serverMessage}`,
  "3D000": ({ where, serverMessage }) =>
    `${capitalise(serverMessage)} at ${where}: create it or fix the URL`,
  "42P01": missingSchema,
  "3F000": missingSchema,
  "42703": missingSchema,
  "42501": ({ where, serverMessage }) =>
    `Permission denied in ${where}: ${serverMessage}; run "dpo db upgrade" and ` +
    '"db downgrade" as the role that owns schema dpo, and grant the role of other ' +
    "commands what docs/security.md's least-privilege setup lists",
  CONNECTION_CLOSED: lostConnection,
  CONNECTION_ENDED: lostConnection,
  CONNECTION_DESTROYED: lostConnection,
  "57P01": lostConnection,
  "57P02": lostConnection,
  "55P03": statementTimedOut,
  "57014": statementTimedOut,
  "53300": ({ where, serverMessage }) =>
    `PostgreSQL at ${where} has no free connection: ${serverMessage}`,
  "57P03": ({ where }) => `PostgreSQL at ${where} is starting up: retry in a moment`,
  // PgBouncer refuses startup parameters it does not track, such as the URL's ?options=.
  "08P01": ({ where, serverMessage }) =>
    /unsupported startup parameter/.test(serverMessage)
      ? `The server at ${where} refused the connection: ${serverMessage}; remove it from the ` +
        "URL (a pooler such as PgBouncer accepts only a few)"
      : undefined,
};

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
