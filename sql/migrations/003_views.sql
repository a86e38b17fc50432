-- 003_views.sql — the relations users, the tile generator, the tile server
-- and the web viewer query (docs: sql/README.md). They hide the surrogate
-- keys, slices and partitions of 002_facts.sql; filters on their columns
-- are pushed down to the fact indexes by the planner.

-- Horizon statistics per cell.
CREATE OR REPLACE VIEW datamart.cell_stat AS
SELECT s.indicator,
       s.scenario,
       s.horizon,
       s.model,
       s.statistic,
       s.quantity,
       f.cell_id,
       f.value,
       CASE WHEN s.mdl = 0 THEN s.nmodels::integer END AS nmodels
FROM datamart.stat_slice s
JOIN datamart.stat_fact f ON f.part = s.part AND f.slice = s.slice;
COMMENT ON VIEW datamart.cell_stat IS
    'Horizon statistics per SAFRAN cell: model = GCM_RCM (statistic = ''value'') or ''ensemble'' (statistic = median, p05, p95, min, max, agreement; nmodels = models used); quantity = mean, anom, ratio, rl20, rl20_anom.';

-- Annual series per cell.
CREATE OR REPLACE VIEW datamart.annual_value AS
SELECT s.indicator,
       s.scenario,
       s.model,
       s.year,
       f.cell_id,
       f.value
FROM datamart.annual_slice s
JOIN datamart.annual_fact f ON f.part = s.part AND f.slice = s.slice;
COMMENT ON VIEW datamart.annual_value IS
    'Annual indicator values per SAFRAN cell and year of one model and scenario (snow indicators: the year the snow year starts in).';

-- Per-area aggregates of the horizon statistics: area-weighted mean (weight
-- = area of the cell inside the area, computed by PostGIS), min and max of
-- the values of the cells intersecting the area. Computed when queried from
-- the precomputed weights, one small aggregate per (map, area) row: filters
-- on the map and area columns select the rows, and a LIMIT stops early (a
-- whole level of one map is ~100k weight rows; materialising every map for
-- 35 000 communes would be 10^8 rows per scenario).
CREATE OR REPLACE VIEW datamart.area_stat AS
SELECT s.indicator,
       s.scenario,
       s.horizon,
       s.model,
       s.statistic,
       s.quantity,
       a.level,
       a.code,
       a.name,
       a.parent_code,
       v.mean,
       v.min,
       v.max,
       v.ncells,
       v.covered_km2
FROM datamart.stat_slice s
CROSS JOIN datamart.admin_area a
CROSS JOIN LATERAL (
    SELECT (sum(f.value::double precision * w.weight) / sum(w.weight))::real AS mean,
           min(f.value) AS min,
           max(f.value) AS max,
           count(*)::integer AS ncells,
           (sum(w.weight) / 1e6)::real AS covered_km2
    FROM datamart.area_cell w
    JOIN datamart.stat_fact f ON f.part = s.part AND f.slice = s.slice AND f.cell_id = w.cell_id
    WHERE w.area_id = a.id) v
WHERE v.ncells > 0;
COMMENT ON VIEW datamart.area_stat IS
    'Per admin area (level region/departement/commune, code = INSEE code): area-weighted mean, min and max of cell_stat over the cells intersecting the area (cells without a value are left out; ncells = cells used). Filter on indicator, scenario, horizon (and level/code/parent_code) for speed.';

-- Which years each model averaged for each horizon; for warming levels the
-- window around the model's pivot year (NULL: the level is not reached).
CREATE OR REPLACE VIEW datamart.model_horizon AS
SELECT sc.code AS scenario,
       m.model,
       h.code AS horizon,
       h.type,
       w.first_year,
       w.last_year,
       (w.first_year IS NOT NULL) AS reached
FROM datamart.horizon_window w
JOIN datamart.scenario sc ON sc.id = w.part
JOIN datamart.model m ON m.id = w.mdl
JOIN datamart.horizon h ON h.id = w.hor;
COMMENT ON VIEW datamart.model_horizon IS
    'Years averaged per (scenario, model, horizon): fixed for periods, around each model''s pivot year for warming levels (reached = false: the model never reaches the level in its run).';

-- What is loaded, from which file, by which run.
CREATE OR REPLACE VIEW datamart.loaded AS
SELECT 'stats'::text AS kind, sc.code AS scenario, NULL::text AS model, p.source, p.sha256,
       p.run_id, p.loaded_at, p.nrows
FROM datamart.stat_part p
JOIN datamart.scenario sc ON sc.id = p.part
UNION ALL
SELECT 'annual', sc.code, m.model, p.source, p.sha256, p.run_id, p.loaded_at, p.nrows
FROM datamart.annual_part p
JOIN datamart.scenario sc ON sc.id = p.scn
JOIN datamart.model m ON m.id = p.mdl
WHERE p.sha256 IS NOT NULL;
COMMENT ON VIEW datamart.loaded IS 'Loaded units (stats per scenario, annual series per scenario and model) with source file, sha256 and load run.';
