-- Several pipelines in one store, and failures as first-class outcomes, as
-- migrations/0003_pipelines_and_failures.sql. SQLite adds one column per statement.

-- migrate:up
ALTER TABLE dpo.execution
    ADD COLUMN pipeline text DEFAULT 'default' NOT NULL CHECK (length(pipeline) <= 100);
ALTER TABLE dpo.execution ADD COLUMN failure_reason text;
ALTER TABLE dpo.execution_step ADD COLUMN failure_reason text;
-- get-last-successful-execution and the history, per pipeline.
CREATE INDEX dpo.execution_pipeline_status_updated_idx
    ON execution (pipeline, status, updated_on DESC, created_on DESC);
CREATE INDEX dpo.execution_pipeline_started_idx ON execution (pipeline, started_on DESC);
DROP INDEX dpo.execution_status_updated_idx;

-- migrate:down
CREATE INDEX dpo.execution_status_updated_idx
    ON execution (status, updated_on DESC, created_on DESC);
DROP INDEX dpo.execution_pipeline_started_idx;
DROP INDEX dpo.execution_pipeline_status_updated_idx;
ALTER TABLE dpo.execution_step DROP COLUMN failure_reason;
ALTER TABLE dpo.execution DROP COLUMN failure_reason;
ALTER TABLE dpo.execution DROP COLUMN pipeline;
