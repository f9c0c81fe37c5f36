-- Per-table storage settings for the tables that grow fastest or change most.
-- Run once after the first `spreekuur migrate` (psql -d spreekuur -f tables.sql).
-- Migrations do not reset these settings, and pg_dump keeps them (a restore brings them
-- back). Running it again changes nothing.

-- The audit log only grows: vacuum it after every 1 % of new rows (sets the visibility
-- map and freezes pages while they are still in memory) instead of 5 %.
ALTER TABLE core_auditentry SET (
    autovacuum_vacuum_insert_scale_factor = 0.01,
    autovacuum_vacuum_insert_threshold = 10000,
    autovacuum_freeze_min_age = 10000000
);

-- One row per practice, updated by every audited request (the chain head): thousands of
-- dead versions a minute in a tiny table. Room on each page for HOT updates, and vacuum
-- as soon as there is something to clean.
ALTER TABLE core_auditchain SET (
    fillfactor = 50,
    autovacuum_vacuum_scale_factor = 0,
    autovacuum_vacuum_threshold = 1000
);

-- Slots change state with every booking and cancellation (the 08:00 rush).
ALTER TABLE agenda_slot SET (fillfactor = 90, autovacuum_vacuum_scale_factor = 0.02);

-- Outboxes: rows are claimed and marked sent shortly after being written.
ALTER TABLE core_notification SET (fillfactor = 90, autovacuum_vacuum_scale_factor = 0.02);
ALTER TABLE prescriptions_outboxmessage SET (fillfactor = 90, autovacuum_vacuum_scale_factor = 0.02);

-- Lab results and journal lines only grow, as the audit log does.
ALTER TABLE results_labresult SET (autovacuum_vacuum_insert_scale_factor = 0.02);
ALTER TABLE dossier_journalentry SET (autovacuum_vacuum_insert_scale_factor = 0.02);

CREATE EXTENSION IF NOT EXISTS pg_stat_statements;
