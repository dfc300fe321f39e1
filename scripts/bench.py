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
CLEARMAP = os.path.join(ROOT, "target", "release", "clearmap")


def timed(cmd, env=None):
    """Run cmd under /usr/bin/time -v; return (wall s, cpu s, peak RSS MB, rc)."""
    t0 = time.monotonic()
    p = subprocess.run(["/usr/bin/time", "-v"] + cmd, capture_output=True, text=True, env=env)
    wall = time.monotonic() - t0
    err = p.stderr
    user = float(re.search(r"User time \(seconds\): ([\d.]+)", err).group(1))
    sys_ = float(re.search(r"System time \(seconds\): ([\d.]+)", err).group(1))
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", err).group(1)) / 1024
    if p.returncode != 0:
        print(f"  ! {' '.join(cmd[:3])} … exited {p.returncode}: {err[-400:]}", file=sys.stderr)
    return wall, user + sys_, rss, p.returncode


def size_of(path):
    if os.path.isdir(path):
        return sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(path) for f in fs)
    return os.path.getsize(path) if os.path.exists(path) else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sizes", default="10000,100000", help="hazard counts, comma separated (1000000 for the 1M run)")
    ap.add_argument("--oracle-size", type=int, default=2000, help="hazards for the shapely accounting comparison (0 = skip)")
    ap.add_argument("--skip-ogr", action="store_true", help="do not run ogr2ogr (slow: ~6 min at 100k)")
    ap.add_argument("--work", default=None, help="work directory (default: a temporary one, removed after)")
    ap.add_argument("--seed", type=int, default=2024)
    args = ap.parse_args()
    work = args.work or tempfile.mkdtemp(prefix="clearmap-bench-")
    rows = []

    def gen(n):
        d = os.path.join(work, f"in-{n}")
        if not os.path.exists(os.path.join(d, "clearmap.toml")):
            subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "gen-example.py"), "--out", d,
                            "--hazards", str(n), "--seed", str(args.seed), "--clean"], check=True, stdout=subprocess.DEVNULL)
        return d

    sizes = [int(s) for s in args.sizes.split(",") if s]
    for n in sizes:
        d = gen(n)
        out = os.path.join(work, f"out-{n}")
        shutil.rmtree(out, ignore_errors=True)
        wall, cpu, rss, rc = timed([CLEARMAP, "build", os.path.join(d, "clearmap.toml"), "--out", out, "-q"])
        base = wall
        rows.append((n, "clearmap build (full: accounting, GeoJSON, tiles z0-14, page)", wall, cpu, rss, size_of(os.path.join(out, "tiles.pmtiles")), 1.0, rc))
        if not args.skip_ogr and shutil.which("ogr2ogr"):
            mb = os.path.join(work, f"ogr-{n}.mbtiles")
            if os.path.exists(mb):
                os.remove(mb)
            w, c, r, rc = timed(["ogr2ogr", "-f", "MBTiles", mb, os.path.join(d, "hazards.geojson"),
                                 "-dsco", "MINZOOM=0", "-dsco", "MAXZOOM=14"])
            rows.append((n, "ogr2ogr -f MBTiles (hazards only, tiles only)", w, c, r, size_of(mb), w / base, rc))
        if shutil.which("tippecanoe"):
            pm = os.path.join(work, f"tippecanoe-{n}.pmtiles")
            w, c, r, rc = timed(["tippecanoe", "-o", pm, "-Z0", "-z14", "--force", "-q", os.path.join(d, "hazards.geojson")])
            rows.append((n, "tippecanoe (hazards only, tiles only)", w, c, r, size_of(pm), w / base, rc))
    if args.oracle_size:
        n = args.oracle_size
        d = gen(n)
        out = os.path.join(work, f"out-{n}")
        shutil.rmtree(out, ignore_errors=True)
        wall, cpu, rss, rc = timed([CLEARMAP, "build", os.path.join(d, "clearmap.toml"), "--out", out, "-q"])
        rows.append((n, "clearmap build (full)", wall, cpu, rss, 0, 1.0, rc))
        venv_py = os.path.join(os.environ.get("TMPDIR", "/tmp"), "clearmap-oracle-venv", "bin", "python")
        subprocess.run([os.path.join(ROOT, "scripts", "check-oracle"), "--help"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        w, c, r, rc = timed([venv_py, os.path.join(ROOT, "scripts", "oracle.py"), os.path.join(d, "clearmap.toml"), "--json"])
        rows.append((n, "shapely 2 + pyproj accounting (scripts/oracle.py)", w, c, r, 0, w / wall, rc))

    print()
    print(f"{'hazards':>9}  {'run':<62} {'wall s':>8} {'cpu s':>8} {'RSS MB':>8} {'tiles MB':>9} {'× clearmap':>10}")
    for n, name, w, c, r, s, ratio, rc in rows:
        flag = "" if rc == 0 else f"  (exit {rc})"
        print(f"{n:>9}  {name:<62} {w:8.2f} {c:8.2f} {r:8.0f} {s / 1e6:9.2f} {ratio:10.1f}{flag}")
    print(f"\ncores: {os.cpu_count()}; work dir: {work}")
    if not args.work:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
