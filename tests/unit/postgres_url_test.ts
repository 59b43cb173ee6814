import { deepStrictEqual as equal, ok as assert, throws } from "node:assert/strict";
import type { PeerCertificate } from "node:tls";
import { DatabaseError, UsageError } from "../../src/errors.ts";
import { parsePostgresUrl } from "../../src/postgres_url.ts";
import { hostCheck, tlsPolicy } from "../../src/store/postgres_socket.ts";

const noEnv = (env: Record<string, string> = {}) => (name: string) => env[name];
const parse = (url: string, env: Record<string, string> = {}) => parsePostgresUrl(url, noEnv(env));

// The policy only reads the files and checks their PEM labels; handshakes are tls_test.ts's (e2e).
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

Deno.test("parsePostgresUrl() reads user, password, host, port and database from the URL", () => {
  const settings = parse("postgresql://ann:s%40cret@db.example.com:6543/sales");
  equal(
    [settings.addresses, settings.user, settings.password, settings.database, settings.display],
    [
      [{ host: "db.example.com", port: 6543 }],
      "ann",
      "s@cret",
      "sales",
      "postgresql://ann:***@db.example.com:6543/sales",
    ],
  );
  equal(settings.startupParameters, {});
});

Deno.test("parsePostgresUrl() keeps a raw @ in the password, up to the authority's last @", () => {
  const settings = parse("postgresql://ann:p@ss@h/db");
  equal([settings.user, settings.password, settings.addresses[0].host], ["ann", "p@ss", "h"]);
  equal(settings.display, "postgresql://ann:***@h/db");
});

Deno.test("parsePostgresUrl() fills what the URL leaves out from libpq's variables", () => {
  const env = {
    PGHOST: "pg.internal",
    PGPORT: "5433",
    PGUSER: "bob",
    PGPASSWORD: "pw",
    PGDATABASE: "warehouse",
  };
  const settings = parse("postgresql://", env);
  equal(
    [settings.addresses, settings.user, settings.password, settings.database],
    [[{ host: "pg.internal", port: 5433 }], "bob", "pw", "warehouse"],
  );
  // The URL wins over the variables; the database defaults to the user's name.
  const own = parse("postgresql://carol@h:1", { PGUSER: "bob" });
  equal([own.user, own.database, own.addresses], ["carol", "carol", [{ host: "h", port: 1 }]]);
});

Deno.test("parsePostgresUrl() reads a host list, IPv6 hosts and a Unix socket directory", () => {
  equal(parse("postgresql://u@a:1,b,[::1]:3/db").addresses, [
    { host: "a", port: 1 },
    { host: "b", port: 5432 },
    { host: "::1", port: 3 },
  ]);
  equal(parse("postgresql://u@%2Frun%2Fpostgresql:5433/db").addresses, [
    { host: "/run/postgresql", port: 5433 },
  ]);
  equal(parse("postgresql:///db?host=/tmp/pg", { USER: "u" }).addresses, [
    { host: "/tmp/pg", port: 5432 },
  ]);
  equal(parse("postgresql:///db", { PGHOST: "::1", USER: "u" }).addresses, [
    { host: "::1", port: 5432 },
  ]);
});

Deno.test("parsePostgresUrl() sends the URL's other parameters at start-up, never libpq's keywords", () => {
  const settings = parse(
    "postgresql://h/db?user=bob&password=pw&dbname=other&port=6000&client_encoding=LATIN1" +
      "&application_name=etl%20nightly&options=-c%20search_path%3Ddpo&sslmode=disable",
  );
  equal(
    [settings.user, settings.password, settings.database, settings.addresses],
    ["bob", "pw", "other", [{ host: "h", port: 6000 }]],
  );
  equal(settings.startupParameters, {
    application_name: "etl nightly",
    options: "-c search_path=dpo",
  });
  equal(
    settings.display,
    "postgresql://h/db?user=bob&password=***&dbname=other&port=6000&client_encoding=LATIN1" +
      "&application_name=etl%20nightly&options=-c%20search_path%3Ddpo&sslmode=disable",
  );
});

Deno.test("parsePostgresUrl() refuses what it cannot read with one usage error", async (t) => {
  const cases: { url: string; env: Record<string, string>; message: RegExp }[] = [
    { url: "postgresql://h/db", env: {}, message: /names no user/ },
    { url: "postgresql://u@h:99999/db", env: {}, message: /^Port "99999" is not a TCP port/ },
    { url: "postgresql://u@h/db", env: { PGPORT: "x" }, message: /^Port "x"/ },
    {
      url: "postgresql://u:p%zzw@h/db",
      env: {},
      message: /^Database URL "postgresql:\/\/u:\*\*\*@h\/db" has a malformed %-escape/,
    },
    { url: "postgresql://u@h/db?sslmode=verify", env: {}, message: /^sslmode "verify" is not/ },
    {
      url: "postgresql://u@h/db?sslmode=require&sslrootcert=system",
      env: {},
      message: /^sslmode "require" is too weak for sslrootcert=system: use sslmode=verify-full$/,
    },
    {
      url: "postgresql://u@h/db?sslcrl=/etc/crl.pem",
      env: {},
      message: /^Database URL parameter "sslcrl" is not supported: dpo reads sslmode, /,
    },
    {
      url: `postgresql://u@h/db?sslkey=${CLIENT_KEY}`,
      env: {},
      message: /^sslkey is given without sslcert: a client certificate needs both$/,
    },
  ];
  for (const c of cases) {
    await t.step(c.url, () => {
      throws(() => parse(c.url, c.env), (error: Error) => {
        assert(error instanceof UsageError, `${error.name}: ${error.message}`);
        assert(c.message.test(error.message), error.message);
        return true;
      });
    });
  }
});

Deno.test("each sslmode becomes libpq's behaviour in node:tls terms", async (t) => {
  const cases = [
    { name: "no sslmode: prefer", query: "", mode: "prefer", policy: "prefer" },
    { name: "disable", query: "?sslmode=disable", mode: "disable", policy: "disable" },
    { name: "allow: as prefer", query: "?sslmode=allow", mode: "allow", policy: "prefer" },
    {
      name: "require: unverified",
      query: "?sslmode=require",
      mode: "require",
      policy: { verify: false, ca: false, cert: false, host: false },
    },
    {
      name: "require with a root certificate: verify-ca",
      query: `?sslmode=require&sslrootcert=${CA}`,
      mode: "verify-ca",
      policy: { verify: true, ca: true, cert: false, host: false },
    },
    {
      name: "verify-ca without a root certificate: the trusted CAs",
      query: "?sslmode=verify-ca",
      mode: "verify-ca",
      policy: { verify: true, ca: false, cert: false, host: false },
    },
    {
      name: "verify-full",
      query: `?sslmode=verify-full&sslrootcert=${CA}`,
      mode: "verify-full",
      policy: { verify: true, ca: true, cert: false, host: true },
    },
    {
      name: "sslrootcert=system alone: verify-full against the trusted CAs",
      query: "?sslrootcert=system",
      mode: "verify-full",
      policy: { verify: true, ca: false, cert: false, host: true },
    },
    {
      name: "a client certificate makes prefer require TLS",
      query: `?sslcert=${CA}&sslkey=${CLIENT_KEY}`,
      mode: "prefer",
      policy: { verify: false, ca: false, cert: true, host: false },
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      const { tls } = parse(`postgresql://u:p@db.example.com:5432/dpo${c.query}`);
      const policy = tlsPolicy(tls);
      equal(tls.mode, c.mode);
      equal(
        policy.kind === "require"
          ? {
            verify: policy.options.rejectUnauthorized,
            ca: policy.options.ca !== undefined,
            cert: policy.options.cert !== undefined,
            host: policy.verifyHost,
          }
          : policy.kind,
        c.policy,
      );
    });
  }
  await t.step("PGSSLMODE and PGSSLROOTCERT stand in for the URL's parameters", () => {
    const env = { PGSSLMODE: "verify-full", PGSSLROOTCERT: CA };
    equal(parse("postgresql://u@h/db", env).tls.mode, "verify-full");
    equal(parse("postgresql://u@h/db?sslmode=disable", env).tls.mode, "disable");
  });
});

Deno.test("a root certificate that cannot be read fails when connecting, as a database error", () => {
  for (
    const [rootCert, message] of [
      ["/nonexistent/ca.crt", /^Cannot read sslrootcert "\/nonexistent\/ca\.crt": no such file; /],
      [NOT_PEM, /^sslrootcert ".*notes\.txt" holds no PEM certificate: fix the URL's /],
    ] as const
  ) {
    const { tls } = parse(`postgresql://u@h/db?sslmode=verify-ca&sslrootcert=${rootCert}`);
    throws(() => tlsPolicy(tls), (error: Error) => {
      assert(error instanceof DatabaseError && message.test(error.message), error.message);
      return true;
    });
  }
});

Deno.test("verify-full checks the certificate against the host connected to, an IP address too", async (t) => {
  const certificate = (subjectaltname: string) =>
    ({ subjectaltname, subject: { CN: "db" } }) as unknown as PeerCertificate;
  const cases = [
    { host: "127.0.0.1", san: "IP Address:127.0.0.1", accepted: true },
    { host: "127.0.0.1", san: "DNS:localhost", accepted: false },
    { host: "localhost", san: "DNS:localhost", accepted: true },
    { host: "DB.example.com", san: "DNS:*.example.com", accepted: true },
    { host: "db.example.com", san: "DNS:other.example.com", accepted: false },
    { host: "::1", san: "IP Address:0:0:0:0:0:0:0:1", accepted: true },
  ];
  for (const c of cases) {
    await t.step(`${c.host} with ${c.san}: ${c.accepted ? "accepted" : "refused"}`, () => {
      // Deno's node:tls passes "localhost" as the name when the host is an IP address.
      equal(hostCheck(c.host)!("localhost", certificate(c.san)) === undefined, c.accepted);
    });
  }
});
