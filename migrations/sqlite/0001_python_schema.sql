-- The Python DPO's schema (revision c5c34dd0b8f2) in SQLite, for the embedded store: the same
-- tables, columns and constraint names as migrations/0001_python_schema.sql. SQLite has no uuid
-- or timestamptz: ids are lower-case text, times are UTC text to the microsecond
-- ('2026-11-24T21:18:52.792147+00:00'), which dpo writes itself; the defaults below, for rows
-- written by hand, have milliseconds only. Lengths are checked as varchar(n) would.

-- migrate:up
CREATE TABLE dpo.execution (
    execution_id text NOT NULL,
    created_on text DEFAULT (strftime('%Y-%m-%dT%H:%M:%f000+00:00', 'now')) NOT NULL,
    updated_on text DEFAULT (strftime('%Y-%m-%dT%H:%M:%f000+00:00', 'now')) NOT NULL,
    status text DEFAULT 'INITIALISED' NOT NULL CHECK (length(status) <= 50),
    started_on text DEFAULT (strftime('%Y-%m-%dT%H:%M:%f000+00:00', 'now')) NOT NULL,
    completed_on text,
    execution_time_ms bigint,
    CONSTRAINT execution_pkey PRIMARY KEY (execution_id)
);
CREATE TABLE dpo.execution_step (
    execution_step_id text NOT NULL,
    created_on text DEFAULT (strftime('%Y-%m-%dT%H:%M:%f000+00:00', 'now')) NOT NULL,
    updated_on text DEFAULT (strftime('%Y-%m-%dT%H:%M:%f000+00:00', 'now')) NOT NULL,
    execution_id text NOT NULL,
    step_name text NOT NULL CHECK (length(step_name) <= 100),
    status text DEFAULT 'INITIALISED' NOT NULL CHECK (length(status) <= 50),
    started_on text DEFAULT (strftime('%Y-%m-%dT%H:%M:%f000+00:00', 'now')) NOT NULL,
    completed_on text,
    execution_time_ms bigint,
    rows_processed bigint,
    CONSTRAINT execution_step_pkey PRIMARY KEY (execution_step_id),
    CONSTRAINT execution_step_execution_id_fkey FOREIGN KEY (execution_id)
        REFERENCES execution (execution_id)
);
-- The rows live in one tree ordered by step and model name (WITHOUT ROWID, clustered on that key):
-- a step's models are written side by side in name order, and compare-step-models reads them by
-- lookups in that tree alone. PostgreSQL's key, execution_step_model_id, is unique by how dpo makes
-- it (the step id's first 80 bits, then the row number); a second tree to enforce it would double
-- what each model costs to write (measured: 200,000 models 1.7 s here, 2.3-2.9 s with it).
CREATE TABLE dpo.execution_step_model (
    execution_step_model_id text NOT NULL,
    created_on text DEFAULT (strftime('%Y-%m-%dT%H:%M:%f000+00:00', 'now')) NOT NULL,
    updated_on text DEFAULT (strftime('%Y-%m-%dT%H:%M:%f000+00:00', 'now')) NOT NULL,
    execution_step_id text NOT NULL,
    model_name text NOT NULL CHECK (length(model_name) <= 250),
    checksum text NOT NULL CHECK (length(checksum) <= 100),
    CONSTRAINT execution_step_model_step_name_pkey PRIMARY KEY (execution_step_id, model_name),
    CONSTRAINT execution_step_model_execution_step_id_fkey FOREIGN KEY (execution_step_id)
        REFERENCES execution_step (execution_step_id)
) WITHOUT ROWID;

-- migrate:down
DROP TABLE dpo.execution_step_model;
DROP TABLE dpo.execution_step;
DROP TABLE dpo.execution;
