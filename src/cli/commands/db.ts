/** db upgrade | downgrade | current | history: the schema's migrations. */
import type { Command } from "../parser.ts";
import {
  downgradeSchema,
  schemaHistory,
  schemaRevision,
  upgradeSchema,
} from "../../service/schema.ts";
import type { CliContext } from "../context.ts";

// The db commands open a server's store as it is: migrating it first is their own job.
const AS_IT_IS = false;

export function registerDb(program: Command, cli: CliContext): void {
  const db = program.command("db").description("Create, upgrade or inspect dpo's schema");
  db.command("upgrade")
    .description(
      "Apply migrations up to a revision (default head); adopts a Python DPO database",
    )
    .argument("[revision]", 'a revision such as 0002, or "head"', "head")
    .action(async (revision: string) => {
      const applied = await cli.withStore(
        (store) => upgradeSchema(store, revision, cli.log),
        AS_IT_IS,
      );
      cli.emit({ applied }, null);
    });
  db.command("downgrade")
    .description('Revert migrations down to a revision, "-1" (one step) or "base" (all)')
    .argument("<revision>", 'a revision such as 0001, "-1" or "base"')
    .action(async (revision: string) => {
      const reverted = await cli.withStore(
        (store) => downgradeSchema(store, revision, cli.log),
        AS_IT_IS,
      );
      cli.emit({ reverted }, null);
    });
  db.command("current")
    .description('Print the applied revision ("(head)" when up to date), or "base"')
    .action(async () => {
      const { revision, isHead } = await cli.withStore(schemaRevision, AS_IT_IS);
      cli.emit(
        { revision, head: isHead },
        revision === null ? "base" : isHead ? `${revision} (head)` : revision,
      );
    });
  db.command("history")
    .description("Print every revision with when it was applied, oldest first")
    .action(async () => {
      const revisions = await cli.withStore(schemaHistory, AS_IT_IS);
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
