"""Open a bundle's bundle.gpkg with QGIS itself (headless) and check that each
layer comes up styled from the GeoPackage's layer_styles table: a categorized
renderer on the expected attribute, with the IMAS colours of styles/clearmap.json
and one category per value. Run by scripts/check-qgis; not part of cargo test."""

import json
import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from qgis.core import QgsApplication, QgsVectorLayer  # noqa: E402

EXPECTED = {
    # layer: (attribute, values that must have a category of their own;
    # the others fall in the style's catch-all category, value "")
    "hazards": ("class", {"CHA", "SHA", ""}),
    "releases": ("outcome", {"cancelled", "reduced", "cleared"}),
}


def main(bundle: str) -> int:
    gpkg = os.path.join(bundle, "bundle.gpkg") if os.path.isdir(bundle) else bundle
    app = QgsApplication([], False)
    app.initQgis()
    failures = []
    for name, (attr, values) in EXPECTED.items():
        layer = QgsVectorLayer(f"{gpkg}|layername={name}", name, "ogr")
        if not layer.isValid():
            failures.append(f"{name}: QGIS cannot open the layer")
            continue
        renderer = layer.renderer()
        kind = renderer.type() if renderer else None
        if kind != "categorizedSymbol":
            failures.append(f"{name}: renderer {kind!r}, not the categorized style of layer_styles")
            continue
        if renderer.classAttribute() != attr:
            failures.append(f"{name}: classified by {renderer.classAttribute()!r}, not {attr!r}")
        got = {str(c.value()) for c in renderer.categories()}
        if not values <= got:
            failures.append(f"{name}: categories {sorted(got)} lack {sorted(values - got)}")
        colours = {str(c.value()): c.symbol().color().name() for c in renderer.categories()}
        print(json.dumps({"layer": name, "features": layer.featureCount(), "colours": colours}))
    for f in failures:
        print(f"check-qgis: {f}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print("usage: scripts/check-qgis OUT_DIR|bundle.gpkg", file=sys.stderr)
        sys.exit(2)
    code = main(sys.argv[1])
    sys.stdout.flush()
    sys.stderr.flush()
    # QGIS 3.22's exitQgis() crashes on the offscreen platform; the check is
    # done, so leave without tearing QGIS down.
    os._exit(code)
