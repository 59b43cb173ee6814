import { equal, match, notEqual } from "node:assert/strict";
import { timeOrderedUuid } from "../../src/service/steps.ts";

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

Deno.test("timeOrderedUuid() makes lower-case UUID v7s whose first 48 bits are the millisecond", () => {
  const at = Date.UTC(2026, 11, 6, 6, 10, 30, 123);
  const id = timeOrderedUuid(at);
  match(id, UUID_V7);
  equal(parseInt(id.slice(0, 8) + id.slice(9, 13), 16), at);
  match(timeOrderedUuid(0), /^00000000-0000-7/);
  match(timeOrderedUuid(2 ** 48 - 1), /^ffffffff-ffff-7/);
});

Deno.test("timeOrderedUuid() sorts as text in the order the ids were made, a millisecond apart", () => {
  const start = Date.now();
  const ids = Array.from({ length: 1_000 }, (_, i) => timeOrderedUuid(start + i));
  equal([...ids].sort().join(), ids.join());
  // Within one millisecond the random bits keep them apart.
  notEqual(timeOrderedUuid(start), timeOrderedUuid(start));
});
