#!/usr/bin/env bash
# Generates the binary and large cases of the bad-input corpus into OUT (a
# temporary directory; nothing generated here is committed). The small text
# cases live next to this script; tests/it/bad_inputs.rs copies them into OUT
# and runs this script. A case whose tool is missing is skipped with a note on
# stderr, and the test skips it too.
# Usage: tests/bad/make-corpus.sh OUT
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$1"
mkdir -p "$out"
cd "$out"

# empty files
: > empty.geojson
: > empty.csv
: > empty.shp

# corrupt GeoPackage: random bytes behind a valid-looking extension
head -c 65536 /dev/urandom > corrupt.gpkg
head -c 4096 /dev/urandom > corrupt.zip

if command -v ogr2ogr >/dev/null; then
  ogr2ogr -q -f "ESRI Shapefile" no-shx.shp "$here/good.geojson"
  rm no-shx.shx
  ogr2ogr -q -f "ESRI Shapefile" no-dbf.shp "$here/good.geojson"
  rm no-dbf.dbf
  ogr2ogr -q -f GPKG two-layers.gpkg "$here/good.geojson" -nln a
  ogr2ogr -q -f GPKG -update two-layers.gpkg "$here/good.geojson" -nln b
else
  echo "make-corpus: no ogr2ogr, shapefile and GeoPackage cases skipped" >&2
fi

python3 - "$here" <<'PY'
import io, json, os, struct, sys, zipfile
here = sys.argv[1]

# XLSX point template with a formula cell (cached value) and merged PolyID
# cells, written as a minimal OOXML package.
def col(i): return "ABCDEFGHIJ"[i]
rows = [["PolyID", "PointNo", "PointType", "PointID", "Xcoord", "Ycoord"],
        ["P1", 1, "Turning point", "1", 500000, 1330000],
        [None, 2, "Turning point", "2", ("=E2+100", 500100), 1330000],
        [None, 3, "Turning point", "3", 500100, 1330100],
        ["P2", 1, "Turning point", "1", 600000, 1330000],
        ["P2", 2, "Turning point", "2", ("=E5+100", 600100), 1330000],
        ["P2", 3, "Turning point", "3", ("=1/0", None), 1330100],
        ["P2", 4, "Turning point", "4", 600000, 1330100]]
cells = []
for r, row in enumerate(rows, 1):
    cs = []
    for c, v in enumerate(row):
        ref = f"{col(c)}{r}"
        if v is None:
            continue
        if isinstance(v, tuple):
            f, cached = v
            cv = "" if cached is None else f"<v>{cached}</v>"
            cs.append(f'<c r="{ref}"><f>{f[1:]}</f>{cv}</c>')
        elif isinstance(v, str):
            cs.append(f'<c r="{ref}" t="inlineStr"><is><t>{v}</t></is></c>')
        else:
            cs.append(f'<c r="{ref}"><v>{v}</v></c>')
    cells.append(f'<row r="{r}">{"".join(cs)}</row>')
sheet = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
         '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
         f'<sheetData>{"".join(cells)}</sheetData>'
         '<mergeCells count="1"><mergeCell ref="A2:A4"/></mergeCells></worksheet>')
files = {
    "[Content_Types].xml": '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>',
    "_rels/.rels": '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
    "xl/workbook.xml": '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Points" sheetId="1" r:id="rId1"/></sheets></workbook>',
    "xl/_rels/workbook.xml.rels": '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
    "xl/worksheets/sheet1.xml": sheet,
}
with zipfile.ZipFile("formulas-merged.xlsx", "w", zipfile.ZIP_DEFLATED) as z:
    for name, text in files.items():
        z.writestr(name, text)

# Windows-1252 CSV (é = 0xE9, not UTF-8), no encoding in the config
with open("win1252.csv", "wb") as f:
    f.write('id,region,WKT\nH1,Préah Vihéar,"POLYGON((105 12,105.001 12,105.001 12.001,105 12.001,105 12))"\n'.encode("cp1252"))

# Shapefile writer (polygons, one C field "id") for the oversized geometry.
def shapefile(stem, polys):
    recs = []
    for n, pts in enumerate(polys, 1):
        content = struct.pack("<i4dii", 5, 0, 0, 1, 1, 1, len(pts) // 16) + struct.pack("<i", 0) + pts
        recs.append(struct.pack(">ii", n, len(content) // 2) + content)
    def header(length):
        return struct.pack(">i5ii", 9994, 0, 0, 0, 0, 0, length // 2) + struct.pack("<ii4d4d", 1000, 5, 0, 0, 1, 1, 0, 0, 0, 0)
    body = b"".join(recs)
    with open(stem + ".shp", "wb") as f:
        f.write(header(100 + len(body))); f.write(body)
    with open(stem + ".shx", "wb") as f:
        f.write(header(100 + 8 * len(recs)))
        off = 100
        for r in recs:
            f.write(struct.pack(">ii", off // 2, (len(r) - 8) // 2)); off += len(r)
    with open(stem + ".dbf", "wb") as f:
        f.write(struct.pack("<B3BIHH20x", 3, 126, 1, 1, len(polys), 32 + 32 + 1, 1 + 16))
        f.write(struct.pack("<11sc4xBB14x", b"id", b"C", 16, 0))
        f.write(b"\r")
        for n in range(len(polys)):
            f.write(b" " + f"H{n + 1}".ljust(16).encode())
        f.write(b"\x1a")
    with open(stem + ".prj", "w") as f:
        f.write('GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137,298.257223563]],PRIMEM["Greenwich",0],UNIT["Degree",0.0174532925199433]]')
sq = [(0, 0), (0, 1), (1, 1), (1, 0)]  # clockwise, as shapefiles store exteriors
big = b"".join(struct.pack("<2d", *p) for p in sq) * 2_500_000 + struct.pack("<2d", 0, 0)
small = b"".join(struct.pack("<2d", x * 0.001 + 2, y * 0.001 + 2) for x, y in sq + [sq[0]])
shapefile("ten-million-vertices", [big, small])

# 100,000-level nested JSON arrays in a property
depth = 100_000
with open("deep-nesting.geojson", "w") as f:
    f.write('{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"id":"DEEP","x":')
    f.write("[" * depth + "]" * depth)
    f.write('},"geometry":{"type":"Polygon","coordinates":[[[105,12],[105.001,12],[105.001,12.001],[105,12]]]}}]}')

# a 100 MB string property next to an ordinary one
good = json.load(open(os.path.join(here, "good.geojson")))
feat = good["features"][0]
with open("huge-string.geojson", "w") as f:
    f.write('{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"id":"BIG","notes":"')
    chunk = "x" * (1 << 20)
    for _ in range(100):
        f.write(chunk)
    f.write('"},"geometry":' + json.dumps(feat["geometry"]) + "}]}")

# a 2 MB GeoJSON, over a 1 MB max_file_mb
with open("two-mb.geojson", "w") as f:
    f.write('{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"id":"T","pad":"' + "p" * (2 << 20) + '"},"geometry":' + json.dumps(feat["geometry"]) + "}]}")

# zip slip: an entry climbing out of the archive
with zipfile.ZipFile("zip-slip.zip", "w") as z:
    z.writestr("hazards.shp", b"\0" * 100)
    z.writestr(zipfile.ZipInfo("../../evil.shp"), b"\0" * 100)

# zip bomb: 1 GiB of zeros deflated to about 1 MB
with zipfile.ZipFile("zip-bomb.zip", "w", zipfile.ZIP_DEFLATED) as z:
    with z.open("bomb.shp", "w", force_zip64=True) as f:
        zeros = bytes(1 << 20)
        for _ in range(1024):
            f.write(zeros)

# a zip holding no shapefile
with zipfile.ZipFile("no-shp.zip", "w") as z:
    z.writestr("readme.txt", "nothing here")
PY
