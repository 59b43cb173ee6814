-- Adopts a database the Python DPO left at alembic revision 7d9871ef8afa by doing what its next
-- revision (fe9eed6d812f) did: rename the two tables. Constraint and sequence names keep the old
-- names, as they did under the Python tool.

-- adopt:before-0001
ALTER TABLE dpo.data_pipeline_execution RENAME TO execution;
ALTER TABLE dpo.model_checksum RENAME TO execution_model;
