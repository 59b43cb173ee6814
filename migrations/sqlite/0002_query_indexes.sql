-- The indexes dpo's queries need, as migrations/0002_query_indexes.sql.

-- migrate:up
-- get-last-successful-execution: the newest COMPLETED execution.
CREATE INDEX dpo.execution_status_updated_idx
    ON execution (status, updated_on DESC, created_on DESC);
-- init-step and compare-step-models: the steps of one execution.
CREATE INDEX dpo.execution_step_execution_idx ON execution_step (execution_id);
-- compare-step-models: one model of one step, looked up by name. It holds the checksum too:
-- SQLite compares by lookups in this index alone (step_models.ts), never reading the table.
CREATE INDEX dpo.execution_step_model_step_name_idx
    ON execution_step_model (execution_step_id, model_name, checksum);

-- migrate:down
DROP INDEX dpo.execution_step_model_step_name_idx;
DROP INDEX dpo.execution_step_execution_idx;
DROP INDEX dpo.execution_status_updated_idx;
