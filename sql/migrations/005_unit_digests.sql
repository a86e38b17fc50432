-- 005_unit_digests.sql — what each loaded unit holds, indicator by indicator.
--
-- A unit (one annual or statistics file, one partition) is replaced whole
-- when its file changes. When only some indicators' values changed (an
-- incremental run that recomputed one indicator), the loader replaces only
-- those indicators' maps in the live partition, in the same transaction as
-- the rest of the load. It decides from these digests: one per indicator
-- of the unit (a SHA-256 of the indicator's maps as the loader reads them)
-- and one, item '*', of what the indicators share (years; models, horizons,
-- statistics and horizon windows). A unit without digests (loaded before
-- this migration) is replaced whole the next time its file changes.
CREATE TABLE IF NOT EXISTS datamart.unit_digest (
    kind   text NOT NULL CHECK (kind IN ('annual', 'stats')),
    part   smallint NOT NULL,
    item   text NOT NULL,
    digest text NOT NULL,
    PRIMARY KEY (kind, part, item)
);
COMMENT ON TABLE datamart.unit_digest IS
    'Per loaded unit (kind, part as in stat_part/annual_part): SHA-256 of each indicator''s maps (item = indicator code) and of the shared metadata (item = ''*''); lets a load replace only the indicators that changed.';
