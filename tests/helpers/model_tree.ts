/** Temporary folders of model files for tests. */

/** A temporary folder; `await using` removes it. */
export async function temporaryFolder(): Promise<
  { path: string; [Symbol.asyncDispose](): Promise<void> }
> {
  const path = await Deno.makeTempDir({ prefix: "dpo-test-" });
  return {
    path,
    async [Symbol.asyncDispose]() {
      await Deno.remove(path, { recursive: true }).catch(() => {});
    },
  };
}

/** Writes files given as `{ "relative/path.sql": "content" }`, creating folders. */
export async function writeModels(root: string, files: Record<string, string>): Promise<void> {
  for (const [relativePath, content] of Object.entries(files)) {
    const path = `${root}/${relativePath}`;
    await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
    await Deno.writeTextFile(path, content);
  }
}

/** A tmpfs mount needs root and mount(8) allowed here: true when both hold. */
export function canMountTmpfs(): boolean {
  if (Deno.build.os !== "linux" || Deno.uid() !== 0) return false;
  const probe = Deno.makeTempDirSync({ prefix: "dpo-mount-probe-" });
  try {
    const mounted = new Deno.Command("mount", {
      args: ["-t", "tmpfs", "-o", "size=64k", "tmpfs", probe],
      stdout: "null",
      stderr: "null",
    }).outputSync().success;
    if (mounted) new Deno.Command("umount", { args: [probe] }).outputSync();
    return mounted;
  } catch {
    return false;
  } finally {
    Deno.removeSync(probe, { recursive: true });
  }
}
