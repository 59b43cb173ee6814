/** Deterministic model trees for benchmarks and scale tests: same seed, same bytes. */

/** Summary of a generated tree. */
export interface GeneratedTree {
  files: number;
  bytes: number;
}

// A small, fast PRNG (mulberry32): benchmarks must be repeatable run to run.
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Writes `count` model files under `root` in nested folders of at most 100 files
 * (`g017/s3/model_017342.sql`), sizes mixed: mostly 0.2-5 KiB, every 500th 256 KiB, with an
 * average near the 2.7 KiB of the Python tool's measured 20,000-file tree.
 */
export async function generateModelTree(root: string, count: number, seed = 42): Promise<
  GeneratedTree
> {
  const next = random(seed);
  const line = new TextEncoder().encode(
    "select customer_id, sum(amount) as revenue from staging.invoices group by 1;\n",
  );
  let bytes = 0;
  const folders = new Set<string>();
  for (let i = 0; i < count; i++) {
    const folder = `${root}/g${String(Math.floor(i / 1000)).padStart(3, "0")}/s${
      Math.floor(i / 100) % 10
    }`;
    if (!folders.has(folder)) {
      await Deno.mkdir(folder, { recursive: true });
      folders.add(folder);
    }
    const size = i % 500 === 499 ? 256 * 1024 : 200 + Math.floor(next() * next() * 10_000);
    const content = new Uint8Array(size);
    for (let offset = 0; offset < size; offset += line.length) {
      content.set(line.subarray(0, Math.min(line.length, size - offset)), offset);
    }
    // A unique header, so no two files share a checksum.
    content.set(new TextEncoder().encode(`-- model ${i} ${seed}\n`).subarray(0, size), 0);
    const extension = i % 3 === 0 ? "csv" : i % 3 === 1 ? "sql" : "json";
    Deno.writeFileSync(`${folder}/model_${String(i).padStart(6, "0")}.${extension}`, content);
    bytes += size;
  }
  return { files: count, bytes };
}
