#!/usr/bin/env python3
"""Independent oracle for clearmap's area accounting.

This script is an *independent check* of the figures clearmap writes to
``summary.json``. It re-implements the normative accounting of docs/design.md
("Accounting (normative)") from scratch with shapely (GEOS) and pyproj
(geodesic areas on WGS84, Karney's algorithm). It must not import, call or
copy clearmap code: its value is that it shares nothing with the Rust
implementation except the specification.

Usage::

    python3 scripts/oracle.py CONFIG.toml [--summary OUT/summary.json]
                              [--tolerance 0.001] [--json] [--naive]

It reads the clearmap config (TOML), reads the GeoJSON sources it names,
and computes:

* ``total``                     area(H), H = union of usable hazards
* ``cleared|reduced|cancelled`` release pieces inside H, each square metre
                                attributed to the earliest release
* ``remaining``                 area(H_open - R)
* ``closed_unreleased``         area(H_closed - H_open - R)
* ``released_outside_hazards``  area(R - H)

and the record counts per role. With ``--summary`` it compares them with
clearmap's ``summary.json`` and exits 1 when a figure disagrees.

Semantics implemented (mirrors docs/design.md, plus the choices it leaves open):

* Canonical field ``f`` is read from the property named in
  ``[source.fields]`` (or the property ``f`` itself); when that property is
  absent, null or blank, ``[source.defaults].f`` applies. Raw values go
  through ``[source.values.f]`` (keys matched case-insensitively after
  trimming); canonical values are accepted case-insensitively as themselves.
* Geometry: null/empty or non-polygonal (Point, LineString,
  GeometryCollection, ...) or unparsable -> unusable (quarantined).
  Polygonal geometry is repaired with ``shapely.make_valid`` and only its
  polygonal parts are kept; nothing polygonal left -> unusable.
* Hazard status missing -> open. A status that maps to nothing is also
  treated as open (conservative; counted as ``status_unmapped``).
  ``worked_on`` counts as not closed.
* Release outcome missing or unmappable -> the release is quarantined.
  A release date that is not ISO ``YYYY-MM-DD`` (a datetime prefix is
  accepted) is treated as undated and counted as ``date_unparsed``.
* Order of record filters: quarantine (unusable) -> as_of (releases dated
  after ``as_of`` are ignored; undated kept) -> duplicate ids (trimmed,
  case-folded; within a role the LAST record read wins, sources in config
  order, features in file order; records without id are never duplicates).
* Attribution order: dated releases first, by date ascending; same date:
  cleared < reduced < cancelled; then input order. A release's piece is
  (release ∩ H) minus the union of all releases earlier in that order.
  Only releases whose geometries intersect can take area from each other,
  so each piece is computed against its intersecting earlier releases
  only (STRtree), which is exact and avoids an O(n^2) sweep. ``--naive``
  runs the literal sequential definition instead (for cross-checking).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import shapely
from pyproj import Geod
from shapely.geometry import MultiPolygon, Polygon, shape
from shapely.geometry.polygon import orient

GEOD = Geod(ellps="WGS84")

CANONICAL_FIELDS = (
    "id",
    "classification",
    "status",
    "contamination",
    "region",
    "hazard_ids",
    "outcome",
    "date",
    "area_reported_m2",
)
ENUMS = {
    "classification": ("SHA", "CHA", "other"),
    "status": ("open", "worked_on", "closed"),
    "outcome": ("cancelled", "reduced", "cleared"),
}
OUTCOME_RANK = {"cleared": 0, "reduced": 1, "cancelled": 2}
ROLES = ("hazard", "release")
FIGURES = (
    "total",
    "remaining",
    "cleared",
    "reduced",
    "cancelled",
    "closed_unreleased",
    "released_outside_hazards",
)
ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:$|[T ])")


class ConfigError(Exception):
    """Bad config or unsupported input (exit code 2)."""


# --------------------------------------------------------------------------
# Geodesic area
# --------------------------------------------------------------------------


def polygons_of(geom) -> list[Polygon]:
    """The non-empty Polygon parts of any geometry (collections flattened)."""
    if geom is None or geom.is_empty:
        return []
    if isinstance(geom, Polygon):
        return [geom]
    if hasattr(geom, "geoms"):
        out: list[Polygon] = []
        for g in geom.geoms:
            out.extend(polygons_of(g))
        return out
    return []


def geodesic_area(geom) -> float:
    """Geodesic area in m² on WGS84; polygons oriented CCW (holes CW) first."""
    total = 0.0
    for p in polygons_of(geom):
        area, _ = GEOD.geometry_area_perimeter(orient(p, 1.0))
        total += abs(area)
    return total


# --------------------------------------------------------------------------
# Config and records
# --------------------------------------------------------------------------


@dataclass
class Source:
    path: Path
    role: str
    fields: dict[str, str]
    values: dict[str, dict[str, str]]  # field -> {trimmed casefolded raw: canonical}
    defaults: dict[str, object]


@dataclass
class Config:
    path: Path
    country: str | None
    as_of: str | None
    sources: list[Source]


@dataclass
class Record:
    role: str
    seq: int  # global read order within the role
    where: str  # file#feature-index, for messages
    id_key: str | None
    geom: object | None  # repaired polygonal geometry or None
    status: str | None = None
    outcome: str | None = None
    date: str | None = None
    problem: str | None = None  # reason the record is unusable


@dataclass
class Counts:
    read: int = 0
    used: int = 0
    quarantined: int = 0
    after_as_of: int = 0
    duplicates_dropped: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    warnings: dict[str, int] = field(default_factory=dict)

    def bump(self, table: dict[str, int], key: str) -> None:
        table[key] = table.get(key, 0) + 1


def load_config(path: Path) -> Config:
    try:
        with path.open("rb") as fh:
            doc = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: {exc}") from exc
    as_of = doc.get("as_of")
    if as_of is not None:
        as_of = str(as_of)  # tomllib gives a datetime.date for bare dates
        if not ISO_DATE.match(as_of):
            raise ConfigError(f"{path}: as_of {as_of!r} is not YYYY-MM-DD")
        as_of = as_of[:10]
    raw_sources = doc.get("source", [])
    if not raw_sources:
        raise ConfigError(f"{path}: no [[source]]")
    sources = []
    for i, s in enumerate(raw_sources):
        where = f"{path}: source #{i + 1}"
        if "path" not in s:
            raise ConfigError(f"{where}: missing path")
        role = s.get("role")
        if role not in ROLES:
            raise ConfigError(f"{where}: role must be hazard or release, got {role!r}")
        if s.get("preset"):
            raise ConfigError(
                f"{where}: preset {s['preset']!r}: the oracle implements no presets; "
                "spell the mappings out in [source.fields] / [source.values]"
            )
        crs = str(s.get("crs", "EPSG:4326")).upper()
        if crs not in ("EPSG:4326", "OGC:CRS84", "CRS84", "WGS84"):
            raise ConfigError(f"{where}: crs {crs}: the oracle reads WGS84 GeoJSON only")
        p = Path(s["path"])
        if not p.is_absolute():
            p = path.parent / p
        if p.suffix.lower() not in (".geojson", ".json"):
            raise ConfigError(f"{where}: {p}: the oracle reads GeoJSON only")
        values = {}
        for fname, table in (s.get("values") or {}).items():
            values[fname] = {str(k).strip().casefold(): str(v) for k, v in table.items()}
        sources.append(
            Source(
                path=p,
                role=role,
                fields={k: str(v) for k, v in (s.get("fields") or {}).items()},
                values=values,
                defaults=dict(s.get("defaults") or {}),
            )
        )
    return Config(path, doc.get("country"), as_of, sources)


def blank(v) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


def raw_value(src: Source, props: dict, name: str):
    """Raw value of canonical field `name`, or the source default, or None."""
    v = props.get(src.fields.get(name, name))
    if blank(v):
        v = src.defaults.get(name)
        if blank(v):
            return None, False
        return v, True
    return v, False


def canonical_enum(src: Source, name: str, raw, from_default: bool) -> str | None:
    """Map a raw enum value to its canonical spelling, or None if unmappable."""
    text = str(raw).strip()
    if not from_default:
        mapped = src.values.get(name, {}).get(text.casefold())
        if mapped is not None:
            text = mapped.strip()
    for canon in ENUMS[name]:
        if text.casefold() == canon.casefold():
            return canon
    return None


def id_key(raw) -> str | None:
    if blank(raw):
        return None
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    return str(raw).strip().casefold()


def repair(geojson_geom) -> tuple[object | None, str | None]:
    """Repaired polygonal geometry, or (None, reason)."""
    if geojson_geom is None:
        return None, "null_geometry"
    gtype = geojson_geom.get("type") if isinstance(geojson_geom, dict) else None
    if gtype not in ("Polygon", "MultiPolygon"):
        return None, "non_polygonal_geometry"
    try:
        g = shapely.force_2d(shape(geojson_geom))
    except Exception:  # malformed coordinates, too few points, ...
        return None, "unparsable_geometry"
    if g.is_empty:
        return None, "empty_geometry"
    fixed = shapely.make_valid(g)
    parts = polygons_of(fixed)
    if not parts:
        return None, "no_polygon_after_repair"
    if len(parts) == 1:
        return parts[0], None
    return MultiPolygon(parts), None


def read_records(cfg: Config, counts: dict[str, Counts]) -> dict[str, list[Record]]:
    records: dict[str, list[Record]] = {r: [] for r in ROLES}
    for src in cfg.sources:
        try:
            with src.path.open("rb") as fh:
                doc = json.load(fh)
        except (OSError, ValueError) as exc:
            raise ConfigError(f"{src.path}: {exc}") from exc
        crs = (doc.get("crs") or {}).get("properties", {}).get("name", "")
        if crs and not re.search(r"(CRS84|EPSG:{1,2}4326)$", crs):
            raise ConfigError(f"{src.path}: crs {crs}: the oracle reads WGS84 only")
        if doc.get("type") == "FeatureCollection":
            features = doc.get("features") or []
        elif doc.get("type") == "Feature":
            features = [doc]
        else:
            raise ConfigError(f"{src.path}: not a GeoJSON Feature or FeatureCollection")
        c = counts[src.role]
        for i, feat in enumerate(features):
            c.read += 1
            props = feat.get("properties") or {}
            raw_id, _ = raw_value(src, props, "id")  # never the GeoJSON feature id
            geom, problem = repair(feat.get("geometry"))
            rec = Record(
                role=src.role,
                seq=len(records[src.role]),
                where=f"{src.path.name}#{i}",
                id_key=id_key(raw_id),
                geom=geom,
                problem=problem,
            )
            if src.role == "hazard":
                raw, dflt = raw_value(src, props, "status")
                if raw is None:
                    rec.status = "open"
                else:
                    rec.status = canonical_enum(src, "status", raw, dflt)
                    if rec.status is None:
                        c.bump(c.warnings, "status_unmapped")
                        rec.status = "open"
            else:
                raw, dflt = raw_value(src, props, "outcome")
                if raw is None:
                    rec.problem = rec.problem or "missing_outcome"
                else:
                    rec.outcome = canonical_enum(src, "outcome", raw, dflt)
                    if rec.outcome is None:
                        rec.problem = rec.problem or "unmapped_outcome"
                raw, _ = raw_value(src, props, "date")
                if raw is not None:
                    m = ISO_DATE.match(str(raw).strip())
                    if m:
                        rec.date = "-".join(m.groups())
                    else:
                        c.bump(c.warnings, "date_unparsed")
            records[src.role].append(rec)
    return records


def filter_records(
    records: list[Record], c: Counts, as_of: str | None
) -> list[Record]:
    """Quarantine -> as_of -> duplicate ids (last read wins)."""
    kept = []
    for r in records:
        if r.problem:
            c.quarantined += 1
            c.bump(c.reasons, r.problem)
        elif as_of is not None and r.date is not None and r.date > as_of:
            c.after_as_of += 1
        else:
            kept.append(r)
    last: dict[str, int] = {}
    for r in kept:
        if r.id_key is not None:
            last[r.id_key] = r.seq
    out = []
    for r in kept:
        if r.id_key is not None and last[r.id_key] != r.seq:
            c.duplicates_dropped += 1
        else:
            out.append(r)
    c.used = len(out)
    return out


# --------------------------------------------------------------------------
# Accounting
# --------------------------------------------------------------------------


def union(geoms) -> object:
    geoms = [g for g in geoms if g is not None]
    if not geoms:
        return Polygon()
    return shapely.unary_union(np.array(geoms, dtype=object))


def attribution_order(releases: list[Record]) -> list[int]:
    """Indices of releases in attribution order."""

    def key(i: int):
        r = releases[i]
        return (r.date is None, r.date or "", OUTCOME_RANK[r.outcome], r.seq)

    return sorted(range(len(releases)), key=key)


def attribute_fast(releases: list[Record], hazards: list[Record]) -> dict[str, float]:
    """Per-outcome areas of release pieces, using STRtree neighbourhoods."""
    out = {o: 0.0 for o in OUTCOME_RANK}
    if not releases or not hazards:
        return out
    order = attribution_order(releases)
    rank = np.empty(len(releases), dtype=np.int64)
    rank[np.array(order)] = np.arange(len(order))
    rel = np.array([r.geom for r in releases], dtype=object)
    haz = np.array([h.geom for h in hazards], dtype=object)

    rh = intersecting(haz, rel)
    rr_src, rr_tree = shapely.STRtree(rel).query(rel, predicate="intersects")
    keep = rank[rr_tree] < rank[rr_src]
    earlier = group(rr_src[keep], rr_tree[keep], len(releases))

    for i, r in enumerate(releases):
        hs = rh[i]
        if len(hs) == 0:
            continue
        inside = shapely.intersection(r.geom, union(haz[hs]))
        if inside.is_empty:
            continue
        if len(earlier[i]):
            inside = shapely.difference(inside, union(rel[earlier[i]]))
        out[r.outcome] += geodesic_area(inside)
    return out


def intersecting(tree_geoms, query_geoms) -> list[np.ndarray]:
    """For each query geometry, indices of tree geometries it intersects."""
    q, t = shapely.STRtree(tree_geoms).query(query_geoms, predicate="intersects")
    return group(q, t, len(query_geoms))


def group(keys: np.ndarray, vals: np.ndarray, n: int) -> list[np.ndarray]:
    order = np.argsort(keys, kind="stable")
    keys, vals = keys[order], vals[order]
    bounds = np.searchsorted(keys, np.arange(n + 1))
    return [vals[bounds[i] : bounds[i + 1]] for i in range(n)]


def attribute_naive(releases: list[Record], H) -> dict[str, float]:
    """The literal definition: sweep in order, subtracting everything before."""
    out = {o: 0.0 for o in OUTCOME_RANK}
    seen = Polygon()
    for i in attribution_order(releases):
        r = releases[i]
        piece = shapely.difference(shapely.intersection(r.geom, H), seen)
        out[r.outcome] += geodesic_area(piece)
        seen = shapely.union(seen, r.geom)
    return out


def compute(cfg: Config, naive: bool = False) -> dict:
    t0 = time.monotonic()
    counts = {r: Counts() for r in ROLES}
    raw = read_records(cfg, counts)
    hazards = filter_records(raw["hazard"], counts["hazard"], None)
    releases = filter_records(raw["release"], counts["release"], cfg.as_of)
    t_read = time.monotonic()

    H = union(h.geom for h in hazards)
    H_open = union(h.geom for h in hazards if h.status != "closed")
    H_closed = union(h.geom for h in hazards if h.status == "closed")
    R = union(r.geom for r in releases)

    area = {
        "total": geodesic_area(H),
        "remaining": geodesic_area(shapely.difference(H_open, R)),
        "closed_unreleased": geodesic_area(
            shapely.difference(shapely.difference(H_closed, H_open), R)
        ),
        "released_outside_hazards": geodesic_area(shapely.difference(R, H)),
    }
    released_inside = geodesic_area(shapely.intersection(R, H))
    t_union = time.monotonic()
    if naive:
        area.update(attribute_naive(releases, H))
    else:
        area.update(attribute_fast(releases, hazards))
    t_attr = time.monotonic()

    released = area["cleared"] + area["reduced"] + area["cancelled"]
    balance = area["remaining"] + released + area["closed_unreleased"]
    return {
        "country": cfg.country,
        "as_of": cfg.as_of,
        "area_m2": {k: area[k] for k in FIGURES},
        "records": {
            role: {
                "read": c.read,
                "used": c.used,
                "quarantined": c.quarantined,
                "after_as_of": c.after_as_of,
                "duplicates_dropped": c.duplicates_dropped,
                "quarantine_reasons": dict(sorted(c.reasons.items())),
                "warnings": dict(sorted(c.warnings.items())),
            }
            for role, c in counts.items()
        },
        "checks": {
            "hazard_area_sum_m2": sum(geodesic_area(h.geom) for h in hazards),
            "released_inside_hazards_m2": released_inside,
            "attributed_m2": released,
            "conservation_rhs_m2": balance,
            "conservation_rel_error": abs(area["total"] - balance)
            / max(area["total"], 1.0),
            "attribution_rel_error": abs(released_inside - released)
            / max(released_inside, 1.0),
        },
        "timing_s": {
            "read_repair": round(t_read - t0, 3),
            "unions": round(t_union - t_read, 3),
            "attribution": round(t_attr - t_union, 3),
        },
    }


# --------------------------------------------------------------------------
# Output and comparison
# --------------------------------------------------------------------------


def fmt(v) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:,.1f}"
    return f"{v:,}"


def print_report(res: dict) -> None:
    print(f"oracle: country={res['country']} as_of={res['as_of']}")
    for role, c in res["records"].items():
        print(
            f"  {role:8} read {c['read']:,}  used {c['used']:,}  "
            f"quarantined {c['quarantined']:,}  after_as_of {c['after_as_of']:,}  "
            f"duplicates_dropped {c['duplicates_dropped']:,}"
        )
        if c["quarantine_reasons"]:
            print(f"           quarantine reasons: {c['quarantine_reasons']}")
        if c["warnings"]:
            print(f"           warnings: {c['warnings']}")
    for k in FIGURES:
        print(f"  {k:26} {res['area_m2'][k]:>20,.1f} m²")
    ch = res["checks"]
    a = res["area_m2"]
    print(
        f"  conservation: total {a['total']:,.1f} vs remaining+cleared+reduced+"
        f"cancelled+closed_unreleased {ch['conservation_rhs_m2']:,.1f} "
        f"(rel. error {ch['conservation_rel_error']:.2e})"
    )
    print(
        f"  attribution: attributed {ch['attributed_m2']:,.1f} vs area(R ∩ H) "
        f"{ch['released_inside_hazards_m2']:,.1f} "
        f"(rel. error {ch['attribution_rel_error']:.2e})"
    )
    print(f"  sum of per-record hazard areas {ch['hazard_area_sum_m2']:,.1f} m²")
    t = res["timing_s"]
    print(
        f"  time: read+repair {t['read_repair']}s, unions {t['unions']}s, "
        f"attribution {t['attribution']}s"
    )


def compare(res: dict, summary: dict, tol: float, out=sys.stdout) -> bool:
    """Print the comparison table; True when every figure passes."""
    ok = True
    total = abs(res["area_m2"]["total"])
    rows = []
    theirs_area = summary.get("area_m2") or {}
    for k in FIGURES:
        mine = res["area_m2"][k]
        theirs = theirs_area.get(k)
        if not isinstance(theirs, (int, float)) or isinstance(theirs, bool):
            rows.append((f"area_m2.{k}", fmt(mine), fmt(theirs), "-", "MISSING"))
            ok = False
            continue
        diff = float(theirs) - mine
        scale = max(abs(mine), 1.0)
        passed = abs(diff) <= tol * scale or abs(diff) <= 1e-5 * total
        ok &= passed
        rows.append(
            (f"area_m2.{k}", fmt(mine), fmt(float(theirs)), f"{diff / scale:+.2e}",
             "ok" if passed else "FAIL")
        )
    theirs_rec = summary.get("records") or {}
    for role in ROLES:
        for k in ("read", "used", "quarantined"):
            mine = res["records"][role][k]
            theirs = (theirs_rec.get(role) or {}).get(k)
            if theirs is None:
                rows.append((f"records.{role}.{k}", fmt(mine), "-", "-", "MISSING"))
                ok = False
                continue
            passed = theirs == mine
            ok &= passed
            rows.append(
                (f"records.{role}.{k}", fmt(mine), fmt(theirs), f"{theirs - mine:+d}",
                 "ok" if passed else "FAIL")
            )
    head = ("figure", "oracle", "clearmap", "rel. diff", "")
    widths = [max(len(r[i]) for r in rows + [head]) for i in range(5)]
    line = lambda r: "  ".join(  # noqa: E731
        r[i].ljust(widths[i]) if i == 0 else r[i].rjust(widths[i]) for i in range(5)
    )
    print(line(head), file=out)
    for r in rows:
        print(line(r), file=out)
    print(f"tolerance {tol} relative (or 1e-5 of total); counts exact: "
          f"{'PASS' if ok else 'FAIL'}", file=out)
    return ok


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("config", type=Path, help="clearmap config TOML")
    ap.add_argument("--summary", type=Path, help="clearmap summary.json to compare")
    ap.add_argument("--tolerance", type=float, default=0.001,
                    help="relative tolerance per figure (default 0.001)")
    ap.add_argument("--json", action="store_true",
                    help="print the oracle's figures as JSON instead of a table")
    ap.add_argument("--naive", action="store_true",
                    help="literal sequential attribution (slow; cross-check)")
    args = ap.parse_args(argv)
    try:
        cfg = load_config(args.config)
        res = compute(cfg, naive=args.naive)
        summary = None
        if args.summary:
            try:
                summary = json.loads(args.summary.read_text())
            except (OSError, ValueError) as exc:
                raise ConfigError(f"{args.summary}: {exc}") from exc
    except ConfigError as exc:
        print(f"oracle: error: {exc}", file=sys.stderr)
        return 2

    if res["checks"]["conservation_rel_error"] > 1e-6:
        print("oracle: warning: the oracle's own conservation check exceeds 1e-6",
              file=sys.stderr)
    if args.json:
        print(json.dumps(res, indent=2, ensure_ascii=False))
    else:
        print_report(res)
    if summary is None:
        return 0
    out = sys.stderr if args.json else sys.stdout  # keep --json stdout pure JSON
    print(file=out)
    return 0 if compare(res, summary, args.tolerance, out) else 1


if __name__ == "__main__":
    sys.exit(main())
