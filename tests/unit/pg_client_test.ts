/**
 * PgClient against a scripted fake server on loopback, for what a real PostgreSQL never does:
 * cut SCRAM short, go silent, or hang up mid-statement. The real server is the e2e tests'.
 */
import { deepStrictEqual as equal, ok as assert, rejects } from "node:assert/strict";
import { PgClient } from "../../src/store/pg/client.ts";

const encoder = new TextEncoder();

function message(type: string, ...parts: Uint8Array[]): Uint8Array {
  const body = concat(...parts);
  const bytes = new Uint8Array(5 + body.length);
  bytes[0] = type.charCodeAt(0);
  new DataView(bytes.buffer).setInt32(1, 4 + body.length);
  bytes.set(body, 5);
  return bytes;
}

function int32(value: number): Uint8Array {
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setInt32(0, value);
  return bytes;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const all = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    all.set(part, offset);
    offset += part.length;
  }
  return all;
}

const READY = message("Z", encoder.encode("I"));
const AUTH_OK = message("R", int32(0));

async function readSome(conn: Deno.Conn): Promise<string> {
  const buffer = new Uint8Array(65536);
  const read = await conn.read(buffer);
  return read === null ? "" : new TextDecoder().decode(buffer.subarray(0, read));
}

/** A one-connection server on a free loopback port, playing `script` with the client. */
function fakeServer(script: (conn: Deno.Conn) => Promise<void>) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const done = (async () => {
    const conn = await listener.accept();
    try {
      await readSome(conn); // the startup message
      await script(conn);
    } finally {
      conn.close();
      listener.close();
    }
  })();
  return { port: (listener.addr as Deno.NetAddr).port, done };
}

function connect(port: number, connectTimeoutSeconds = 5) {
  return PgClient.connect({
    config: {
      addresses: [{ host: "127.0.0.1", port }],
      user: "u",
      password: "pw",
      database: "d",
      startupParameters: {},
    },
    tls: { kind: "disable" },
    connectTimeoutSeconds,
    onNotice: () => {},
  });
}

Deno.test("a server that skips SCRAM's final signature is refused: it did not prove it knows the password", async () => {
  const server = fakeServer(async (conn) => {
    await conn.write(message("R", int32(10), encoder.encode("SCRAM-SHA-256\0\0")));
    const nonce = (await readSome(conn)).match(/r=([^,\0]+)/)![1];
    await conn.write(message("R", int32(11), encoder.encode(`r=${nonce}srv,s=c2FsdA==,i=4096`)));
    await readSome(conn);
    await conn.write(concat(AUTH_OK, READY));
    await readSome(conn);
  });
  await rejects(connect(server.port), {
    code: "PROTOCOL_ERROR",
    message: /broke off the SCRAM authentication exchange/,
  });
  await server.done;
});

Deno.test("a server that never answers fails with CONNECT_TIMEOUT within the timeout", async () => {
  const server = fakeServer(() => new Promise((resolve) => setTimeout(resolve, 1500)));
  const started = performance.now();
  await rejects(connect(server.port, 0.3), { code: "CONNECT_TIMEOUT" });
  assert(performance.now() - started < 1200, "the timeout was not kept");
  await server.done;
});

Deno.test("a connection the server drops mid-statement fails with CONNECTION_CLOSED, not a hang", async () => {
  const server = fakeServer(async (conn) => {
    await conn.write(concat(AUTH_OK, READY));
    await readSome(conn); // the statement; then hang up
  });
  const client = await connect(server.port);
  await rejects(client.query("SELECT 1"), { code: "CONNECTION_CLOSED" });
  await client.close();
  await server.done;
});

Deno.test("rows come back by column name, typed as the embedded store types them", async () => {
  const column = (name: string, typeOid: number) =>
    concat(
      encoder.encode(`${name}\0`),
      int32(0),
      new Uint8Array(2),
      int32(typeOid),
      new Uint8Array(8),
    );
  const value = (text: string | null) =>
    text === null ? int32(-1) : concat(int32(encoder.encode(text).length), encoder.encode(text));
  const server = fakeServer(async (conn) => {
    await conn.write(concat(AUTH_OK, READY));
    await readSome(conn);
    await conn.write(concat(
      message("1"),
      message("2"),
      message(
        "T",
        new Uint8Array([0, 4]),
        column("n", 23),
        column("big", 20),
        column("ok", 16),
        column("gone", 25),
      ),
      message(
        "D",
        new Uint8Array([0, 4]),
        value("42"),
        value("9007199254740993"),
        value("t"),
        value(null),
      ),
      message("C", encoder.encode("SELECT 1\0")),
      READY,
    ));
    await readSome(conn);
  });
  const client = await connect(server.port);
  equal(await client.query("SELECT …"), [{ n: 42, big: "9007199254740993", ok: true, gone: null }]);
  await client.close();
  await server.done;
});
