-- 004_api.sql — functions for business users (sql/README.md has examples):
-- the cell under a WGS84 point, an indicator at a point with its ensemble
-- spread, the exposure of a table of assets, and the generator of the wide
-- per-category views (vine_risk, flood_risk, ...; per cell and per commune),
-- which follows the indicator catalogue.

-- The DRIAS Id_point (j*143+i) of the SAFRAN cell under a WGS84 point, from
-- the point projected by PostGIS to the grid's own CRS (Lambert II étendu,
-- EPSG:27572) and the grid's origin and 8 km step: no geometry search.
-- NULL outside the 143 x 134 array; a sea cell's id has no row in grid_cell.
CREATE OR REPLACE FUNCTION datamart.cell_of(lon double precision, lat double precision)
RETURNS integer
LANGUAGE sql STABLE STRICT PARALLEL SAFE AS $$
    SELECT CASE WHEN i BETWEEN 0 AND 142 AND j BETWEEN 0 AND 133 THEN j * 143 + i END
    FROM (SELECT round((ST_X(p) - 60000.0) / 8000.0)::integer AS i,
                 round((ST_Y(p) - 1617000.0) / 8000.0)::integer AS j
          FROM (SELECT ST_Transform(ST_SetSRID(ST_MakePoint($1, $2), 4326), 27572) AS p) t) u
$$;
COMMENT ON FUNCTION datamart.cell_of(double precision, double precision) IS
    'cell_id (DRIAS Id_point) of the SAFRAN 8 km cell under a WGS84 lon/lat point; NULL outside the grid.';

-- An indicator at a point: ensemble median and spread of one quantity
-- (mean by default; 'anom' for the change against 1976-2005). The cell id
-- is computed once (InitPlan) and the codes select a few slices through
-- their index, then the fact index of one partition: about 1 ms per call.
CREATE OR REPLACE FUNCTION datamart.indicator_at(lon double precision, lat double precision,
                                                 indicator text, scenario text, horizon text,
                                                 quantity text DEFAULT 'mean')
RETURNS TABLE (cell_id integer, value real, unit text, p05 real, p95 real, min real, max real,
               nmodels integer, agreement real)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT f.cell_id,
           max(f.value) FILTER (WHERE s.statistic = 'median'),
           (SELECT CASE WHEN $6 = 'ratio' THEN '1' ELSE i.unit END
            FROM datamart.indicator i WHERE i.code = $3),
           max(f.value) FILTER (WHERE s.statistic = 'p05'),
           max(f.value) FILTER (WHERE s.statistic = 'p95'),
           max(f.value) FILTER (WHERE s.statistic = 'min'),
           max(f.value) FILTER (WHERE s.statistic = 'max'),
           max(s.nmodels)::integer,
           max(f.value) FILTER (WHERE s.statistic = 'agreement')
    FROM datamart.stat_slice s
    JOIN datamart.stat_fact f ON f.part = s.part AND f.slice = s.slice
    WHERE s.indicator = $3 AND s.scenario = $4 AND s.horizon = $5 AND s.quantity = $6
      AND s.model = 'ensemble'
      AND f.cell_id = (SELECT datamart.cell_of($1, $2))
    GROUP BY f.cell_id
$$;
COMMENT ON FUNCTION datamart.indicator_at(double precision, double precision, text, text, text, text) IS
    'Indicator at a WGS84 point: ensemble median (value), unit, p05, p95, min, max, models used and (for anom) sign agreement, for a scenario and horizon code. No row when the point is not on a land cell or nothing is loaded.';

-- Every indicator of a scenario/horizon for each asset of a user table with
-- columns id, lon, lat (WGS84). The table is passed as a regclass, so a
-- name is resolved by PostgreSQL (it cannot inject SQL) and its columns are
-- checked before use.
CREATE OR REPLACE FUNCTION datamart.exposure(assets regclass, scenario text, horizon text,
                                             statistic text DEFAULT 'median',
                                             quantity text DEFAULT 'mean')
RETURNS TABLE (asset_id text, lon double precision, lat double precision, cell_id integer,
               indicator text, category text, unit text, value real, nmodels integer)
LANGUAGE plpgsql STABLE AS $fn$
DECLARE
    missing text;
BEGIN
    SELECT string_agg(c, ', ') INTO missing
    FROM unnest(ARRAY['id', 'lon', 'lat']) AS c
    WHERE NOT EXISTS (SELECT 1 FROM pg_attribute a
                      WHERE a.attrelid = assets AND a.attname = c AND a.attnum > 0
                        AND NOT a.attisdropped);
    IF missing IS NOT NULL THEN
        RAISE EXCEPTION 'datamart.exposure: table % has no column(s) %', assets, missing
            USING HINT = 'the asset table needs columns id, lon, lat (WGS84 degrees); rename them or pass a view';
    END IF;
    RETURN QUERY EXECUTE format($q$
        SELECT a.id::text, a.lon::double precision, a.lat::double precision, f.cell_id,
               s.indicator, i.category,
               CASE WHEN s.quantity = 'ratio' THEN '1' ELSE i.unit END,
               f.value, s.nmodels::integer
        FROM (SELECT id, lon, lat, datamart.cell_of(lon::double precision, lat::double precision) AS cell
              FROM %s) a
        JOIN datamart.stat_slice s
          ON s.scenario = $1 AND s.horizon = $2 AND s.model = 'ensemble' AND s.statistic = $3
         AND s.quantity = $4
        JOIN datamart.indicator i ON i.id = s.ind
        JOIN datamart.stat_fact f ON f.part = s.part AND f.slice = s.slice AND f.cell_id = a.cell
        ORDER BY 1, i.sort_order$q$, assets)
    USING scenario, horizon, statistic, quantity;
END
$fn$;
COMMENT ON FUNCTION datamart.exposure(regclass, text, text, text, text) IS
    'Exposure of a table of assets (columns id, lon, lat in WGS84): one row per asset and indicator with the ensemble statistic (median by default) of a quantity (mean by default) for a scenario and horizon. Assets outside the land cells get no row (test with datamart.cell_of).';

-- ------------------------------------------------ wide per-category views

CREATE TABLE IF NOT EXISTS datamart.generated_view (
    name       text PRIMARY KEY,
    definition text NOT NULL
);

-- (Re)create a generated view only when its definition changed.
CREATE OR REPLACE FUNCTION datamart.put_generated_view(vname text, def text)
RETURNS boolean
LANGUAGE plpgsql AS $fn$
BEGIN
    IF EXISTS (SELECT 1 FROM datamart.generated_view g WHERE g.name = vname AND g.definition = def)
       AND to_regclass(format('datamart.%I', vname)) IS NOT NULL THEN
        RETURN false;
    END IF;
    EXECUTE format('DROP VIEW IF EXISTS datamart.%I', vname);
    EXECUTE format('CREATE VIEW datamart.%I AS %s', vname, def);
    INSERT INTO datamart.generated_view (name, definition) VALUES (vname, def)
    ON CONFLICT (name) DO UPDATE SET definition = EXCLUDED.definition;
    RETURN true;
END
$fn$;

-- One view per indicator category, per cell (<category>_risk) and per
-- commune (<category>_risk_commune): for each ensemble statistic, scenario
-- and horizon, a column per indicator (horizon mean) and per indicator
-- anomaly (<code>_anom). Built from datamart.indicator, so a new indicator
-- or category appears after `climrisk db migrate`. Each row aggregates its
-- own few values (LATERAL), so filters select rows and a LIMIT stops early.
CREATE OR REPLACE FUNCTION datamart.refresh_category_views()
RETURNS integer
LANGUAGE plpgsql AS $fn$
DECLARE
    cat text;
    cols text;
    acols text;
    ids text;
    maps text;
    n integer := 0;
BEGIN
    FOR cat IN SELECT DISTINCT category FROM datamart.indicator ORDER BY 1 LOOP
        SELECT string_agg(format('max(f.value) FILTER (WHERE s.ind = %s AND s.qty = 1) AS %I, '
                                 'max(f.value) FILTER (WHERE s.ind = %s AND s.qty = 2) AS %I',
                                 id, code, id, code || '_anom'), ', ' ORDER BY sort_order, code),
               string_agg(format('(sum(f.value * w.weight) FILTER (WHERE s.ind = %s AND s.qty = 1) '
                                 '/ sum(w.weight) FILTER (WHERE s.ind = %s AND s.qty = 1))::real AS %I, '
                                 '(sum(f.value * w.weight) FILTER (WHERE s.ind = %s AND s.qty = 2) '
                                 '/ sum(w.weight) FILTER (WHERE s.ind = %s AND s.qty = 2))::real AS %I',
                                 id, id, code, id, id, code || '_anom'), ', ' ORDER BY sort_order, code),
               string_agg(id::text, ',' ORDER BY id)
          INTO cols, acols, ids
          FROM datamart.indicator WHERE category = cat;
        -- the (scenario, horizon, statistic) maps of the category's ensemble statistics
        maps := format('(SELECT DISTINCT part, hor, stat, scenario, horizon, statistic '
                       'FROM datamart.stat_slice '
                       'WHERE mdl = 0 AND qty IN (1, 2) AND ind IN (%s)) k ', ids);
        IF datamart.put_generated_view(cat || '_risk', format(
            'SELECT k.scenario, k.horizon, k.statistic, g.cell_id, v.*, '
            'g.geom_l93 FROM %s '
            'CROSS JOIN datamart.grid_cell g '
            'CROSS JOIN LATERAL (SELECT %s FROM datamart.stat_slice s '
            'JOIN datamart.stat_fact f ON f.part = s.part AND f.slice = s.slice AND f.cell_id = g.cell_id '
            'WHERE s.part = k.part AND s.hor = k.hor AND s.stat = k.stat AND s.mdl = 0 '
            'AND s.qty IN (1, 2) AND s.ind IN (%s)) v', maps, cols, ids)) THEN
            n := n + 1;
        END IF;
        IF datamart.put_generated_view(cat || '_risk_commune', format(
            'SELECT a.code, a.name, a.parent_code AS departement, k.scenario, '
            'k.horizon, k.statistic, v.*, a.geom_l93 FROM %s '
            'CROSS JOIN datamart.admin_area a '
            'CROSS JOIN LATERAL (SELECT %s FROM datamart.area_cell w '
            'JOIN datamart.stat_slice s ON s.part = k.part AND s.hor = k.hor AND s.stat = k.stat '
            'AND s.mdl = 0 AND s.qty IN (1, 2) AND s.ind IN (%s) '
            'JOIN datamart.stat_fact f ON f.part = s.part AND f.slice = s.slice AND f.cell_id = w.cell_id '
            'WHERE w.area_id = a.id) v '
            'WHERE a.level = ''commune''', maps, acols, ids)) THEN
            n := n + 1;
        END IF;
    END LOOP;
    RETURN n;
END
$fn$;
REVOKE ALL ON FUNCTION datamart.put_generated_view(text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION datamart.refresh_category_views() FROM PUBLIC;
