/** db upgrade | downgrade | current | history: the schema's migrations. */
import type { Command } from "../parser.ts";
import { currentRevision, downgrade, headRevision, history, upgrade } from "../../store/migrate.ts";
import type { CliContext } from "../context.ts";

export function registerDb(program: Command, cli: CliContext): void {
  const db = program.command("db").description("Create, upgrade or inspect dpo's schema");
  db.command("upgrade")
    .description(
      "Apply migrations up to a revision (default head); adopts a Python DPO database",
    )
    .argument("[revision]", 'a revision such as 0002, or "head"', "head")
    .action(async (revision: string) => {
      const applied = await cli.withStore((store) => upgrade(store, revision, cli.log), false);
      cli.emit({ applied }, null);
    });
  db.command("downgrade")
    .description('Revert migrations down to a revision, "-1" (one step) or "base" (all)')
    .argument("<revision>", 'a revision such as 0001, "-1" or "base"')
    .action(async (revision: string) => {
      const reverted = await cli.withStore((store) => downgrade(store, revision, cli.log), false);
      cli.emit({ reverted }, null);
    });
  db.command("current")
    .description('Print the applied revision ("(head)" when up to date), or "base"')
    .action(async () => {
      const current = await cli.withStore(currentRevision, false);
      const head = await headRevision();
      cli.emit(
        { revision: current, head: current === head },
        current === null ? "base" : current === head ? `${current} (head)` : current,
      );
    });
  db.command("history")
    .description("Print every revision with when it was applied, oldest first")
    .action(async () => {
      const revisions = await cli.withStore(history, false);
      cli.emit(
        revisions.map((r) => ({ revision: r.name, applied_on: r.appliedOn, note: r.note })),
        revisions.map((r) =>
          `${r.name}  ${r.appliedOn === null ? "pending" : `applied ${r.appliedOn}`}${
            r.note ? `  (${r.note})` : ""
          }`
        ).join("\n"),
      );
    });
}
