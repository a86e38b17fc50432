#!/usr/bin/python3
"""tiles_check.py — check climrisk's MBTiles archives with GDAL (python3-gdal)
and SQLite, independently of climrisk's code:

  counts ARCHIVE.mbtiles
      tiles per zoom as JSON {"0": n, ...} (SQLite, TMS rows)
  vector ARCHIVE.mbtiles GRID.csv CATALOG.c H MAXZOOM
      every tile decoded by GDAL's MVT driver in tile coordinates: every
      feature valid (GEOS), inside the tile + 64 units; GDAL's MBTiles
      driver reads the full-resolution cells at MAXZOOM with the fixture
      values (nc_fixture.h formula) of a sample of cells; at the zooms of
      full-resolution cells (7..MAXZOOM) the set of tiles is the set of
      tiles the 8 km squares (EPSG:27572, reprojected here with OSR) touch:
      every tile a square crosses by more than a tile unit exists, and no
      tile exists that no square reaches within the buffer
  raster ARCHIVE.mbtiles GRID.csv CATALOG.c H INDICATOR QUANTITY LEGEND.json ZOOM
      every tile a 256x256 PNG (GDAL's PNG driver), pixels under DRIAS cell
      centres coloured with the legend class of the fixture value (alpha 0
      for missing values), transparent outside France
  warp ARCHIVE.mbtiles GRID.csv CATALOG.c H INDICATOR QUANTITY LEGEND.json ZOOM
      every pixel of a sample of tiles at ZOOM against gdal.Warp of a raster
      of cell numbers (EPSG:27572, nearest neighbour, exact transformer)
      onto the same tile, coloured here: a pixel may differ only where it
      shows a cell GDAL's warp puts within one pixel of it (a pixel centre
      on a cell boundary, to climrisk's interpolation error), and on at most
      0.1 % of the pixels

Exit status 1 with the failures listed."""
import gzip
import json
import math
import re
import sqlite3
import sys

from osgeo import gdal, ogr, osr

gdal.UseExceptions()
failures = []


def fail(msg):
    if len(failures) < 30:
        failures.append(msg)


def land_cells(path):
    cells = {}
    with open(path, encoding='utf-8') as f:
        next(f)
        for line in f:
            p = [s.strip() for s in line.split(';')]
            if len(p) < 9 or not p[0]:
                continue
            cells[int(p[0])] = (int(p[1]), int(p[2]), float(p[7]), float(p[8]))
    return cells


def catalog_order(path):
    return re.findall(r'^ {4}\{"([a-z0-9_]+)",', open(path, encoding='utf-8').read(), re.M)


def fixture(k, q, h, o, c, variant=0):
    """tests/unit/support/nc_fixture.h"""
    if (c + k + h) % 53 == 0:
        return math.nan
    import struct
    v = 1000.0 * k + 100.0 * q + 10.0 * h + o + (c % 61) / 8.0 + variant / 2.0
    return struct.unpack('f', struct.pack('f', v))[0]


def counts(path):
    db = sqlite3.connect(path)
    return {str(z): n for z, n in db.execute(
        'SELECT zoom_level, count(*) FROM tiles GROUP BY zoom_level ORDER BY zoom_level')}


def check_vector(path, grid, catalog, h, maxzoom):
    cells = land_cells(grid)
    order = catalog_order(catalog)
    db = sqlite3.connect(path)
    md = dict(db.execute('SELECT name, value FROM metadata'))
    for key in ('name', 'format', 'bounds', 'center', 'minzoom', 'maxzoom', 'json', 'attribution'):
        if key not in md:
            fail('metadata has no %s' % key)
    if md.get('format') != 'pbf':
        fail('format %s' % md.get('format'))
    layers = json.loads(md.get('json', '{}')).get('vector_layers', [])
    if not any(l['id'] == 'cells' for l in layers):
        fail('json vector_layers has no cells layer')
    ntiles = invalid = 0
    for z, x, row, data in db.execute('SELECT zoom_level, tile_column, tile_row, tile_data FROM tiles'):
        ntiles += 1
        gdal.FileFromMemBuffer('/vsimem/t.pbf', gzip.decompress(data))
        # no X/Y/Z: GDAL keeps tile coordinates, where MVT validity is defined
        ds = gdal.OpenEx('/vsimem/t.pbf', gdal.OF_VECTOR, open_options=['CLIP=NO'])
        for i in range(ds.GetLayerCount()):
            lyr = ds.GetLayer(i)
            for f in lyr:
                g = f.GetGeometryRef()
                if g is None or not g.IsValid():
                    invalid += 1
                    fail('%d/%d/%d %s feature %d is not a valid polygon' %
                         (z, x, (1 << z) - 1 - row, lyr.GetName(), f.GetFID()))
                    continue
                e = g.GetEnvelope()
                if e[0] < -64 or e[1] > 4160 or e[2] < -64 or e[3] > 4160:
                    fail('%d/%d/%d %s feature outside the tile + buffer: %s' % (z, x, row, lyr.GetName(), e))
        ds = None
        gdal.Unlink('/vsimem/t.pbf')
    # GDAL's MBTiles driver: cells at the highest zoom, georeferenced
    ds = gdal.OpenEx(path, gdal.OF_VECTOR, open_options=['ZOOM_LEVEL=%d' % maxzoom])
    lyr = ds.GetLayerByName('cells')
    if lyr is None:
        fail('GDAL sees no cells layer at zoom %d' % maxzoom)
        return {'tiles': ntiles}
    fields = [lyr.GetLayerDefn().GetFieldDefn(i).GetName() for i in range(lyr.GetLayerDefn().GetFieldCount())]
    props = [f for f in fields if re.match(r'.*_(mean|anom)$', f)]
    sample = sorted(cells)[::211]
    seen = set()
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(4326)
    srs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    merc = osr.SpatialReference()
    merc.ImportFromEPSG(3857)
    merc.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    tr = osr.CoordinateTransformation(srs, merc)
    lyr.SetAttributeFilter('cell_id IN (%s)' % ','.join(str(c) for c in sample))
    parts = {}  # a cell cut by tile edges comes as several features
    for f in lyr:
        c = int(f['cell_id'])
        seen.add(c)
        parts.setdefault(c, []).append(f.GetGeometryRef().Clone())
        for p in props:
            m = re.match(r'(.*)_(mean|anom)$', p)
            want = fixture(order.index(m.group(1)), 0 if m.group(2) == 'mean' else 1, h, 50, c)
            got = f[p]
            if (math.isnan(want) and got is not None) or (not math.isnan(want) and got != want):
                fail('GDAL: cell %d %s = %s, want %s' % (c, p, got, want))
    for c, geoms in parts.items():
        i, j, lon, lat = cells[c]
        x, y, _ = tr.TransformPoint(lon, lat)
        pt = ogr.Geometry(ogr.wkbPoint)
        pt.AddPoint_2D(x, y)
        if not any(g.Intersects(pt) for g in geoms):
            fail('GDAL: cell %d polygon does not contain its DRIAS centre' % c)
    missing = set(sample) - seen
    if missing:
        fail('GDAL: cells %s missing at zoom %d' % (sorted(missing)[:5], maxzoom))
    checked_sets = tile_sets(db, cells, range(7, maxzoom + 1))
    return {'tiles': ntiles, 'invalid': invalid, 'gdal_cells_checked': len(seen),
            'tile_sets_checked': checked_sets}


def tile_sets(db, cells, zooms):
    """Tiles of the full-resolution zooms against the squares' footprint."""
    l2e = osr.SpatialReference()
    l2e.ImportFromEPSG(27572)
    l2e.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    merc = osr.SpatialReference()
    merc.ImportFromEPSG(3857)
    merc.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    tr = osr.CoordinateTransformation(l2e, merc)
    half = 20037508.342789244
    squares = []
    for c, (i, j, lon, lat) in cells.items():
        x0, y0 = 60000 - 4000 + 8000 * i, 1617000 - 4000 + 8000 * j
        ring = ogr.Geometry(ogr.wkbLinearRing)
        for x, y in ((x0, y0), (x0 + 8000, y0), (x0 + 8000, y0 + 8000), (x0, y0 + 8000), (x0, y0)):
            p = tr.TransformPoint(x, y)
            ring.AddPoint_2D(p[0], p[1])
        g = ogr.Geometry(ogr.wkbPolygon)
        g.AddGeometry(ring)
        squares.append(g)
    n = 0
    for z in zooms:
        size = 2 * half / (1 << z)
        have = {(x, (1 << z) - 1 - row) for x, row in
                db.execute('SELECT tile_column, tile_row FROM tiles WHERE zoom_level = ?', (z,))}
        must, may = set(), set()
        for g in squares:
            e = g.GetEnvelope()
            for tx in range(int((e[0] + half) / size - 0.1), int((e[1] + half) / size + 0.1) + 1):
                for ty in range(int((half - e[3]) / size - 0.1), int((half - e[2]) / size + 0.1) + 1):
                    bx0, bx1 = -half + tx * size, -half + (tx + 1) * size
                    by1, by0 = half - ty * size, half - (ty + 1) * size
                    for shrink, target in ((size / 4096, must), (-size * 65 / 4096, may)):
                        box = ogr.CreateGeometryFromWkt('POLYGON((%r %r,%r %r,%r %r,%r %r,%r %r))' % (
                            bx0 + shrink, by0 + shrink, bx1 - shrink, by0 + shrink, bx1 - shrink,
                            by1 - shrink, bx0 + shrink, by1 - shrink, bx0 + shrink, by0 + shrink))
                        if g.Intersects(box) and (shrink < 0 or g.Intersection(box).GetArea() > (size / 4096) ** 2):
                            target.add((tx, ty))
        if not must <= have:
            fail('z%d: %d tiles crossed by cells are missing, e.g. %s' % (z, len(must - have), sorted(must - have)[:3]))
        if not have <= may:
            fail('z%d: %d tiles no cell reaches, e.g. %s' % (z, len(have - may), sorted(have - may)[:3]))
        n += len(have)
    return n


def legend_of(path):
    """The legend's breaks, and the RGBA colour of a value's class."""
    lg = json.load(open(path, encoding='utf-8'))
    breaks, colors = lg['breaks'], lg['colors']
    if len(breaks) != len(colors) + 1 or sorted(breaks) != breaks:
        fail('legend breaks/colors malformed')

    def colour(v):
        c = colors[next((i for i in range(len(colors)) if v < breaks[i + 1]), len(colors) - 1)]
        return (int(c[1:3], 16), int(c[3:5], 16), int(c[5:7], 16), 255)
    return breaks, colour


def check_raster(path, grid, catalog, h, indicator, quantity, legend_path, zoom):
    cells = land_cells(grid)
    k = catalog_order(catalog).index(indicator)
    q = 0 if quantity == 'mean' else 1
    breaks, colour = legend_of(legend_path)
    db = sqlite3.connect(path)
    md = dict(db.execute('SELECT name, value FROM metadata'))
    if md.get('format') != 'png':
        fail('format %s' % md.get('format'))
    ntiles = 0
    for z, x, row, data in db.execute('SELECT zoom_level, tile_column, tile_row, tile_data FROM tiles'):
        ntiles += 1
        if data[:8] != b'\x89PNG\r\n\x1a\n':
            fail('%d/%d/%d is not a PNG' % (z, x, row))
            continue
        gdal.FileFromMemBuffer('/vsimem/t.png', bytes(data))
        t = gdal.Open('/vsimem/t.png')
        if t.GetDriver().ShortName != 'PNG' or t.RasterXSize != 256 or t.RasterYSize != 256:
            fail('%d/%d/%d: not a 256x256 PNG' % (z, x, row))
        t = None
        gdal.Unlink('/vsimem/t.png')
    ds = gdal.OpenEx(path, gdal.OF_RASTER, open_options=['ZOOM_LEVEL=%d' % zoom])
    gt = ds.GetGeoTransform()
    bands = [ds.GetRasterBand(b + 1) for b in range(ds.RasterCount)]
    if len(bands) != 4:
        fail('GDAL reads %d bands, want RGBA' % len(bands))
        return {'tiles': ntiles}
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(4326)
    srs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    merc = osr.SpatialReference()
    merc.ImportFromEPSG(3857)
    merc.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    tr = osr.CoordinateTransformation(srs, merc)

    def rgba(lon, lat):
        x, y, _ = tr.TransformPoint(lon, lat)
        px, py = int((x - gt[0]) / gt[1]), int((y - gt[3]) / gt[5])
        if not (0 <= px < ds.RasterXSize and 0 <= py < ds.RasterYSize):
            return (0, 0, 0, 0)
        return tuple(int(b.ReadAsArray(px, py, 1, 1)[0][0]) for b in bands)

    checked = nodata = 0
    seen_colours = set()
    lo, hi = math.inf, -math.inf
    for c in cells:
        v = fixture(k, q, h, 50, c)
        if not math.isnan(v):
            lo, hi = min(lo, v), max(hi, v)
    if not (breaks[0] <= lo and hi <= breaks[-1]):
        fail('legend %s..%s does not cover the values %s..%s' % (breaks[0], breaks[-1], lo, hi))
    for c in sorted(cells)[::37]:
        i, j, lon, lat = cells[c]
        v = fixture(k, q, h, 50, c)
        got = rgba(lon, lat)
        if math.isnan(v):
            nodata += 1
            if got[3] != 0:
                fail('cell %d has no value but pixel %s is not transparent' % (c, got))
            continue
        want = colour(v)
        if got != want:
            fail('cell %d (%.4f, %.4f) value %s: pixel %s, want class colour %s' % (c, lon, lat, v, got, want))
        seen_colours.add(got)
        checked += 1
    # outside France: Bay of Biscay, Madrid, Bern, the Channel off Cornwall
    for lon, lat in ((-4.0, 45.0), (-3.70, 40.42), (7.45, 46.95), (-5.0, 50.0)):
        if rgba(lon, lat)[3] != 0:
            fail('pixel at %s, %s (outside France) is not transparent' % (lon, lat))
    return {'tiles': ntiles, 'pixels_checked': checked, 'nodata_checked': nodata,
            'colours': len(seen_colours)}


def check_warp(path, grid, catalog, h, indicator, quantity, legend_path, zoom):
    import numpy as np
    cells = land_cells(grid)
    k = catalog_order(catalog).index(indicator)
    q = 0 if quantity == 'mean' else 1
    _, colour_of_value = legend_of(legend_path)

    def colour(c):
        v = fixture(k, q, h, 50, c) if c in cells else math.nan
        return (0, 0, 0, 0) if math.isnan(v) else colour_of_value(v)

    # the SAFRAN grid as a raster of cell numbers j * 143 + i, row 0 north
    src = gdal.GetDriverByName('MEM').Create('', 143, 134, 1, gdal.GDT_Int16)
    src.SetGeoTransform((60000 - 4000, 8000, 0, 1617000 + 8000 * 133 + 4000, 0, -8000))
    l2e = osr.SpatialReference()
    l2e.ImportFromEPSG(27572)
    src.SetProjection(l2e.ExportToWkt())
    ids = np.array([[(133 - r) * 143 + i for i in range(143)] for r in range(134)], dtype=np.int16)
    src.GetRasterBand(1).WriteArray(ids)

    def rgba(png):
        # GDAL's PNG driver: RGBA bands, or one band and a colour table
        gdal.FileFromMemBuffer('/vsimem/w.png', bytes(png))
        t = gdal.Open('/vsimem/w.png')
        if t.RasterCount == 4:
            out = np.stack([t.GetRasterBand(b + 1).ReadAsArray() for b in range(4)], axis=-1)
        else:
            ct = t.GetRasterBand(1).GetColorTable()
            table = np.array([ct.GetColorEntry(i) for i in range(ct.GetCount())], dtype=np.int32)
            out = table[t.GetRasterBand(1).ReadAsArray()]
        t = None
        gdal.Unlink('/vsimem/w.png')
        return out

    db = sqlite3.connect(path)
    tiles = sorted(db.execute(
        'SELECT tile_column, tile_row, tile_data FROM tiles WHERE zoom_level = ?', (zoom,)))
    half = 20037508.342789244
    size = 2 * half / (1 << zoom)
    pixels = differ = 0
    for x, row, png in tiles[::max(1, len(tiles) // 12)]:
        y = (1 << zoom) - 1 - row
        minx, maxy = -half + x * size, half - y * size
        # the tile and a one-pixel border, so that edge pixels have neighbours
        m = size / 256
        warped = gdal.Warp('', src, format='MEM', dstSRS='EPSG:3857', width=258, height=258,
                           outputBounds=(minx - m, maxy - size - m, minx + size + m, maxy + m),
                           resampleAlg='near', errorThreshold=0, outputType=gdal.GDT_Int16,
                           warpOptions=['INIT_DEST=-1'])
        around = warped.GetRasterBand(1).ReadAsArray()
        want_ids = around[1:257, 1:257]
        got = rgba(png)
        lut = {int(c): colour(int(c)) for c in np.unique(around)}
        for r in range(256):
            for c in range(256):
                g = tuple(int(v) for v in got[r, c])
                if g == lut[int(want_ids[r, c])]:
                    continue
                differ += 1
                near = around[r:r + 3, c:c + 3]
                if not any(lut[int(n)] == g for n in near.flat):
                    fail('tile %d/%d/%d pixel (%d, %d): %s, GDAL warps cell %d (%s) there and '
                         'no neighbour cell has that colour' % (zoom, x, y, c, r, g,
                                                                want_ids[r, c], lut[int(want_ids[r, c])]))
        pixels += 256 * 256
    if pixels == 0 or differ > pixels / 1000:
        fail('%d of %d pixels differ from GDAL\'s exact warp' % (differ, pixels))
    return {'pixels': pixels, 'differ': differ}


def main():
    mode = sys.argv[1]
    if mode == 'counts':
        print(json.dumps(counts(sys.argv[2])))
        return 0
    if mode == 'vector':
        out = check_vector(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), int(sys.argv[6]))
    elif mode in ('raster', 'warp'):
        check = check_raster if mode == 'raster' else check_warp
        out = check(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), sys.argv[6],
                    sys.argv[7], sys.argv[8], int(sys.argv[9]))
    else:
        print(__doc__)
        return 2
    print(json.dumps(out))
    for f in failures:
        print('FAIL', f, file=sys.stderr)
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
