-- The indexes dpo's queries need; the Python tool had none beyond the primary keys.

-- migrate:up
-- get-last-successful-execution: the newest COMPLETED execution.
CREATE INDEX execution_status_updated_idx
    ON dpo.execution (status, updated_on DESC, created_on DESC);
-- init-step and compare-step-models: the steps of one execution.
CREATE INDEX execution_step_execution_idx ON dpo.execution_step (execution_id);
-- compare-step-models: one model of one step, looked up by name.
CREATE INDEX execution_step_model_step_name_idx
    ON dpo.execution_step_model (execution_step_id, model_name);

-- migrate:down
DROP INDEX dpo.execution_step_model_step_name_idx;
DROP INDEX dpo.execution_step_execution_idx;
DROP INDEX dpo.execution_status_updated_idx;
