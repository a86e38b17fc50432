#!/usr/bin/python3
"""tiles_prep.py — the inputs bench/tiles.sh gives GDAL's tools, built from
the same statistics file `climrisk tiles` reads (GDAL multidimensional API):

  vector STATS.nc HORIZON OUT.gpkg
      the SAFRAN land cells as 8 km squares in EPSG:27572 with the
      ensemble-median mean and anomaly of every indicator
      (<code>_mean, <code>_anom): the layer climrisk's cells carry
  raster STATS.nc HORIZON INDICATOR QUANTITY LEGEND.json OUT.tif
      the map coloured with climrisk's legend, RGBA Byte GeoTIFF on the
      143 x 134 EPSG:27572 grid (gdal2tiles needs Byte bands)
"""
import json
import math
import sys

from osgeo import gdal, ogr, osr

gdal.UseExceptions()
NX, NY, X0, Y0, STEP = 143, 134, 60000.0, 1617000.0, 8000.0


def open_stats(path, horizon):
    rg = gdal.OpenEx(path, gdal.OF_MULTIDIM_RASTER).GetRootGroup()
    stats = list(rg.OpenMDArray('stat').Read())
    hors = list(rg.OpenMDArray('horizon').Read())
    ys = rg.OpenMDArray('y').ReadAsArray()
    return rg, stats.index('median'), hors.index(horizon), ys[0] > ys[-1]


def read_map(rg, name, s, h, flip):
    a = rg.OpenMDArray(name).ReadAsArray()[s, h]
    return a[::-1] if flip else a  # row j = 0 in the south


def vector(path, horizon, out):
    rg, s, h, flip = open_stats(path, horizon)
    names = sorted(a for a in rg.GetMDArrayNames() if a.endswith('_ens_mean') or a.endswith('_ens_anom'))
    maps = {n.replace('_ens_', '_'): read_map(rg, n, s, h, flip) for n in names}
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(27572)
    ds = ogr.GetDriverByName('GPKG').CreateDataSource(out)
    lyr = ds.CreateLayer('cells', srs, ogr.wkbPolygon)
    lyr.CreateField(ogr.FieldDefn('cell_id', ogr.OFTInteger))
    for p in maps:
        lyr.CreateField(ogr.FieldDefn(p, ogr.OFTReal))
    lyr.StartTransaction()
    land = 0
    for j in range(NY):
        for i in range(NX):
            vals = {p: float(m[j, i]) for p, m in maps.items()}
            if all(math.isnan(v) for v in vals.values()):
                continue
            f = ogr.Feature(lyr.GetLayerDefn())
            f['cell_id'] = j * NX + i
            for p, v in vals.items():
                if not math.isnan(v):
                    f[p] = v
            x0, y0 = X0 - STEP / 2 + STEP * i, Y0 - STEP / 2 + STEP * j
            ring = ogr.Geometry(ogr.wkbLinearRing)
            for x, y in ((x0, y0), (x0 + STEP, y0), (x0 + STEP, y0 + STEP), (x0, y0 + STEP), (x0, y0)):
                ring.AddPoint_2D(x, y)
            g = ogr.Geometry(ogr.wkbPolygon)
            g.AddGeometry(ring)
            f.SetGeometry(g)
            lyr.CreateFeature(f)
            land += 1
    lyr.CommitTransaction()
    ds = None
    print('%d cells, %d properties' % (land, len(maps)))


def raster(path, horizon, indicator, quantity, legend, out):
    rg, s, h, flip = open_stats(path, horizon)
    m = read_map(rg, '%s_ens_%s' % (indicator, quantity), s, h, flip)
    lg = json.load(open(legend, encoding='utf-8'))
    br, cols = lg['breaks'], [tuple(int(c[k:k + 2], 16) for k in (1, 3, 5)) for c in lg['colors']]
    ds = gdal.GetDriverByName('GTiff').Create(out, NX, NY, 4, gdal.GDT_Byte)
    ds.SetGeoTransform((X0 - STEP / 2, STEP, 0, Y0 + STEP * (NY - 1) + STEP / 2, 0, -STEP))
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(27572)
    ds.SetProjection(srs.ExportToWkt())
    import numpy as np
    rgba = np.zeros((4, NY, NX), dtype=np.uint8)
    for r in range(NY):
        j = NY - 1 - r
        for i in range(NX):
            v = float(m[j, i])
            if math.isnan(v):
                continue
            k = next((c for c in range(len(cols)) if v < br[c + 1]), len(cols) - 1)
            rgba[:3, r, i] = cols[k]
            rgba[3, r, i] = 255
    for b in range(4):
        ds.GetRasterBand(b + 1).WriteArray(rgba[b])
    ds.GetRasterBand(4).SetColorInterpretation(gdal.GCI_AlphaBand)
    ds = None


if __name__ == '__main__':
    if sys.argv[1] == 'vector':
        vector(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        raster(*sys.argv[2:8])
