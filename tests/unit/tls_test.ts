import { deepStrictEqual as equal, ok as assert, rejects } from "node:assert/strict";
import type { ConnectionOptions, PeerCertificate } from "node:tls";
import { DatabaseError, UsageError } from "../../src/errors.ts";
import { tlsSetup } from "../../src/store/tls.ts";

// tlsSetup() only reads the files and checks their PEM labels; the TLS handshakes are
// tests/e2e/tls_test.ts's.
const DIR = Deno.makeTempDirSync({ prefix: "dpo-tls-unit-" });
globalThis.addEventListener("unload", () => Deno.removeSync(DIR, { recursive: true }));
const CA = `${DIR}/ca.crt`;
const CLIENT_KEY = `${DIR}/client.key`;
const NOT_PEM = `${DIR}/notes.txt`;
Deno.writeTextFileSync(CA, "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
Deno.writeTextFileSync(
  CLIENT_KEY,
  "-----BEGIN PRIVATE KEY-----\nMIGH\n-----END PRIVATE KEY-----\n",
);
Deno.writeTextFileSync(NOT_PEM, "not a certificate\n");

/** A peer certificate with these subject alternative names, as node:tls describes one. */
function certificate(subjectaltname: string): PeerCertificate {
  return { subjectaltname, subject: { CN: "db" } } as unknown as PeerCertificate;
}

function setup(url: string, env: Record<string, string> = {}) {
  return tlsSetup(url, (name) => env[name]);
}

/** What the ssl option amounts to, without the functions and file contents. */
function summary(ssl: false | "prefer" | ConnectionOptions) {
  if (typeof ssl !== "object") return ssl;
  return {
    rejectUnauthorized: ssl.rejectUnauthorized,
    ca: ssl.ca === undefined ? undefined : "<ca>",
    cert: ssl.cert === undefined ? undefined : "<cert>",
  };
}

Deno.test("tlsSetup() maps each sslmode to node:tls options as libpq behaves", async (t) => {
  const cases = [
    { name: "no sslmode: prefer", query: "", mode: "prefer", ssl: "prefer" },
    { name: "disable", query: "?sslmode=disable", mode: "disable", ssl: false },
    { name: "allow: as prefer", query: "?sslmode=allow", mode: "allow", ssl: "prefer" },
    {
      name: "require: unverified",
      query: "?sslmode=require",
      mode: "require",
      ssl: { rejectUnauthorized: false, ca: undefined, cert: undefined },
    },
    {
      name: "require with a root certificate: verify-ca",
      query: `?sslmode=require&sslrootcert=${CA}`,
      mode: "verify-ca",
      ssl: { rejectUnauthorized: true, ca: "<ca>", cert: undefined },
    },
    {
      name: "verify-ca without a root certificate: the trusted CAs",
      query: "?sslmode=verify-ca",
      mode: "verify-ca",
      ssl: { rejectUnauthorized: true, ca: undefined, cert: undefined },
    },
    {
      name: "verify-full",
      query: `?sslmode=verify-full&sslrootcert=${CA}`,
      mode: "verify-full",
      ssl: { rejectUnauthorized: true, ca: "<ca>", cert: undefined },
    },
    {
      name: "sslrootcert=system alone: verify-full against the trusted CAs",
      query: "?sslrootcert=system",
      mode: "verify-full",
      ssl: { rejectUnauthorized: true, ca: undefined, cert: undefined },
    },
    {
      name: "a client certificate makes prefer require TLS",
      query: `?sslcert=${CA}&sslkey=${CLIENT_KEY}`,
      mode: "prefer",
      ssl: { rejectUnauthorized: false, ca: undefined, cert: "<cert>" },
    },
  ];
  for (const c of cases) {
    await t.step(c.name, async () => {
      const result = await setup(`postgresql://u:p@db.example.com:5432/dpo${c.query}`);
      equal({ mode: result.mode, ssl: summary(result.ssl) }, { mode: c.mode, ssl: c.ssl });
      equal(result.url, "postgresql://u:p@db.example.com:5432/dpo");
    });
  }
});

Deno.test("tlsSetup() hands the server every other URL parameter unchanged", async () => {
  const url = "postgresql://u:p%40ss@h/db?application_name=a%20b&sslmode=require" +
    "&options=-c%20statement_timeout%3D5&sslrootcert=" + CA + "&sslnegotiation=direct#f";
  equal(
    (await setup(url)).url,
    "postgresql://u:p%40ss@h/db?application_name=a%20b&options=-c%20statement_timeout%3D5" +
      "&sslnegotiation=direct#f",
  );
});

Deno.test("tlsSetup() reads PGSSLMODE and PGSSLROOTCERT when the URL has no such parameter", async () => {
  const env = { PGSSLMODE: "verify-full", PGSSLROOTCERT: CA };
  equal((await setup("postgresql://h/db", env)).mode, "verify-full");
  equal(summary((await setup("postgresql://h/db", env)).ssl), {
    rejectUnauthorized: true,
    ca: "<ca>",
    cert: undefined,
  });
  equal((await setup("postgresql://h/db?sslmode=disable", env)).mode, "disable");
});

Deno.test("tlsSetup() does not use TLS on a Unix socket, as libpq does not", async () => {
  equal(
    (await setup("postgresql:///db?sslmode=verify-full", { PGHOST: "/run/postgresql" })).ssl,
    false,
  );
});

Deno.test("verify-full checks the certificate against the URL's host, an IP address too", async (t) => {
  const check = async (host: string, san: string) => {
    const { ssl } = await setup(`postgresql://${host}/db?sslmode=verify-full&sslrootcert=${CA}`);
    assert(typeof ssl === "object" && ssl.checkServerIdentity);
    // Deno's node:tls passes "localhost" as the name when the host is an IP address.
    return ssl.checkServerIdentity("localhost", certificate(san)) === undefined;
  };
  const cases = [
    { host: "127.0.0.1", san: "IP Address:127.0.0.1", accepted: true },
    { host: "127.0.0.1", san: "DNS:localhost", accepted: false },
    { host: "localhost", san: "DNS:localhost", accepted: true },
    { host: "DB.example.com", san: "DNS:*.example.com", accepted: true },
    { host: "db.example.com", san: "DNS:other.example.com", accepted: false },
    { host: "[::1]", san: "IP Address:0:0:0:0:0:0:0:1", accepted: true },
    { host: "a.example.com,b.example.com", san: "DNS:b.example.com", accepted: true },
  ];
  for (const c of cases) {
    await t.step(`${c.host} with ${c.san}: ${c.accepted ? "accepted" : "refused"}`, async () => {
      equal(await check(c.host, c.san), c.accepted);
    });
  }
});

Deno.test("tlsSetup() refuses what it cannot honour with one clear error", async (t) => {
  const cases = [
    {
      query: "?sslmode=verify",
      error: UsageError,
      message: /^sslmode "verify" is not known: choose one of disable, allow, prefer, /,
    },
    {
      query: "?sslmode=require&sslrootcert=system",
      error: UsageError,
      message: /^sslmode "require" is too weak for sslrootcert=system: use sslmode=verify-full$/,
    },
    {
      query: "?sslcrl=/etc/crl.pem",
      error: UsageError,
      message: /^Database URL parameter "sslcrl" is not supported: dpo reads sslmode, /,
    },
    {
      query: `?sslkey=${CA}`,
      error: UsageError,
      message: /^sslkey is given without sslcert: a client certificate needs both$/,
    },
    {
      query: "?sslmode=verify-ca&sslrootcert=/nonexistent/ca.crt",
      error: DatabaseError,
      message:
        /^Cannot read sslrootcert "\/nonexistent\/ca\.crt": no such file; fix the URL's sslrootcert or PGSSLROOTCERT$/,
    },
    {
      query: `?sslmode=verify-ca&sslrootcert=${NOT_PEM}`,
      error: DatabaseError,
      message: /^sslrootcert ".*notes\.txt" holds no PEM certificate: /,
    },
  ];
  for (const c of cases) {
    await t.step(c.query, async () => {
      await rejects(setup(`postgresql://h/db${c.query}`), (error: Error) => {
        assert(error instanceof c.error, `${error.name}: ${error.message}`);
        assert(c.message.test(error.message), error.message);
        return true;
      });
    });
  }
});

Deno.test("verify-full checks the host libpq's ?host= names, as the client connects to it", async () => {
  const { ssl } = await setup(
    `postgresql:///db?host=db.example.com&sslmode=verify-full&sslrootcert=${CA}`,
  );
  assert(typeof ssl === "object" && ssl.checkServerIdentity);
  equal(ssl.checkServerIdentity("localhost", certificate("DNS:db.example.com")), undefined);
  assert(ssl.checkServerIdentity("localhost", certificate("DNS:localhost")) instanceof Error);
});
