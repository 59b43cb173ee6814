-- The indexes dpo's queries need, as migrations/0002_query_indexes.sql, but one: the models of a
-- step by name are the execution_step_model table's own key here (0001).

-- migrate:up
-- get-last-successful-execution: the newest COMPLETED execution.
CREATE INDEX dpo.execution_status_updated_idx
    ON execution (status, updated_on DESC, created_on DESC);
-- init-step and compare-step-models: the steps of one execution.
CREATE INDEX dpo.execution_step_execution_idx ON execution_step (execution_id);

-- migrate:down
DROP INDEX dpo.execution_step_execution_idx;
DROP INDEX dpo.execution_status_updated_idx;
