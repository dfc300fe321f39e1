"""Compare a bundle's tables/*.csv with LibreOffice's reading of article7.xlsx.

Arguments: TABLES_DIR CSV_DIR FODS_FILE, where CSV_DIR holds LibreOffice's
per-sheet CSV export (article7-SHEET.csv, raw values) and FODS_FILE its flat
ODS export (for cell types). Checks, for each of the four tables:
- the sheet has the CSV's rows (header row aside: the sheet has human labels);
- every cell of a numeric column (_m2, _km2, _count, relative_difference) that
  is not empty is stored as a number (office:value-type="float" or
  "percentage") and equals the CSV value to 1e-12 relative;
- every other cell equals the CSV text.
Exit status 0 when every check passed, 1 otherwise.
"""

import csv
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

TABLES = [
    "remaining_by_region",
    "released_by_year",
    "remaining_by_contamination",
    "reported_vs_computed",
]
NS = {
    "table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
    "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
    "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0",
}


def q(prefix, name):
    return "{%s}%s" % (NS[prefix], name)


def numeric(key):
    return key.endswith(("_m2", "_km2", "_count")) or key == "relative_difference"


def read_csv(path):
    # The CSVs start with a byte order mark (for Excel), then the header.
    with open(path, newline="", encoding="utf-8-sig") as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]


def fods_types(path):
    """Sheet name -> list of rows -> list of (value-type, value) per cell."""
    sheets = {}
    root = ET.parse(path).getroot()
    for t in root.iter(q("table", "table")):
        rows = []
        for r in t.iter(q("table", "table-row")):
            rep_r = int(r.get(q("table", "number-rows-repeated"), "1"))
            cells = []
            for c in r:
                if c.tag not in (q("table", "table-cell"), q("table", "covered-table-cell")):
                    continue
                rep = int(c.get(q("table", "number-columns-repeated"), "1"))
                vt = c.get(q("office", "value-type"))
                val = c.get(q("office", "value"))
                if val is None:
                    val = "".join("".join(p.itertext()) for p in c.findall(q("text", "p")))
                cells.extend([(vt, val)] * min(rep, 64))
            while cells and cells[-1][0] is None:
                cells.pop()
            if cells:
                rows.extend([cells] * min(rep_r, 1))
        sheets[t.get(q("table", "name"))] = rows
    return sheets


def main():
    tables_dir, csv_dir, fods = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
    types = fods_types(fods)
    failures, numbers, cells_checked = [], 0, 0
    for name in TABLES:
        header, rows = read_csv(tables_dir / f"{name}.csv")
        lo_path = csv_dir / f"article7-{name}.csv"
        if not lo_path.exists():
            failures.append(f"{name}: LibreOffice wrote no {lo_path.name}")
            continue
        with open(lo_path, newline="", encoding="utf-8") as f:
            lo_rows = [r for r in csv.reader(f)]
        lo_rows = lo_rows[1:]  # the header row holds labels, not keys
        typed = types.get(name, [])[1:]
        if len(lo_rows) != len(rows) or len(typed) != len(rows):
            failures.append(
                f"{name}: {len(rows)} CSV rows, LibreOffice {len(lo_rows)} (csv) / {len(typed)} (fods)"
            )
            continue
        for i, (row, lo, ty) in enumerate(zip(rows, lo_rows, typed)):
            lo = lo + [""] * (len(row) - len(lo))
            ty = ty + [(None, "")] * (len(row) - len(ty))
            for c, key in enumerate(header):
                want, got, (vt, val) = row[c], lo[c], ty[c]
                cells_checked += 1
                where = f"{name} row {i + 1} {key}"
                if want == "":
                    if got != "" or vt is not None:
                        failures.append(f"{where}: want empty, LibreOffice {got!r} ({vt})")
                    continue
                if numeric(key):
                    if vt not in ("float", "percentage"):
                        failures.append(f"{where}: stored as {vt}, not a number ({val!r})")
                        continue
                    numbers += 1
                    # LibreOffice writes a percentage cell's raw value as "6.6002%".
                    g = float(got[:-1]) / 100 if got.endswith("%") else float(got)
                    w, v = float(want), float(val)
                    tol = 1e-12 * max(abs(w), 1.0)
                    if abs(w - g) > tol or abs(w - v) > tol:
                        failures.append(f"{where}: CSV {want}, LibreOffice {got} / {val}")
                elif got != want:
                    failures.append(f"{where}: CSV {want!r}, LibreOffice {got!r}")
    for f in failures[:50]:
        print("FAIL", f)
    print(
        f"check-tables: {len(TABLES)} sheets, {cells_checked} cells, {numbers} numeric cells; "
        f"{len(failures)} failures"
    )
    print(f"{cells_checked - len(failures)} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
