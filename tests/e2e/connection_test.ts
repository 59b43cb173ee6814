/**
 * dpo against the real server: Unix sockets and a clean
 * goodbye. TLS is tls_test.ts's; authentication failures are errors_test.ts's.
 */
import { deepStrictEqual as equal, ok as assert } from "node:assert/strict";
import { dpoOk } from "../helpers/cli.ts";
import { createTestDatabase, serverSettings } from "../helpers/postgres_server.ts";

const socketDir = Deno.env.get("DPO_TEST_PG_SOCKET_DIR")!;

async function executionCount(sql: { unsafe(text: string): Promise<unknown[]> }) {
  const [row] = await sql.unsafe("SELECT count(*)::int AS n FROM dpo.execution") as { n: number }[];
  return row.n;
}

Deno.test("dpo connects over a Unix socket, named in the URL or by PGHOST and PGPORT", async () => {
  await using db = await createTestDatabase();
  const { port, user } = serverSettings();
  const socketUrl = `postgresql://${user}@${encodeURIComponent(socketDir)}:${port}/${db.name}`;
  await dpoOk(["--db", socketUrl, "db", "upgrade"]);
  await dpoOk(["--db", socketUrl, "init-execution"]);
  await dpoOk(["--db", `postgresql:///${db.name}`, "init-execution"], {
    env: { PGHOST: socketDir, PGPORT: String(port), PGUSER: user },
  });
  equal(await executionCount(db.sql), 2);
});

Deno.test("dpo ends each session cleanly: the server logs no broken connection", async () => {
  await using db = await createTestDatabase();
  // A client that leaves without saying goodbye is logged only at DEBUG1 when it was idle: log
  // that much for this database's sessions, so that a missing Terminate shows.
  await db.sql.unsafe(`ALTER DATABASE ${db.name} SET log_min_messages = debug1`);
  const serverLog = `${socketDir}/server.log`;
  const before = (await Deno.readTextFile(serverLog)).length;
  await dpoOk(["--db", db.url, "db", "upgrade"]);
  await dpoOk(["--db", db.url, "init-execution"]);
  const logged = (await Deno.readTextFile(serverLog)).slice(before);
  assert(!/unexpected EOF|connection reset|could not receive data/i.test(logged), logged);
});
