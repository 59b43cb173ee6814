/**
 * The Python tool's own integration scenario (tests/integration/test_integration.sh in
 * PageUpPeopleOrg/data-pipeline-orchestrator), rewritten here: two executions from bash, calling
 * dpo as that script called the tool. Its variables are unquoted, so an empty output is no
 * argument at all: the NO_LAST_SUCCESSFUL_EXECUTION sentinel is passed on from one command to
 * the next, an empty row count leaves a bare --rows-processed, and the changed models are
 * compared with "$model_1 $model_2".
 */
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { runCaptured } from "../../scripts/lib/captured_command.ts";
import { MAIN } from "../helpers/cli.ts";
import { temporaryFolder } from "../helpers/model_tree.ts";
import { openStoreUnderTest, STORE_KINDS, type StoreUnderTest } from "../helpers/pipeline.ts";

// Bash, as the Python tool's test wrote it: `set -e`, `$dpo $conn <command> $unquoted …`. Unlike
// it, every `x=$(…)` is a plain assignment, whose failure stops the script: `local x=$(…)` hides
// the exit code, which let the original carry on past a failed command.
const SCENARIO = `
set -e
shopt -s inherit_errexit
dpo="$DENO run -A --quiet $MAIN"
conn=$STORE
models=./models
load=$models/load
transform=$models/transform

fail() { >&2 echo "FAIL: $*"; exit 1; }
expect() { [ "$2" == "$3" ] || fail "$1 was '$2', expected '$3'"; echo "ok: $1"; }
new_uuid() { cat /proc/sys/kernel/random/uuid; }

init_execution() {
  local id
  if [ -n "$1" ]; then id=$($dpo $conn init-execution --execution-id "$1")
  else id=$($dpo $conn init-execution); fi
  [ \${#id} == 36 ] || fail "init-execution printed '$id'"
  echo "$id"
}

last_successful_execution() {
  local id
  id=$($dpo $conn get-last-successful-execution)
  [ \${#id} == 36 ] || [ $id == NO_LAST_SUCCESSFUL_EXECUTION ] ||
    fail "get-last-successful-execution printed '$id'"
  echo "$id"
}

completed_on() {
  local timestamp
  timestamp=$($dpo $conn get-execution-completion-timestamp $1)
  # Python's isoformat() leaves out a zero fraction, and so does dpo: the original's pattern
  # required one (a failure once in 10^6 runs, once in 10^3 on a millisecond clock).
  [[ $timestamp =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{6})?[+-][0-9]{2}:[0-9]{2}$ ]] ||
    fail "get-execution-completion-timestamp printed '$timestamp'"
  echo "$timestamp"
}

init_step() {
  local id
  id=$($dpo $conn init-step $1 $2 $3 "**/*.json" "**/*.csv" "**/*.sql")
  [ \${#id} == 36 ] || fail "init-step printed '$id'"
  echo "$id"
}

changed_models() { $dpo $conn compare-step-models $1 $2; }
complete_step() { $dpo $conn complete-step $1 --rows-processed $2; }

complete_execution() {
  $dpo $conn complete-execution $1
  expect "the last successful execution after completing $1" "$(last_successful_execution)" "$1"
}

# run <n> <execution id or ""> <LOAD rows or ""> <TRANSFORM rows or ""> <expected previous>
#     <expected changed LOAD models> <expected changed TRANSFORM models>
run() {
  local id previous since load_step transform_step changed_load changed_transform
  id=$(init_execution $2)
  if [ -n "$2" ]; then expect "run $1's execution id" "$id" "$2"; fi
  previous=$(last_successful_execution)
  since=$(completed_on $previous)
  load_step=$(init_step $id LOAD $load)
  changed_load=$(changed_models $load_step $previous)
  complete_step $load_step $3
  transform_step=$(init_step $id TRANSFORM $transform)
  changed_transform=$(changed_models $transform_step $previous)
  complete_step $transform_step $4
  complete_execution $id
  expect "run $1's previous execution" "$previous" "$5"
  expect "run $1's changed LOAD models" "$changed_load" "$6"
  expect "run $1's changed TRANSFORM models" "$changed_transform" "$7"
  echo "run $1: execution $id since $since"
  last_run=$id
}

load_1=load_model_1_$(new_uuid)
load_2=load_model_2_$(new_uuid)
transform_1=transform_model_1_$(new_uuid)
transform_2=transform_model_2_$(new_uuid)
transform_3=transform_model_3_$(new_uuid)
transform_4=transform_model_4_$(new_uuid)

rm -rf $models
mkdir -p $load $transform
echo load_model_1 > $load/$load_1.json
echo load_model_2 > $load/$load_2.json
echo transform_model_1 > $transform/$transform_1.csv
echo transform_model_2 > $transform/$transform_2.sql
echo transform_model_3 > $transform/$transform_3.sql
run 1 "" 2147483647 "" NO_LAST_SUCCESSFUL_EXECUTION "$load_1 $load_2" \\
  "$transform_1 $transform_2 $transform_3"
first=$last_run

# LOAD unchanged; transform_model_2 modified, transform_model_3 deleted, transform_model_4 added.
echo "Modified transform_model_2" > $transform/$transform_2.sql
rm -f $transform/$transform_3.sql
echo transform_model_4 > $transform/$transform_4.sql
run 2 $(new_uuid) 9223372036854775807 "" $first "" "$transform_2 $transform_4"
`;

/** The store as the script names it: `$conn`, split at blanks like any unquoted variable. */
function connectionWords(store: StoreUnderTest): string {
  // The Python tool's test gave a SQLAlchemy URL; dpo reads it as postgresql://.
  return store.args.map((arg) => arg.replace(/^postgresql:\/\//, "postgresql+psycopg2://"))
    .join(" ");
}

for (const kind of STORE_KINDS) {
  Deno.test(`the Python tool's own two-execution integration test, as its bash script calls the tool, passes on ${kind}`, async () => {
    await using store = await openStoreUnderTest(kind);
    await using folder = await temporaryFolder();
    const result = await runCaptured("bash", ["-c", SCENARIO], {
      cwd: folder.path,
      env: {
        DENO: Deno.execPath(),
        MAIN,
        STORE: connectionWords(store),
        DPO_DATABASE_URL: "",
        DPO_PIPELINE: "",
        PGPASSWORD: "",
        PGHOST: "",
        PGUSER: "",
      },
    });
    assertEquals(result.code, 0, `stdout:\n${result.stdout}\nstderr:\n${result.stderr}`);
    const passed = result.stdout.split("\n").filter((line) => line.startsWith("ok: "));
    assertEquals(passed.length, 9, result.stdout);

    // A bare --rows-processed recorded no row count, as the Python tool did.
    const [, first, second] = result.stdout.match(
      /^run 1: execution (\S+) .*\nrun 2: execution (\S+) /ms,
    ) ?? [];
    const steps = await store.rows(
      `SELECT CAST(execution_id AS text) AS execution, step_name, status,
        CAST(rows_processed AS text) AS rows
       FROM dpo.execution_step ORDER BY execution_id = '${second}', step_name`,
    );
    assertEquals(steps, [
      { execution: first, step_name: "LOAD", status: "COMPLETED", rows: "2147483647" },
      { execution: first, step_name: "TRANSFORM", status: "COMPLETED", rows: null },
      { execution: second, step_name: "LOAD", status: "COMPLETED", rows: "9223372036854775807" },
      { execution: second, step_name: "TRANSFORM", status: "COMPLETED", rows: null },
    ]);
  });
}
