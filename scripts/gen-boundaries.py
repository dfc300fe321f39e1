#!/usr/bin/env python3
"""Generate data/boundaries/*.bin.gz, the country boundaries clearmap embeds.

Source: Natural Earth admin-0 countries (https://www.naturalearthdata.com/,
public domain: "No permission is needed to use Natural Earth"), as shipped in
TopoJSON by the npm package world-atlas@2.0.2 (ISC licence, Mike Bostock;
https://github.com/topojson/world-atlas). Its ids are ISO 3166-1 numeric
codes; they are mapped to alpha-3 with Debian's iso-codes
(/usr/share/iso-codes/json/iso_3166-1.json, package `iso-codes`). Features
with no ISO code (Kosovo, N. Cyprus, Somaliland, ...) are kept without a code:
they are drawn as neighbours but no country can be checked against them.

Writes (deterministic bytes: gzip with mtime 0):
  data/boundaries/countries-10m.bin.gz  1:10m, for the coordinate checks
  data/boundaries/countries-50m.bin.gz  1:50m, for the map's context layer

The format keeps TopoJSON's shared, quantized, delta-coded arcs (each border
is stored once). All integers are LEB128 varints; signed ones zigzag-coded.
  b"CMWB1"
  scale_x, scale_y, translate_x, translate_y   f64 little-endian
  n_arcs; per arc: n_points, then per point zigzag(dx), zigzag(dy)
  n_countries; per country: 3 bytes alpha-3 ("\\0\\0\\0" = no ISO code),
    n_polygons; per polygon: n_rings; per ring: n_arcs, then per arc
    zigzag(arc index), a negative index ~i meaning arc i reversed
lon = translate_x + x * scale_x, lat = translate_y + y * scale_y, where x and
y are the running sums of an arc's deltas (TopoJSON's transform).

Usage: scripts/gen-boundaries.py [--package DIR]
Without --package, `npm pack world-atlas@2.0.2` fetches the package into a
temporary directory.
"""

import argparse
import gzip
import json
import os
import struct
import subprocess
import sys
import tarfile
import tempfile

PACKAGE = "world-atlas@2.0.2"
ISO_CODES = "/usr/share/iso-codes/json/iso_3166-1.json"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "data", "boundaries")


def varint(n, out):
    assert n >= 0
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return


def zigzag(n, out):
    varint((n << 1) ^ (n >> 63) if n < 0 else n << 1, out)


def encode(topo, numeric_to_alpha3):
    out = bytearray(b"CMWB1")
    t = topo["transform"]
    out += struct.pack("<4d", t["scale"][0], t["scale"][1], t["translate"][0], t["translate"][1])
    arcs = topo["arcs"]
    varint(len(arcs), out)
    for arc in arcs:
        varint(len(arc), out)
        for dx, dy in arc:
            zigzag(dx, out)
            zigzag(dy, out)
    # Countries by alpha-3; features of one code (Australia and its Ashmore
    # and Cartier Islands) merged; those without a code each kept apart.
    countries = {}
    order = []
    for g in topo["objects"]["countries"]["geometries"]:
        if g["type"] == "Polygon":
            polys = [g["arcs"]]
        elif g["type"] == "MultiPolygon":
            polys = g["arcs"]
        else:
            continue
        code = numeric_to_alpha3.get(g.get("id") or "", "")
        key = code or "?" + g["properties"]["name"]
        if key not in countries:
            countries[key] = (code, [])
            order.append(key)
        countries[key][1].extend(polys)
    order.sort(key=lambda k: (countries[k][0] == "", k))
    varint(len(order), out)
    for key in order:
        code, polys = countries[key]
        out += code.encode("ascii") if code else b"\0\0\0"
        varint(len(polys), out)
        for rings in polys:
            varint(len(rings), out)
            for ring in rings:
                varint(len(ring), out)
                for a in ring:
                    zigzag(a, out)
    return bytes(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--package", help="an unpacked world-atlas package directory")
    args = ap.parse_args()
    with open(ISO_CODES, encoding="utf-8") as f:
        iso = json.load(f)["3166-1"]
    numeric_to_alpha3 = {c["numeric"]: c["alpha_3"] for c in iso}
    with tempfile.TemporaryDirectory() as tmp:
        pkg = args.package
        if not pkg:
            subprocess.run(["npm", "pack", PACKAGE, "--silent"], cwd=tmp, check=True,
                           stdout=subprocess.DEVNULL)
            tgz = [f for f in os.listdir(tmp) if f.endswith(".tgz")][0]
            with tarfile.open(os.path.join(tmp, tgz)) as tar:
                tar.extractall(tmp, filter="data")
            pkg = os.path.join(tmp, "package")
        os.makedirs(OUT, exist_ok=True)
        for scale in ("10m", "50m"):
            with open(os.path.join(pkg, f"countries-{scale}.json"), encoding="utf-8") as f:
                topo = json.load(f)
            raw = encode(topo, numeric_to_alpha3)
            path = os.path.join(OUT, f"countries-{scale}.bin.gz")
            with open(path, "wb") as f:
                with gzip.GzipFile(filename="", mode="wb", fileobj=f, mtime=0, compresslevel=9) as gz:
                    gz.write(raw)
            print(f"{path}: {len(raw)} bytes, {os.path.getsize(path)} gzipped", file=sys.stderr)


if __name__ == "__main__":
    main()
