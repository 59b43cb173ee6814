/**
 * dpo's sslmode, sslrootcert, sslcert and sslkey against a throwaway PostgreSQL with ssl = on and
 * a CA made for the test (scripts/pg_cluster.sh with DPO_PG_SSL_DIR). A trigger records
 * pg_stat_ssl for the session that inserts each execution, so every case shows whether dpo's
 * own connection used TLS.
 */
import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import postgres from "postgres";
import { type CliResult, dpoOk, runDpo } from "../helpers/cli.ts";
import { temporaryFolder } from "../helpers/model_tree.ts";
import { assertCleanFailure } from "../helpers/pipeline.ts";
import { databaseUrl } from "../helpers/postgres_server.ts";
import { runShortPipeline } from "../helpers/short_pipeline.ts";

const PG_CLUSTER = decodeURIComponent(
  new URL("../../scripts/pg_cluster.sh", import.meta.url).pathname,
);
/** Kept out of every run unless a case sets them, so the caller's environment cannot interfere. */
const NO_TLS_ENV = { PGSSLMODE: "", PGSSLROOTCERT: "", PGSSLCERT: "", PGSSLKEY: "" };
const CERT_ROLE = "dpo_cert_user";

async function run(program: string, args: string[], options: Deno.CommandOptions = {}) {
  const output = await new Deno.Command(program, { args, stdin: "null", ...options }).output();
  const decoder = new TextDecoder();
  if (!output.success) {
    throw new Error(`${program} ${args.join(" ")} failed: ${decoder.decode(output.stderr)}`);
  }
  return decoder.decode(output.stdout);
}

/** A CA, and certificates it signed: `<name>.crt` and `<name>.key` (EC P-256) in `dir`. */
async function makeCertificates(dir: string): Promise<void> {
  const openssl = (args: string[]) => run("openssl", args, { cwd: dir, stderr: "piped" });
  const newKey = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  await openssl([
    "req",
    "-x509",
    ...newKey,
    ...["-keyout", "ca.key", "-out", "ca.crt", "-days", "2", "-subj", "/CN=dpo test CA"],
    ...["-addext", "basicConstraints=critical,CA:TRUE"],
    ...["-addext", "keyUsage=critical,keyCertSign,cRLSign"],
  ]);
  const leaves = {
    server: ["subjectAltName=IP:127.0.0.1,DNS:localhost", "extendedKeyUsage=serverAuth"],
    // Served for the host name checks: Deno's own check would accept it for 127.0.0.1.
    localhost_only: ["subjectAltName=DNS:localhost", "extendedKeyUsage=serverAuth"],
    client: ["extendedKeyUsage=clientAuth"],
  };
  for (const [name, extensions] of Object.entries(leaves)) {
    const subject = name === "client" ? CERT_ROLE : `dpo test ${name}`;
    await openssl(["req", ...newKey, "-keyout", `${name}.key`, "-out", `${name}.csr`]
      .concat(["-subj", `/CN=${subject}`]));
    await Deno.writeTextFile(`${dir}/${name}.ext`, extensions.join("\n") + "\n");
    await openssl(
      ["x509", "-req", "-in", `${name}.csr`, "-CA", "ca.crt", "-CAkey", "ca.key"]
        .concat(["-CAcreateserial", "-out", `${name}.crt`, "-days", "2"])
        .concat(["-extfile", `${name}.ext`]),
    );
  }
}

/** What pg_stat_ssl said of the session that inserted an execution. */
interface SessionTls {
  ssl: boolean;
  version: string | null;
  client_dn: string | null;
}

/** The TLS server, its CA and a database `dpo_tls` after `dpo db upgrade`. */
interface TlsServer {
  port: number;
  certs: string;
  url(options?: { host?: string; query?: string; database?: string; user?: string }): string;
  admin: postgres.Sql;
  tlsOf(executionId: string): Promise<SessionTls>;
  /** Serves `<name>.crt` (e.g. "localhost_only"), or the cluster's own server.crt for null. */
  serveCertificate(name: string | null): Promise<void>;
  /** Adds a pg_hba.conf line before the others and reloads. */
  prependHbaLine(line: string): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

const RECORD_TLS = `
  CREATE TABLE public.session_tls (execution_id uuid, ssl boolean, version text, client_dn text);
  CREATE FUNCTION public.record_session_tls() RETURNS trigger LANGUAGE plpgsql
    SECURITY DEFINER AS $$
  BEGIN
    INSERT INTO public.session_tls
      SELECT NEW.execution_id, s.ssl, s.version, s.client_dn FROM pg_stat_ssl s
      WHERE s.pid = pg_backend_pid();
    RETURN NEW;
  END $$;
  CREATE TRIGGER record_session_tls AFTER INSERT ON dpo.execution
    FOR EACH ROW EXECUTE FUNCTION public.record_session_tls();`;

async function startTlsServer(): Promise<TlsServer> {
  const root = await Deno.makeTempDir({ prefix: "dpo-tls-" });
  // The server runs as another user (postgres) when the tests run as root.
  await Deno.chmod(root, 0o755);
  const certs = `${root}/certs`;
  const cluster = `${root}/cluster`;
  await Deno.mkdir(certs);
  try {
    await makeCertificates(certs);
    const envText = await run(PG_CLUSTER, ["start", cluster], {
      env: { DPO_PG_SSL_DIR: certs },
      stderr: "piped",
    });
    const env = Object.fromEntries(envText.trim().split("\n").map((line) => line.split("=")));
    const port = Number(env.DPO_TEST_PG_PORT);
    const superuser = { user: env.DPO_TEST_PG_SUPERUSER, password: env.DPO_TEST_PG_PASSWORD };
    const client = (database: string) =>
      postgres({ host: "127.0.0.1", port, database, ...superuser, max: 1, onnotice: () => {} });
    await using setup = { sql: client("postgres"), [Symbol.asyncDispose]: () => setup.sql.end() };
    await setup.sql.unsafe("CREATE DATABASE dpo_tls");
    const server: TlsServer = {
      port,
      certs,
      url: (options = {}) =>
        `postgresql://${options.user ?? `${superuser.user}:${superuser.password}`}@${
          options.host ?? "127.0.0.1"
        }:${port}/${options.database ?? "dpo_tls"}${options.query ?? ""}`,
      admin: client("dpo_tls"),
      async tlsOf(executionId) {
        const rows = await server.admin<SessionTls[]>`
          select ssl, version, client_dn from public.session_tls
          where execution_id = ${executionId}`;
        assertEquals(rows.length, 1, `no pg_stat_ssl row for execution ${executionId}`);
        return { ...rows[0] };
      },
      async serveCertificate(name) {
        const dataDir = `${cluster}/data`;
        if (name === null) {
          await server.admin.unsafe("ALTER SYSTEM RESET ssl_cert_file");
          await server.admin.unsafe("ALTER SYSTEM RESET ssl_key_file");
        } else {
          for (const file of [`${name}.crt`, `${name}.key`]) {
            await copyToDataDir(`${certs}/${file}`, `${dataDir}/${file}`);
          }
          await server.admin.unsafe(`ALTER SYSTEM SET ssl_cert_file = '${name}.crt'`);
          await server.admin.unsafe(`ALTER SYSTEM SET ssl_key_file = '${name}.key'`);
        }
        await reload(server.admin, client);
      },
      async prependHbaLine(line) {
        const hbaFile = `${cluster}/data/pg_hba.conf`;
        await Deno.writeTextFile(hbaFile, `${line}\n${await Deno.readTextFile(hbaFile)}`);
        await reload(server.admin, client);
      },
      async [Symbol.asyncDispose]() {
        await server.admin.end();
        await stopAndRemove(cluster, root);
      },
    };
    const upgrade = await runDpo([server.url({ query: verifyFull(certs) }), "db", "upgrade"]);
    assertEquals(upgrade.code, 0, upgrade.stderr);
    await server.admin.unsafe(RECORD_TLS);
    return server;
  } catch (error) {
    await stopAndRemove(cluster, root);
    throw error;
  }
}

/** Stops the server (a quiet no-op when it never started) and removes every file. */
async function stopAndRemove(cluster: string, root: string): Promise<void> {
  try {
    await run(PG_CLUSTER, ["stop", cluster], { stderr: "piped" });
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

/** Copies a file into the data folder with the owner and mode the server demands of a key. */
async function copyToDataDir(from: string, to: string): Promise<void> {
  const owner = await Deno.stat(to.slice(0, to.lastIndexOf("/")));
  await Deno.copyFile(from, to);
  await Deno.chmod(to, 0o600);
  await Deno.chown(to, owner.uid, owner.gid);
}

let generation = 0;

/** Reloads the configuration and waits until new sessions see it (and so the new TLS files). */
async function reload(admin: postgres.Sql, client: (database: string) => postgres.Sql) {
  // A harmless setting that each reload changes, as the marker of a reload that took effect.
  const marker = `${4096 + ++generation}kB`;
  await admin.unsafe(`ALTER SYSTEM SET work_mem = '${marker}'`);
  await admin.unsafe("SELECT pg_reload_conf()");
  for (let attempt = 0; attempt < 100; attempt++) {
    const probe = client("dpo_tls");
    try {
      const [{ seen }] = await probe`select current_setting('work_mem') as seen`;
      if (seen === marker) return;
    } finally {
      await probe.end();
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error("the server did not reload its configuration within 5 s");
}

function verifyFull(certs: string): string {
  return `?sslmode=verify-full&sslrootcert=${encodeURIComponent(`${certs}/ca.crt`)}`;
}

/** Runs init-execution and returns what pg_stat_ssl recorded for dpo's session. */
async function initExecutionTls(
  server: TlsServer,
  args: string[],
  env: Record<string, string> = {},
): Promise<SessionTls> {
  const executionId = await dpoOk([...args, "init-execution"], { env: { ...NO_TLS_ENV, ...env } });
  return await server.tlsOf(executionId);
}

function runWithoutTlsEnv(args: string[]): Promise<CliResult> {
  return runDpo(args, { env: NO_TLS_ENV });
}

const TLS_1_3 = { ssl: true, version: "TLSv1.3", client_dn: null };
const NO_TLS = { ssl: false, version: null, client_dn: null };

Deno.test("dpo honours sslmode, sslrootcert, sslcert and sslkey against a server with its own CA", async (t) => {
  await using server = await startTlsServer();
  const ca = `${server.certs}/ca.crt`;
  const url = (query = "", host?: string) => server.url({ query, host });
  const executions = async () =>
    (await server.admin`select count(*)::int as n from dpo.execution`)[0].n;

  await t.step("without sslmode it uses TLS when the server offers it, as libpq does", async () => {
    assertEquals(await initExecutionTls(server, [url()]), TLS_1_3);
  });
  await t.step("sslmode=disable connects without TLS", async () => {
    assertEquals(await initExecutionTls(server, [url("?sslmode=disable")]), NO_TLS);
  });
  await t.step("sslmode=require accepts a certificate from a CA it was not given", async () => {
    assertEquals(await initExecutionTls(server, [url("?sslmode=require")]), TLS_1_3);
  });
  await t.step("sslmode=verify-ca accepts the certificate signed by sslrootcert", async () => {
    const query = `?sslmode=verify-ca&sslrootcert=${encodeURIComponent(ca)}`;
    assertEquals(await initExecutionTls(server, ["--db", url(query)]), TLS_1_3);
  });
  await t.step(
    "sslmode=verify-full accepts 127.0.0.1 and localhost, both named by the certificate",
    async () => {
      for (const host of ["127.0.0.1", "localhost"]) {
        assertEquals(
          await initExecutionTls(server, [url(verifyFull(server.certs), host)]),
          TLS_1_3,
        );
      }
    },
  );
  await t.step("PGSSLMODE and PGSSLROOTCERT stand in for the URL's parameters", async () => {
    const env = { DPO_DATABASE_URL: url(), PGSSLMODE: "verify-full", PGSSLROOTCERT: ca };
    assertEquals(await initExecutionTls(server, [], env), TLS_1_3);
  });

  await t.step(
    "sslmode=verify-full without the CA refuses the server: one clear line",
    async () => {
      const before = await executions();
      for (const query of ["?sslmode=verify-full", "?sslmode=verify-ca"]) {
        assertCleanFailure(
          await runWithoutTlsEnv([url(query), "init-execution"]),
          1,
          /^error: The TLS certificate of PostgreSQL at postgresql:\/\/postgres:\*\*\*@127\.0\.0\.1:\d+\/dpo_tls\?sslmode=verify-(full|ca) is not signed by a trusted CA \(self-signed certificate in certificate chain\): give the CA's certificate with sslrootcert=<file> or PGSSLROOTCERT, or skip the check with sslmode=require$/,
        );
      }
      assertEquals(await executions(), before);
    },
  );
  await t.step("an sslrootcert that cannot be read is one clear line", async () => {
    const missing = `${server.certs}/missing.crt`;
    assertCleanFailure(
      await runWithoutTlsEnv([url(`?sslmode=verify-full&sslrootcert=${missing}`), "db", "current"]),
      1,
      /^error: Cannot read sslrootcert ".*\/missing\.crt": no such file; fix the URL's sslrootcert or PGSSLROOTCERT$/,
    );
    assertCleanFailure(
      await runWithoutTlsEnv([url(`?sslmode=verify-full&sslrootcert=${server.certs}/ca.srl`)]
        .concat(["db", "current"])),
      1,
      /^error: sslrootcert ".*\/ca\.srl" holds no PEM certificate: fix the URL's sslrootcert /,
    );
  });

  await t.step(
    "a certificate naming only localhost: verify-full refuses 127.0.0.1 and accepts localhost; verify-ca accepts both",
    async () => {
      await server.serveCertificate("localhost_only");
      try {
        const before = await executions();
        assertCleanFailure(
          await runWithoutTlsEnv([url(verifyFull(server.certs)), "init-execution"]),
          1,
          /^error: The TLS certificate of PostgreSQL at .*:\d+\/dpo_tls\?sslmode=verify-full&sslrootcert=\S+ does not name the host in the URL \(Hostname\/IP does not match certificate's altnames: IP: 127\.0\.0\.1 is not in the cert's list: \): connect by a name the certificate lists, or check only the CA with sslmode=verify-ca$/,
        );
        assertEquals(await executions(), before);
        const verified = `?sslmode=verify-ca&sslrootcert=${ca}`;
        assertEquals(await initExecutionTls(server, [url(verified)]), TLS_1_3);
        assertEquals(
          await initExecutionTls(server, [url(verifyFull(server.certs), "localhost")]),
          TLS_1_3,
        );
      } finally {
        await server.serveCertificate(null);
      }
      assertEquals(await initExecutionTls(server, [url(verifyFull(server.certs))]), TLS_1_3);
    },
  );

  await t.step(
    "a role that must show a client certificate connects with sslcert and sslkey",
    async () => {
      await server.admin.unsafe(`CREATE ROLE ${CERT_ROLE} LOGIN;
      GRANT USAGE ON SCHEMA dpo TO ${CERT_ROLE};
      GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA dpo TO ${CERT_ROLE};`);
      await server.prependHbaLine(`hostssl all ${CERT_ROLE} 127.0.0.1/32 cert`);
      const certUrl = (query: string) => server.url({ user: CERT_ROLE, query });
      const client = `&sslcert=${server.certs}/client.crt&sslkey=${server.certs}/client.key`;
      assertEquals(
        await initExecutionTls(server, [certUrl(verifyFull(server.certs) + client)]),
        { ...TLS_1_3, client_dn: `/CN=${CERT_ROLE}` },
      );
      const env = {
        PGSSLCERT: `${server.certs}/client.crt`,
        PGSSLKEY: `${server.certs}/client.key`,
      };
      assertEquals(
        await initExecutionTls(server, [certUrl("?sslmode=require")], env),
        { ...TLS_1_3, client_dn: `/CN=${CERT_ROLE}` },
      );
      assertCleanFailure(
        await runWithoutTlsEnv([certUrl(verifyFull(server.certs)), "init-execution"]),
        1,
        /^error: PostgreSQL at postgresql:\/\/dpo_cert_user@.* refused the connection: connection requires a valid client certificate$/,
      );
      assertCleanFailure(
        await runWithoutTlsEnv([certUrl(`?sslmode=require&sslcert=${server.certs}/client.crt`)]
          .concat(["db", "current"])),
        2,
        /^error: sslcert is given without sslkey: a client certificate needs both$/,
      );
    },
  );

  await t.step("a whole pipeline runs over verify-full, every session encrypted", async () => {
    await server.admin.unsafe("CREATE DATABASE dpo_tls_pipeline");
    const pipelineUrl = server.url({
      database: "dpo_tls_pipeline",
      query: verifyFull(server.certs),
    });
    const env = { ...NO_TLS_ENV, DPO_DATABASE_URL: pipelineUrl };
    assertEquals(await dpoOk(["db", "upgrade"], { env }), "");
    await using pipelineDb = {
      sql: postgres(server.url({ database: "dpo_tls_pipeline" }), { max: 1, ssl: false }),
      [Symbol.asyncDispose]: () => pipelineDb.sql.end(),
    };
    await pipelineDb.sql.unsafe(RECORD_TLS);
    await using models = await temporaryFolder();
    await runShortPipeline((args) => runDpo(args, { env }), models.path);
    const sessions = await pipelineDb.sql`select ssl, version from public.session_tls`;
    assertEquals(sessions.map((row) => ({ ...row })), [1, 2, 3].map(() => TLS_1_3_SESSION));
  });
});

const TLS_1_3_SESSION = { ssl: true, version: "TLSv1.3" };

Deno.test("sslmode=require or verify-full against a server without TLS fails at once with one clear line", async () => {
  // The suite's own server runs with ssl = off.
  for (const mode of ["require", "verify-full"]) {
    const started = performance.now();
    const result = await runWithoutTlsEnv([
      databaseUrl("postgres") + `?sslmode=${mode}`,
      "--connect-timeout",
      "20",
      "db",
      "current",
    ]);
    assertCleanFailure(
      result,
      1,
      new RegExp(
        `^error: PostgreSQL at postgresql://\\w+:\\*\\*\\*@[^ ]+\\?sslmode=${mode} does not ` +
          "accept TLS connections, which sslmode requires: turn ssl on in the server, or use " +
          "sslmode=prefer or sslmode=disable$",
      ),
    );
    // Not retried until --connect-timeout: asking again would not change the server's answer.
    const seconds = (performance.now() - started) / 1000;
    assert(seconds < 10, `took ${seconds.toFixed(1)} s`);
  }
  // The default, prefer, falls back to a plain connection.
  assertEquals((await runWithoutTlsEnv([databaseUrl("postgres"), "db", "current"])).code, 0);
});
