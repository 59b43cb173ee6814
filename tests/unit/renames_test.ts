import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { pairRenames } from "../../src/service/compare.ts";
import type { ModelChange } from "../../src/domain.ts";

const X = "x".repeat(64), Y = "y".repeat(64);

Deno.test("pairRenames() pairs a deleted and an added model only when their checksum is theirs alone", async (t) => {
  const cases: { name: string; changes: ModelChange[]; expected: unknown }[] = [
    {
      name: "one deleted, one added, same checksum: a rename",
      changes: [{ name: "new", change: "A", checksum: X }, {
        name: "old",
        change: "D",
        checksum: X,
      }],
      expected: [{ from: "old", to: "new" }],
    },
    {
      name: "two added copies: ambiguous",
      changes: [
        { name: "a1", change: "A", checksum: X },
        { name: "a2", change: "A", checksum: X },
        { name: "old", change: "D", checksum: X },
      ],
      expected: [],
    },
    {
      name: "two deleted copies: ambiguous",
      changes: [
        { name: "new", change: "A", checksum: X },
        { name: "o1", change: "D", checksum: X },
        { name: "o2", change: "D", checksum: X },
      ],
      expected: [],
    },
    {
      name: "different checksums, a modified model, no checksums: none",
      changes: [
        { name: "new", change: "A", checksum: X },
        { name: "old", change: "D", checksum: Y },
        { name: "m", change: "M" },
        { name: "bare", change: "D" },
        { name: "bare2", change: "A" },
      ],
      expected: [],
    },
    {
      name: "two independent renames, in the order of the old names",
      changes: [
        { name: "a", change: "D", checksum: Y },
        { name: "b", change: "A", checksum: X },
        { name: "c", change: "A", checksum: Y },
        { name: "d", change: "D", checksum: X },
      ],
      expected: [{ from: "a", to: "c" }, { from: "d", to: "b" }],
    },
  ];
  for (const { name, changes, expected } of cases) {
    await t.step(name, () => assertEquals(pairRenames(changes), expected));
  }
});
