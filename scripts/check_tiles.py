"""Independent check of a clearmap bundle's tiles.pmtiles.

Reads the archive with the Python `pmtiles` reader, decodes every tile with
`mapbox-vector-tile` and checks every polygon with shapely's `is_valid`. The
winding is read from the raw MVT command stream by a protobuf reader written
here, because mapbox-vector-tile re-orients rings silently (docs/facts.md): every
polygon feature must start with an exterior ring of positive surveyor's area
in tile coordinates, every ring must be closed (ClosePath) and have non-zero
area.

Given a bundle directory, its hazards.geojson and releases.geojson are
checked too: every geometry valid for shapely, as the writers promise.

Usage: check_tiles.py BUNDLE_DIR_OR_PMTILES [--json]
Exit status 0 when every check passed, 1 otherwise.
"""

import gzip
import json
import sys
from collections import Counter
from pathlib import Path

import mapbox_vector_tile
from pmtiles.reader import MmapSource, Reader, all_tiles
from shapely.geometry import shape
from shapely.validation import explain_validity


def varint(buf, pos):
    v = shift = 0
    while True:
        b = buf[pos]
        pos += 1
        v |= (b & 0x7F) << shift
        if b < 0x80:
            return v, pos
        shift += 7


def fields(buf):
    """(field, wire type, value) of a protobuf message; LEN values as bytes."""
    pos = 0
    while pos < len(buf):
        tag, pos = varint(buf, pos)
        f, w = tag >> 3, tag & 7
        if w == 0:
            v, pos = varint(buf, pos)
        elif w == 1:
            v, pos = buf[pos:pos + 8], pos + 8
        elif w == 2:
            n, pos = varint(buf, pos)
            v, pos = buf[pos:pos + n], pos + n
        elif w == 5:
            v, pos = buf[pos:pos + 4], pos + 4
        else:
            raise ValueError(f"wire type {w}")
        yield f, w, v


def packed(buf):
    pos, out = 0, []
    while pos < len(buf):
        v, pos = varint(buf, pos)
        out.append(v)
    return out


def unzigzag(n):
    return (n >> 1) ^ -(n & 1)


def raw_rings(cmds):
    """Rings of a polygon command stream, raising on anything malformed."""
    rings, cur, x, y, i = [], None, 0, 0, 0
    while i < len(cmds):
        cid, count = cmds[i] & 7, cmds[i] >> 3
        i += 1
        if cid in (1, 2):
            if cid == 1 and (count != 1 or cur is not None):
                raise ValueError("MoveTo must have count 1 and follow a ClosePath")
            if cid == 2 and cur is None:
                raise ValueError("LineTo without MoveTo")
            for _ in range(count):
                x += unzigzag(cmds[i])
                y += unzigzag(cmds[i + 1])
                i += 2
                if cid == 1:
                    cur = [(x, y)]
                else:
                    cur.append((x, y))
        elif cid == 7:
            if cur is None:
                raise ValueError("ClosePath without an open ring")
            rings.append(cur)
            cur = None
        else:
            raise ValueError(f"unknown command {cid}")
    if cur is not None:
        raise ValueError("ring without ClosePath")
    return rings


def area2(ring):
    return sum(ring[k][0] * ring[(k + 1) % len(ring)][1] - ring[(k + 1) % len(ring)][0] * ring[k][1] for k in range(len(ring)))


def check_raw(data, where, problems):
    """Winding and ring checks on the raw stream; returns polygon features seen."""
    n = 0
    for f, _, layer in fields(data):
        if f != 3:
            continue
        name = next(bytes(v).decode() for lf, _, v in fields(layer) if lf == 1)
        for lf, _, feat in fields(layer):
            if lf != 2:
                continue
            gtype, cmds, fid = 0, [], None
            for ff, _, v in fields(feat):
                if ff == 1:
                    fid = v
                elif ff == 3:
                    gtype = v
                elif ff == 4:
                    cmds = packed(v)
            if gtype != 3:
                continue
            n += 1
            try:
                rings = raw_rings(cmds)
            except (ValueError, IndexError) as e:
                problems.append(f"{where} {name} id {fid}: {e}")
                continue
            if not rings or area2(rings[0]) <= 0:
                problems.append(f"{where} {name} id {fid}: first ring is not an exterior (surveyor's area <= 0 in tile coordinates)")
            for r in rings:
                if len(set(r)) < 3 or area2(r) == 0:
                    problems.append(f"{where} {name} id {fid}: degenerate ring {r[:4]}...")
    return n


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    as_json = "--json" in sys.argv
    if len(args) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    path = Path(args[0])
    problems = []
    geojson_checked = 0
    if path.is_dir():
        for name in ("hazards.geojson", "releases.geojson"):
            doc = path / name
            if not doc.exists():
                continue
            for feat in json.loads(doc.read_text())["features"]:
                if feat["geometry"] is None:
                    continue
                geojson_checked += 1
                g = shape(feat["geometry"])
                if not g.is_valid:
                    problems.append(f"{name} id {feat['properties'].get('id')}: {explain_validity(g)}")
        path = path / "tiles.pmtiles"
    tiles_per_zoom = Counter()
    features = Counter()
    polygons_checked = 0
    with open(path, "rb") as fh:
        get = MmapSource(fh)
        header = Reader(get).header()
        for (z, x, y), data in all_tiles(get):
            where = f"{z}/{x}/{y}"
            tiles_per_zoom[z] += 1
            if data[:2] == b"\x1f\x8b":
                data = gzip.decompress(data)
            polygons_checked += check_raw(data, where, problems)
            decoded = mapbox_vector_tile.decode(data, default_options={"y_coord_down": True})
            for lname, layer in decoded.items():
                for feat in layer["features"]:
                    features[lname] += 1
                    geom = feat["geometry"]
                    if geom["type"] in ("Polygon", "MultiPolygon"):
                        g = shape(geom)
                        if not g.is_valid:
                            problems.append(f"{where} {lname} id {feat.get('id')}: {explain_validity(g)}")
                    elif lname != "hazard_points" or geom["type"] != "Point":
                        problems.append(f"{where} {lname} id {feat.get('id')}: unexpected {geom['type']}")
    result = {
        "archive": str(path),
        "tile_compression": header.get("tile_compression"),
        "clustered": header.get("clustered"),
        "tiles_per_zoom": dict(sorted(tiles_per_zoom.items())),
        "features_per_layer": dict(sorted(features.items())),
        "polygon_features_checked": polygons_checked,
        "geojson_features_checked": geojson_checked,
        "problems": problems[:50],
        "problem_count": len(problems),
        "ok": not problems,
    }
    if as_json:
        print(json.dumps(result, indent=2, default=str))
    else:
        print(f"{path}: {sum(tiles_per_zoom.values())} tiles, {polygons_checked} polygon features checked "
              f"(raw winding + shapely is_valid), layers {dict(features)}; "
              f"{geojson_checked} GeoJSON geometries checked (shapely is_valid)")
        for p in problems[:50]:
            print("  problem:", p)
        print("OK" if not problems else f"FAILED: {len(problems)} problems")
    return 0 if not problems else 1


if __name__ == "__main__":
    sys.exit(main())
