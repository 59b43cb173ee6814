/** db upgrade | downgrade | current | history: the schema's migrations. */
import type { Command } from "commander";
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
      await cli.withStore((store) => upgrade(store, revision, cli.log), false);
    });
  db.command("downgrade")
    .description('Revert migrations down to a revision, "-1" (one step) or "base" (all)')
    .argument("<revision>", 'a revision such as 0001, "-1" or "base"')
    .action(async (revision: string) => {
      await cli.withStore((store) => downgrade(store, revision, cli.log), false);
    });
  db.command("current")
    .description('Print the applied revision ("(head)" when up to date), or "base"')
    .action(async () => {
      const current = await cli.withStore(currentRevision, false);
      const head = await headRevision();
      cli.print(current === null ? "base" : current === head ? `${current} (head)` : current);
    });
  db.command("history")
    .description("Print every revision with when it was applied, oldest first")
    .action(async () => {
      for (const status of await cli.withStore(history, false)) {
        const state = status.appliedOn === null ? "pending" : `applied ${status.appliedOn}`;
        cli.print(`${status.name}  ${state}${status.note ? `  (${status.note})` : ""}`);
      }
    });
}
