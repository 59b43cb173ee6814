import { deepStrictEqual as equal, throws } from "node:assert/strict";
import {
  BodyReader,
  extendedQuery,
  MessageReader,
  readFields,
  startupMessage,
} from "../../src/store/pg/protocol.ts";
import { ScramClient } from "../../src/store/pg/auth.ts";

/** A byte source that hands out the stream in chunks of the given sizes. */
function chunked(bytes: Uint8Array, sizes: number[]) {
  let offset = 0, turn = 0;
  return {
    read: (into: Uint8Array): Promise<number | null> => {
      if (offset === bytes.length) return Promise.resolve(null);
      const size = Math.min(sizes[turn++ % sizes.length], into.length, bytes.length - offset);
      into.set(bytes.subarray(offset, offset + size));
      offset += size;
      return Promise.resolve(size);
    },
  };
}

function message(type: string, body: number[]): number[] {
  const length = body.length + 4;
  return [
    type.charCodeAt(0),
    length >>> 24,
    (length >>> 16) & 255,
    (length >>> 8) & 255,
    length & 255,
    ...body,
  ];
}

Deno.test("MessageReader cuts a stream into messages however the socket splits it", async () => {
  const big = Array.from({ length: 200_000 }, (_, i) => i % 251);
  const stream = new Uint8Array([
    ...message("Z", [73]),
    ...message("D", big),
    ...message("C", [...new TextEncoder().encode("SELECT 1"), 0]),
  ]);
  for (const sizes of [[1], [3, 7], [65536], [1_000_000]]) {
    const reader = new MessageReader(chunked(stream, sizes));
    const first = await reader.next();
    const second = await reader.next();
    const third = await reader.next();
    equal([first?.type, [...first!.body]], ["Z", [73]]);
    equal([second?.type, second!.body.length, second!.body[199_999]], ["D", 200_000, big.at(-1)]);
    equal([third?.type, new BodyReader(third!.body).cstring()], ["C", "SELECT 1"]);
    equal(await reader.next(), null);
  }
});

Deno.test("startupMessage() and extendedQuery() encode lengths and NULL parameters", () => {
  const startup = startupMessage({ user: "u", database: "d" });
  const view = new DataView(startup.buffer);
  equal(view.getInt32(0), startup.length);
  equal(view.getInt32(4), 196608);
  const query = extendedQuery("SELECT $1, $2", [new TextEncoder().encode("x"), null]);
  equal(String.fromCharCode(query[0]), "P");
  equal(String.fromCharCode(query.at(-5)!), "S");
});

Deno.test("readFields() reads an ErrorResponse's code letters", () => {
  const body = new Uint8Array([
    ..."SERROR".split("").map((c) => c.charCodeAt(0)),
    0,
    ..."C28P01".split("").map((c) => c.charCodeAt(0)),
    0,
    0,
  ]);
  equal([...readFields(body)], [["S", "ERROR"], ["C", "28P01"]]);
});

Deno.test("ScramClient computes RFC 7677's SCRAM-SHA-256 proof and checks the server", async () => {
  // RFC 7677 section 3: user "user", password "pencil", client nonce rOprNGfwEbeRWgbNEkqO.
  const rfc = new ScramClient("pencil", "rOprNGfwEbeRWgbNEkqO", "user");
  equal(rfc.firstMessage(), "n,,n=user,r=rOprNGfwEbeRWgbNEkqO");
  const final = await rfc.finalMessage(
    "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
  );
  equal(
    final,
    "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0," +
      "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
  );
  rfc.verifyServer("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=");
  throws(() => rfc.verifyServer("v=AAAA"), /SCRAM signature does not match/);
});
