/**
 * Fills Deno's caches in the image, for the runtime variant of the scratch image: copied to
 * /app/warm_caches.ts by scripts/build_image_root.sh and run once, as root inside the image's
 * root, by the Dockerfile's RUN (scripts/image_check.sh runs the same command):
 *
 *   deno run … /app/warm_caches.ts <entrypoint…>
 *
 * It runs the entrypoint on each path a dpo command takes (start-up, the embedded store,
 * PostgreSQL), so Deno writes its transpile and V8 code caches under /app/deno-dir, keyed by the
 * paths the image runs from. The container's user (65532) can only read them: without this each
 * command would compile the same code again (measured: a PostgreSQL command took 330 ms instead
 * of 135 ms inside the root). Fails when dpo does not start, so a broken root fails the build.
 * Leaves /tmp as it found it.
 */
const [program, ...entrypointArgs] = Deno.args;
if (program === undefined) {
  console.error("usage: warm_caches.ts <entrypoint> [args...]");
  Deno.exit(2);
}

async function dpo(args: string[]): Promise<{ code: number; stderr: string }> {
  const output = await new Deno.Command(program, {
    args: [...entrypointArgs, ...args],
    cwd: "/",
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).output();
  return { code: output.code, stderr: new TextDecoder().decode(output.stderr) };
}

async function mustSucceed(args: string[]): Promise<void> {
  const result = await dpo(args);
  if (result.code !== 0) {
    console.error(`warm_caches: dpo ${args.join(" ")} exited ${result.code}: ${result.stderr}`);
    Deno.exit(1);
  }
}

await mustSucceed(["--version"]);
const store = await Deno.makeTempDir({ prefix: "dpo-warm-" });
try {
  // Creates and migrates the store, then opens an existing one: both loading paths.
  await mustSucceed(["--db", `sqlite:${store}/dpo.sqlite`, "init-execution"]);
  await mustSucceed(["--db", `sqlite:${store}/dpo.sqlite`, "get-last-successful-execution"]);
} finally {
  await Deno.remove(store, { recursive: true });
}
// Nothing listens on port 9 here: the command fails after loading the PostgreSQL driver, which
// is all the cache needs; a short timeout keeps dpo from retrying for long.
const refused = ["postgresql://dpo@127.0.0.1:9/dpo", "--connect-timeout", "1"];
await dpo([...refused, "get-last-successful-execution"]);
