-- Adopts a database the Python DPO left at alembic revision fe9eed6d812f by doing what its last
-- revision (c5c34dd0b8f2) did: move each execution and its models into execution / execution_step /
-- execution_step_model. The old tables are renamed out of the way, dpo's 0001 creates the new ones,
-- then the rows move. Step and model ids are derived with md5() instead of uuid_generate_v4(), so
-- no extension is needed and the ids are reproducible.

-- adopt:before-0001
ALTER TABLE dpo.execution RENAME TO python_execution;
ALTER TABLE dpo.execution_model RENAME TO python_execution_model;

-- adopt:after-0001
INSERT INTO dpo.execution
    (execution_id, created_on, updated_on, status, started_on, completed_on, execution_time_ms)
SELECT id, created_on, last_updated_on, status, created_on, last_updated_on, execution_time_ms
FROM dpo.python_execution;

-- One step per execution and model type; an execution without models gets no step.
INSERT INTO dpo.execution_step
    (execution_step_id, created_on, updated_on, execution_id, step_name, status, started_on)
SELECT md5(execution_id::text || '/' || type)::uuid, min(created_on), max(last_updated_on),
    execution_id, type, 'UNKNOWN', min(created_on)
FROM dpo.python_execution_model
GROUP BY execution_id, type;

INSERT INTO dpo.execution_step_model
    (execution_step_model_id, created_on, updated_on, execution_step_id, model_name, checksum)
SELECT md5(execution_id::text || '/' || type || '/' || id::text)::uuid, created_on,
    last_updated_on, md5(execution_id::text || '/' || type)::uuid, name, checksum
FROM dpo.python_execution_model;

DROP TABLE dpo.python_execution_model;
DROP TABLE dpo.python_execution;
