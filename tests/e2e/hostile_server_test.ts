/**
 * The real CLI against a fake server on loopback that answers with what no PostgreSQL sends: a
 * broken proxy, a man-in-the-middle under sslmode=prefer, or a port that is not PostgreSQL's.
 * Each bad reply, at start-up, during authentication or in the middle of a statement, ends dpo
 * within --connect-timeout (or --statement-timeout) plus a second: one `error: ` line, exit 1,
 * no stack, nothing on stdout. SIGINT and SIGTERM end it within a second in every phase.
 */
import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { decodeOutput } from "../../scripts/lib/captured_command.ts";
import { MAIN, runDpo } from "../helpers/cli.ts";

const encoder = new TextEncoder();
/** --connect-timeout and --statement-timeout of every run, in seconds. */
const TIMEOUT = 2;

// ---- Backend messages --------------------------------------------------------------------

function concat(...parts: Uint8Array[]): Uint8Array {
  const all = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    all.set(part, offset);
    offset += part.length;
  }
  return all;
}

function int32(value: number): Uint8Array {
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setInt32(0, value);
  return bytes;
}

function int16(value: number): Uint8Array {
  return new Uint8Array([(value >> 8) & 255, value & 255]);
}

const text = (value: string) => encoder.encode(value);
const cstring = (value: string) => encoder.encode(`${value}\0`);

/** A message with its true length. */
function message(type: string, ...body: Uint8Array[]): Uint8Array {
  const all = concat(...body);
  return concat(text(type), int32(4 + all.length), all);
}

/** A header claiming `length`, whatever follows. */
function header(type: string, length: number): Uint8Array {
  const bytes = new Uint8Array(5);
  bytes[0] = type.charCodeAt(0);
  new DataView(bytes.buffer).setUint32(1, length);
  return bytes;
}

const AUTH_OK = message("R", int32(0));
const READY_IDLE = message("Z", text("I"));
const READY_IN_TRANSACTION = message("Z", text("T"));
const STARTED = concat(
  AUTH_OK,
  message("S", cstring("server_version"), cstring("15.0")),
  message("K", int32(1), int32(2)),
  READY_IDLE,
);
const ERROR_WITHOUT_NUL = message("E", text("SFATAL"), text("\0C28000\0Mno terminator here"));

function column(name: string): Uint8Array {
  return concat(cstring(name), int32(0), int16(0), int32(25), int16(-1), int32(-1), int16(0));
}

function rowDescription(...names: string[]): Uint8Array {
  return message("T", int16(names.length), ...names.map(column));
}

function dataRow(...values: string[]): Uint8Array {
  return message("D", int16(values.length), ...values.flatMap((v) => [int32(v.length), text(v)]));
}

const NOTICE = message("N", cstring("SNOTICE"), cstring("C00000"), cstring("hello"), text("\0"));

// ---- The fake server ----------------------------------------------------------------------

/** What the client sent: its start-up (type "") or one typed message. */
interface ClientMessage {
  type: string;
  body: Uint8Array;
}

/** Reads the client's messages from one connection; the first has no type byte. */
class Client {
  readonly conn: Deno.Conn;
  /** Called when dpo's first statement arrives. */
  readonly onStatement: () => void;
  #buffer: Uint8Array = new Uint8Array(0);
  #startup = true;

  constructor(conn: Deno.Conn, onStatement: () => void = () => {}) {
    this.conn = conn;
    this.onStatement = onStatement;
  }

  async next(): Promise<ClientMessage | null> {
    for (;;) {
      const head = this.#startup ? 0 : 1;
      if (this.#buffer.length >= head + 4) {
        const length = new DataView(this.#buffer.buffer, this.#buffer.byteOffset).getInt32(head);
        if (this.#buffer.length >= head + length) {
          const type = head === 0 ? "" : String.fromCharCode(this.#buffer[0]);
          const body = this.#buffer.slice(head + 4, head + length);
          this.#buffer = this.#buffer.slice(head + length);
          // An SSLRequest is followed by the start-up proper.
          this.#startup = type === "" && length === 8;
          return { type, body };
        }
      }
      const chunk = new Uint8Array(65536);
      const read = await this.conn.read(chunk).catch(() => null);
      if (read === null) return null;
      this.#buffer = concat(this.#buffer, chunk.subarray(0, read));
    }
  }

  /** Reads until a message of `type` arrives; null when the client hangs up. */
  async until(type: string): Promise<ClientMessage | null> {
    for (;;) {
      const next = await this.next();
      if (next === null || next.type === type) return next;
    }
  }

  async send(...parts: Uint8Array[]): Promise<void> {
    const bytes = concat(...parts);
    for (let written = 0; written < bytes.length;) {
      written += await this.conn.write(bytes.subarray(written));
    }
  }

  /** Waits until the client hangs up. */
  async silence(): Promise<void> {
    while (await this.next() !== null);
  }
}

/** Start-up and authentication done, the probe and BEGIN answered: dpo's first statement is next. */
async function upToFirstStatement(client: Client): Promise<boolean> {
  if (await client.next() === null) return false; // the start-up
  await client.send(STARTED);
  for (;;) {
    const next = await client.next();
    if (next === null) return false;
    if (next.type === "P") {
      client.onStatement();
      return true;
    }
    if (next.type !== "Q") continue;
    const query = new TextDecoder().decode(next.body).replace(/\0$/, "");
    await client.send(
      query === ""
        ? concat(message("I"), READY_IDLE)
        : concat(message("C", cstring(query)), READY_IN_TRANSACTION),
    );
  }
}

/** The SCRAM exchange up to the server's SASLContinue, from the server's side. */
async function scramContinue(client: Client, nonce: (clientNonce: string) => string) {
  await client.next(); // the start-up
  await client.send(message("R", int32(10), cstring("SCRAM-SHA-256"), text("\0")));
  const initial = await client.until("p");
  if (initial === null) return false;
  const clientNonce = new TextDecoder().decode(initial.body).match(/r=([^,\0]+)/)![1];
  await client.send(
    message("R", int32(11), text(`r=${nonce(clientNonce)},s=c2FsdHNhbHQ=,i=4096`)),
  );
  return await client.until("p") !== null;
}

type Script = (client: Client) => Promise<void>;

/**
 * A server on a free loopback port playing `script` with every connection dpo makes; it notes
 * when the first connection came and when the first statement did.
 */
function fakeServer(script: Script) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const connections: Deno.Conn[] = [];
  const times: { connected?: number; statement?: number } = {};
  const serving = (async () => {
    for await (const conn of listener) {
      connections.push(conn);
      times.connected ??= performance.now();
      const client = new Client(conn, () => times.statement ??= performance.now());
      script(client).catch(() => {}).finally(() => {
        try {
          conn.close();
        } catch {
          // Closed by the script.
        }
      });
    }
  })();
  return {
    port: (listener.addr as Deno.NetAddr).port,
    times,
    async [Symbol.asyncDispose]() {
      listener.close();
      await serving.catch(() => {});
      for (const conn of connections) {
        try {
          conn.close();
        } catch {
          // Closed already.
        }
      }
    },
  };
}

// ---- The bad replies ----------------------------------------------------------------------

type Phase = "start-up" | "authentication" | "mid-query";

interface Case {
  kind: string;
  phase: Phase;
  script: Script;
  query?: string;
  /** What the error line says, after "error: ". */
  message: RegExp;
}

const BROKE_PROTOCOL = /^error: The server at .* broke PostgreSQL's protocol \(.+\) and dpo closed/;
const NO_ANSWER = /^error: Cannot connect to PostgreSQL at .*: no answer in time; /;
const NO_STATEMENT_ANSWER =
  /^error: PostgreSQL at .* did not answer a statement within --statement-timeout \(2 s\)/;
const UNSUPPORTED =
  /^error: Cannot connect to PostgreSQL at .*: the server at .* (offers only|asks for an authentication method)/;

/** The same bad reply at start-up (instead of authenticating) and in the middle of a statement. */
function atStartupAndMidQuery(kind: string, reply: Uint8Array, then: "silence" | "close") {
  const finish = (client: Client) => then === "silence" ? client.silence() : Promise.resolve();
  return [
    {
      kind,
      phase: "start-up" as const,
      script: async (client: Client) => {
        await client.next();
        await client.send(reply);
        await finish(client);
      },
      message: BROKE_PROTOCOL,
    },
    {
      kind,
      phase: "mid-query" as const,
      script: async (client: Client) => {
        if (!await upToFirstStatement(client)) return;
        await client.send(reply);
        await finish(client);
      },
      message: BROKE_PROTOCOL,
    },
  ];
}

const CASES: Case[] = [
  ...atStartupAndMidQuery("a field without its NUL terminator", ERROR_WITHOUT_NUL, "silence"),
  ...atStartupAndMidQuery("a length below 4", concat(header("R", 2), int32(0)), "silence"),
  ...atStartupAndMidQuery("a length of 1 GiB", concat(header("D", 2 ** 30), int16(1)), "silence"),
  ...atStartupAndMidQuery("an unknown message type", message("~", text("hello")), "silence"),
  ...atStartupAndMidQuery(
    "a message cut short, then the connection closed",
    dataRow("abc").subarray(0, 7),
    "close",
  ),
  ...atStartupAndMidQuery(
    "a ReadyForQuery with an unknown status",
    message("Z", text("X")),
    "silence",
  ),
  ...atStartupAndMidQuery(
    "a COPY where none was asked for",
    message("G", text("\0"), int16(0)),
    "silence",
  ),
  {
    kind: "an unknown authentication method",
    phase: "authentication",
    script: async (client) => {
      await client.next();
      await client.send(message("R", int32(99)));
      await client.silence();
    },
    message: UNSUPPORTED,
  },
  {
    kind: "GSSAPI, which postgres.js does not speak",
    phase: "authentication",
    script: async (client) => {
      await client.next();
      await client.send(message("R", int32(7)));
      await client.silence();
    },
    message: /GSSAPI/,
  },
  {
    kind: "SCRAM-SHA-256-PLUS only (channel binding)",
    phase: "authentication",
    script: async (client) => {
      await client.next();
      await client.send(message("R", int32(10), cstring("SCRAM-SHA-256-PLUS"), text("\0")));
      await client.silence();
    },
    message: /offers only SCRAM-SHA-256-PLUS authentication/,
  },
  {
    kind: "an authentication request cut short",
    phase: "authentication",
    script: async (client) => {
      await client.next();
      await client.send(message("R", int16(5)));
      await client.silence();
    },
    message: BROKE_PROTOCOL,
  },
  {
    kind: "a SCRAM exchange with a wrong server signature",
    phase: "authentication",
    script: async (client) => {
      if (!await scramContinue(client, (nonce) => `${nonce}srv`)) return;
      await client.send(
        message("R", int32(12), text("v=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")),
      );
      await client.silence();
    },
    message: BROKE_PROTOCOL,
  },
  {
    kind: "a SCRAM exchange with a nonce that is not the client's",
    phase: "authentication",
    script: async (client) => {
      await scramContinue(client, () => "not-the-client-nonce");
      await client.silence();
    },
    message: BROKE_PROTOCOL,
  },
  {
    kind: "a SCRAM exchange that skips the server's signature",
    phase: "authentication",
    script: async (client) => {
      if (!await scramContinue(client, (nonce) => `${nonce}srv`)) return;
      await client.send(STARTED);
      await client.silence();
    },
    message: BROKE_PROTOCOL,
  },
  {
    kind: "a SCRAM iteration count that would freeze the client",
    phase: "authentication",
    script: async (client) => {
      await client.next();
      await client.send(message("R", int32(10), cstring("SCRAM-SHA-256"), text("\0")));
      const initial = await client.until("p");
      if (initial === null) return;
      const nonce = new TextDecoder().decode(initial.body).match(/r=([^,\0]+)/)![1];
      await client.send(message("R", int32(11), text(`r=${nonce}x,s=c2FsdA==,i=2000000000`)));
      await client.silence();
    },
    message: BROKE_PROTOCOL,
  },
  {
    kind: "a RowDescription of 2 columns and DataRows of 3",
    phase: "mid-query",
    script: async (client) => {
      if (!await upToFirstStatement(client)) return;
      await client.send(message("1"), message("t", int16(1), int32(25)), rowDescription("a", "b"));
      await client.until("S");
      await client.send(message("2"), dataRow("1", "2", "3"), message("C", cstring("SELECT 1")));
      await client.silence();
    },
    message: BROKE_PROTOCOL,
  },
  {
    kind: "a RowDescription whose column name has no NUL terminator",
    phase: "mid-query",
    script: async (client) => {
      if (!await upToFirstStatement(client)) return;
      await client.send(
        message("1"),
        message("t", int16(1), int32(25)),
        message("T", int16(1), text("abc")),
      );
      await client.silence();
    },
    message: BROKE_PROTOCOL,
  },
  {
    kind: "the connection closed mid-row",
    phase: "mid-query",
    script: async (client) => {
      if (!await upToFirstStatement(client)) return;
      await client.send(message("1"), message("t", int16(1), int32(25)), rowDescription("a", "b"));
      await client.until("S");
      await client.send(message("2"), dataRow("first", "second").subarray(0, 12));
    },
    message: BROKE_PROTOCOL,
  },
  {
    kind: "silence after connect",
    phase: "start-up",
    script: (client) => client.silence(),
    message: NO_ANSWER,
  },
  {
    kind: "silence after a statement",
    phase: "mid-query",
    script: async (client) => {
      if (await upToFirstStatement(client)) await client.silence();
    },
    message: NO_STATEMENT_ANSWER,
  },
  {
    kind: "a message cut short, then silence",
    phase: "start-up",
    script: async (client) => {
      await client.next();
      await client.send(AUTH_OK.subarray(0, 7));
      await client.silence();
    },
    message: NO_ANSWER,
  },
  {
    kind: "a message cut short, then silence",
    phase: "mid-query",
    script: async (client) => {
      if (!await upToFirstStatement(client)) return;
      await client.send(message("1"), message("t", int16(1), int32(25)).subarray(0, 7));
      await client.silence();
    },
    message: NO_STATEMENT_ANSWER,
  },
  ...(["start-up", "mid-query"] as const).map((phase) => ({
    kind: "an endless stream of NoticeResponses",
    phase,
    script: async (client: Client) => {
      if (phase === "start-up") await client.next();
      else if (!await upToFirstStatement(client)) return;
      const flood = concat(...Array.from({ length: 200 }, () => NOTICE));
      for (;;) await client.send(flood);
    },
    // dpo refuses more than 10,000 notices in a row rather than wait for its deadline.
    message: BROKE_PROTOCOL,
  })),
  {
    kind: "a TLS yes (S) followed by garbage",
    phase: "start-up",
    query: "?sslmode=require",
    script: async (client) => {
      await client.next(); // the SSLRequest
      await client.send(text("S"));
      await new Promise((resolve) => setTimeout(resolve, 50));
      await client.send(text("HTTP/1.1 400 Bad Request\r\n\r\n"), new Uint8Array(2000).fill(7));
      await client.silence();
    },
    message: BROKE_PROTOCOL,
  },
  {
    kind: "unencrypted bytes right after the TLS yes",
    phase: "start-up",
    query: "?sslmode=require",
    script: async (client) => {
      await client.next();
      await client.send(text("S"), AUTH_OK);
      await client.silence();
    },
    message: BROKE_PROTOCOL,
  },
  {
    kind: "a server that is not PostgreSQL",
    phase: "start-up",
    query: "?sslmode=prefer",
    script: async (client) => {
      await client.next();
      await client.send(text("SSH-2.0-OpenSSH_9.6\r\n"));
      await client.silence();
    },
    message: BROKE_PROTOCOL,
  },
];

Deno.test("every kind of bad server reply ends dpo in time with one error line and exit 1", async (t) => {
  assert(new Set(CASES.map((c) => c.kind)).size >= 15, "fewer than 15 kinds of bad reply");
  for (const c of CASES) {
    await t.step(`${c.kind}, ${c.phase}`, async () => {
      await using server = fakeServer(c.script);
      const url = `postgresql://u:pw@127.0.0.1:${server.port}/db${c.query ?? "?sslmode=disable"}`;
      const result = await runDpo([
        "--connect-timeout",
        String(TIMEOUT),
        "--statement-timeout",
        String(TIMEOUT),
        url,
        "get-last-successful-execution",
      ]);
      // From when dpo connected (or sent the statement): what the timeouts bound, without the
      // process's own start, which a loaded machine stretches.
      const started = c.phase === "mid-query" ? server.times.statement : server.times.connected;
      const seconds = (performance.now() - started!) / 1000;
      assertEquals([result.code, result.stdout], [1, ""], result.stderr);
      const lines = result.stderr.split("\n");
      assertEquals(lines.length, 2, `not one line on stderr: ${result.stderr}`);
      assert(c.message.test(lines[0]), lines[0]);
      assert(!result.stderr.includes("    at "), result.stderr);
      // The statement's limit comes after the connection's: both are TIMEOUT here.
      assert(seconds < TIMEOUT + 1, `took ${seconds.toFixed(2)} s: ${lines[0]}`);
    });
  }
});

// ---- Signals --------------------------------------------------------------------------------

interface SignalPhase {
  name: string;
  /** Plays the server until dpo is in the phase, then calls `reached` and stays silent. */
  script(client: Client, reached: () => void): Promise<void>;
}

const SIGNAL_PHASES: SignalPhase[] = [
  {
    name: "connecting (the server is silent)",
    script: async (client, reached) => {
      await client.next();
      reached();
      await client.silence();
    },
  },
  {
    name: "authenticating (SCRAM started)",
    script: async (client, reached) => {
      await client.next();
      await client.send(message("R", int32(10), cstring("SCRAM-SHA-256"), text("\0")));
      await client.until("p");
      reached();
      await client.silence();
    },
  },
  {
    name: "waiting for a statement",
    script: async (client, reached) => {
      if (await upToFirstStatement(client)) reached();
      await client.silence();
    },
  },
];

const SIGNALS = { SIGINT: 130, SIGTERM: 143 } as const;

Deno.test("SIGINT and SIGTERM end dpo within a second while it connects, authenticates or waits", async (t) => {
  for (const phase of SIGNAL_PHASES) {
    for (const [signal, code] of Object.entries(SIGNALS) as [Deno.Signal, number][]) {
      await t.step(`${signal} while ${phase.name}`, async () => {
        const reached = Promise.withResolvers<void>();
        await using server = fakeServer((client) => phase.script(client, reached.resolve));
        const child = new Deno.Command(Deno.execPath(), {
          args: [
            "run",
            "-A",
            "--quiet",
            MAIN,
            "--connect-timeout",
            "30",
            "--statement-timeout",
            "30",
            `postgresql://u:pw@127.0.0.1:${server.port}/db?sslmode=disable`,
            "get-last-successful-execution",
          ],
          env: { DPO_DATABASE_URL: "", PGPASSWORD: "" },
          stdin: "null",
          stdout: "piped",
          stderr: "piped",
        }).spawn();
        const output = child.output();
        await reached.promise;
        // A moment for dpo to start waiting on what it just sent.
        await new Promise((resolve) => setTimeout(resolve, 100));
        const signalled = performance.now();
        child.kill(signal);
        const result = decodeOutput(await output);
        const seconds = (performance.now() - signalled) / 1000;
        assertEquals(result, {
          code,
          stdout: "",
          stderr: `error: interrupted by ${signal}: any unfinished write was rolled back\n`,
        });
        assert(seconds < 1, `exited ${seconds.toFixed(2)} s after ${signal}`);
      });
    }
  }
});
