-- Several pipelines in one state database, and failures as first-class outcomes. Every
-- execution the Python tool (or an older dpo) wrote belongs to the pipeline "default". The Python
-- tool never names these columns, so it keeps working against this schema.

-- migrate:up
ALTER TABLE dpo.execution
    ADD COLUMN pipeline character varying(100) DEFAULT 'default' NOT NULL,
    ADD COLUMN failure_reason text;
ALTER TABLE dpo.execution_step ADD COLUMN failure_reason text;
-- get-last-successful-execution and the history, per pipeline.
CREATE INDEX execution_pipeline_status_updated_idx
    ON dpo.execution (pipeline, status, updated_on DESC, created_on DESC);
CREATE INDEX execution_pipeline_started_idx ON dpo.execution (pipeline, started_on DESC);
DROP INDEX dpo.execution_status_updated_idx;

-- migrate:down
CREATE INDEX execution_status_updated_idx
    ON dpo.execution (status, updated_on DESC, created_on DESC);
DROP INDEX dpo.execution_pipeline_started_idx;
DROP INDEX dpo.execution_pipeline_status_updated_idx;
ALTER TABLE dpo.execution_step DROP COLUMN failure_reason;
ALTER TABLE dpo.execution DROP COLUMN failure_reason, DROP COLUMN pipeline;
