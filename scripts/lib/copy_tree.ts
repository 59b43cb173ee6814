/** Copies a folder tree (the scripts' only file helper; std/fs is not reachable here). */
export async function copy(from: string, to: string): Promise<void> {
  await Deno.mkdir(to, { recursive: true });
  for await (const entry of Deno.readDir(from)) {
    const source = `${from}/${entry.name}`;
    const target = `${to}/${entry.name}`;
    if (entry.isDirectory) await copy(source, target);
    else await Deno.copyFile(source, target);
  }
}
