//! The map's context: the config's country, its neighbours and their coasts
//! (Natural Earth 1:50m, `crate::world`), so that a page shows where the
//! hazards are with no basemap and no network.
//!
//! Owns the window (the country's box with a margin, [`Window::of`]) the
//! context is cut to, the deepest zoom it is tiled at ([`Window::max_zoom`]:
//! [`CONTEXT_MAX_ZOOM`], less for a country so large that its window would
//! need more than [`TILE_BUDGET`] tiles at that zoom; the style's `context`
//! source overzooms past it), and the parts cut to the window ([`parts`]).
//! The tile profile draws the parts as the `context` layer; the page's style
//! draws them under everything else.

use crate::geometry::antimeridian;
use crate::tiles::clip::{clip_ring, Rect};
use crate::tiles::grid::to_unit;
use crate::world::{self, Scale};
use geo::MapCoords;
use geo::{LineString, MultiPolygon, Polygon};

/// The deepest zoom of the context layer: the 1:50m outlines have nothing
/// finer to show (about 1 km, some 8 pixels at z10).
pub const CONTEXT_MAX_ZOOM: u8 = 10;

/// At most this many tiles of the window at its deepest zoom.
const TILE_BUDGET: f64 = 4096.0;

/// The margin around the country, as a share of its size, and at least
/// [`MIN_MARGIN_DEG`]: enough to fill a page opened on the country (the
/// tiles' bounds are the records' and the country's, not the window's)
/// with its neighbours and coasts.
const MARGIN: f64 = 0.5;
const MIN_MARGIN_DEG: f64 = 1.0;

/// Web Mercator stops here.
const MAX_LAT: f64 = 85.0511;

/// The box the context is cut to.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Window {
    /// west, south, east, north (degrees).
    pub bounds: [f64; 4],
    /// The deepest zoom the context is tiled at.
    pub max_zoom: u8,
}

impl Window {
    /// The window of a country, `None` when it has no boundary (a
    /// user-assigned code) or there is no country. Around a country across
    /// ±180° (Fiji) the window runs past 180° (its east up to 540°): its
    /// parts are taken there unwrapped, and the tiler draws what lies past
    /// 180° one world west.
    pub fn of(country: Option<&str>) -> Result<Option<Window>, String> {
        let Some(c) = country.map(|c| world::country(c, Scale::Map)).transpose()? else {
            return Ok(None);
        };
        let Some(c) = c else { return Ok(None) };
        let unwrapped = antimeridian::unwrap(&c.shape);
        let [w, s, e, n] = main_extent(unwrapped.as_ref().unwrap_or(&c.shape));
        let mx = ((e - w) * MARGIN).max(MIN_MARGIN_DEG);
        let my = ((n - s) * MARGIN).max(MIN_MARGIN_DEG);
        // Within ±180° unless the country itself runs past 180°.
        let east_limit = if e > 180.0 { w + 360.0 } else { 180.0 };
        let bounds = [
            (w - mx).max(-180.0),
            (s - my).max(-MAX_LAT),
            (e + mx).min(east_limit),
            (n + my).min(MAX_LAT),
        ];
        let max_zoom = (0..=CONTEXT_MAX_ZOOM)
            .rev()
            .find(|&z| tiles_at(&bounds, z) <= TILE_BUDGET)
            .unwrap_or(0);
        Ok(Some(Window { bounds, max_zoom }))
    }
}

/// The extent of a country's main land: its largest polygon and, step by
/// step, every polygon within [`NEAR_DEG`] (or half the main land's size)
/// of what is taken so far, so that coastal islands count and overseas
/// territories (the Netherlands' Caribbean islands, France's departments)
/// do not: the page opens on the country people know. West, south, east,
/// north.
fn main_extent(shape: &MultiPolygon<f64>) -> [f64; 4] {
    use geo::{Area, BoundingRect};
    let boxes: Vec<(f64, [f64; 4])> = shape
        .iter()
        .filter_map(|p| {
            let b = p.bounding_rect()?;
            Some((
                p.unsigned_area(),
                [b.min().x, b.min().y, b.max().x, b.max().y],
            ))
        })
        .collect();
    let Some(&(_, first)) = boxes.iter().max_by(|a, b| a.0.total_cmp(&b.0)) else {
        return [-180.0, -MAX_LAT, 180.0, MAX_LAT];
    };
    let reach = NEAR_DEG.max((first[2] - first[0]).max(first[3] - first[1]) / 2.0);
    let mut ext = first;
    let mut taken = vec![false; boxes.len()];
    loop {
        let mut grew = false;
        for (i, (_, b)) in boxes.iter().enumerate() {
            let near = b[0] <= ext[2] + reach
                && b[2] >= ext[0] - reach
                && b[1] <= ext[3] + reach
                && b[3] >= ext[1] - reach;
            if !taken[i] && near {
                taken[i] = true;
                ext = [
                    ext[0].min(b[0]),
                    ext[1].min(b[1]),
                    ext[2].max(b[2]),
                    ext[3].max(b[3]),
                ];
                grew = true;
            }
        }
        if !grew {
            return ext;
        }
    }
}

/// Islands this near a country's main land (degrees) are part of its extent.
const NEAR_DEG: f64 = 2.0;

/// How many tiles of zoom `z` the box covers.
fn tiles_at(b: &[f64; 4], z: u8) -> f64 {
    let n = f64::from(1u32 << z);
    let (x0, y0) = to_unit(b[0], b[3]);
    let (x1, y1) = to_unit(b[2], b[1]);
    let columns = (x1 * n).floor() - (x0 * n).floor() + 1.0;
    let rows = (y1 * n).floor().min(n - 1.0) - (y0 * n).floor().max(0.0) + 1.0;
    columns.min(n) * rows
}

/// One country's part of the context.
#[derive(Debug, Clone)]
pub struct Part {
    /// ISO 3166-1 alpha-3; `None` for a territory Natural Earth draws with
    /// no ISO code.
    pub iso3: Option<String>,
    /// The config's country itself (else a neighbour).
    pub own: bool,
    /// Its land, cut to the window.
    pub shape: MultiPolygon<f64>,
}

/// The countries within the window, cut to it, the config's own first.
/// Rings are cut one by one (Sutherland–Hodgman); the tiler cleans the
/// zero-width bridges that may leave along the window's edge.
pub fn parts(country: &str, w: &Window) -> Result<Vec<Part>, String> {
    let [west, south, east, north] = w.bounds;
    let rect = Rect {
        min_x: west,
        min_y: south,
        max_x: east,
        max_y: north,
    };
    let mut out: Vec<Part> = world::countries(Scale::Map)?
        .iter()
        .filter(|c| {
            let (lo, hi) = (c.bbox.min(), c.bbox.max());
            let east_of = east > 180.0 && lo.x <= east - 360.0;
            (lo.x <= east && hi.x >= west || east_of) && lo.y <= north && hi.y >= south
        })
        .filter_map(|c| {
            // A window past 180°: what lies west of -180° + its overshoot is
            // taken one world east, vertex by vertex (rings cut at ±180°
            // become whole again).
            let moved;
            let shape = if east > 180.0 {
                moved = c.shape.map_coords(|k| geo::Coord {
                    x: if k.x < 0.0 { k.x + 360.0 } else { k.x },
                    y: k.y,
                });
                &moved
            } else {
                &c.shape
            };
            let polys: Vec<Polygon<f64>> = shape.iter().filter_map(|p| cut(p, &rect)).collect();
            (!polys.is_empty()).then(|| Part {
                own: c.iso3.as_deref() == Some(country),
                iso3: c.iso3.clone(),
                shape: MultiPolygon::new(polys),
            })
        })
        .collect();
    out.sort_by_key(|p| !p.own);
    Ok(out)
}

/// A polygon cut to `r`; `None` when nothing of it is inside.
fn cut(p: &Polygon<f64>, r: &Rect) -> Option<Polygon<f64>> {
    let ring = |l: &LineString<f64>| {
        let pts: Vec<(f64, f64)> = l.0.iter().map(|c| (c.x, c.y)).collect();
        let clipped = clip_ring(&pts, r);
        (clipped.len() >= 3).then(|| LineString::from(clipped))
    };
    let exterior = ring(p.exterior())?;
    Some(Polygon::new(
        exterior,
        p.interiors().iter().filter_map(ring).collect(),
    ))
}

/// Add the context to a style: a `context` source on the same archive
/// (`url`) whose `maxzoom` is the window's, so that MapLibre overzooms its
/// tiles past it and the country shows at every zoom, and its layers right
/// under the first clearmap layer: the land (the country lighter than its
/// neighbours, the sea the background) unless a basemap draws it, and the
/// borders and coasts. The sea turns a quiet blue.
pub fn add_to_style(style: &mut serde_json::Value, w: &Window, url: &str, basemap: bool) {
    use serde_json::json;
    style["sources"]["context"] = json!({
        "type": "vector",
        "url": url,
        "maxzoom": w.max_zoom,
    });
    let mut layers = Vec::new();
    if !basemap {
        layers.push(json!({
            "id": "context-land",
            "type": "fill",
            "source": "context",
            "source-layer": "context",
            "metadata": {"clearmap:legend": {
                "section": "Country and neighbours",
                "property": "role",
                "symbol": "fill",
                "labels": {"country": "The country", "": "Neighbouring countries"}
            }},
            "paint": {"fill-color": ["match", ["get", "role"], "country", "#FBFBF8", "#E4E6E1"]}
        }));
    }
    layers.push(json!({
        "id": "context-borders",
        "type": "line",
        "source": "context",
        "source-layer": "context",
        "layout": {"line-join": "round"},
        "paint": {
            "line-color": ["match", ["get", "role"], "country", "#8A8F86", "#B3B7AF"],
            "line-width": ["interpolate", ["linear"], ["zoom"], 0, 0.5, 10, 1.5]
        }
    }));
    let Some(all) = style["layers"].as_array_mut() else {
        return;
    };
    if !basemap {
        if let Some(bg) = all.iter_mut().find(|l| l["type"] == "background") {
            bg["paint"]["background-color"] = json!("#DCE6EC");
        }
    }
    let at = all
        .iter()
        .position(|l| l["source"] == "clearmap")
        .unwrap_or(all.len());
    all.splice(at..at, layers);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bosnia_with_its_neighbours_at_z10() {
        let w = Window::of(Some("BIH")).unwrap().expect("a window");
        assert_eq!(w.max_zoom, CONTEXT_MAX_ZOOM);
        assert!(w.bounds[0] > 13.0 && w.bounds[2] < 22.0, "{:?}", w.bounds);
        let parts = parts("BIH", &w).unwrap();
        assert!(parts[0].own && parts[0].iso3.as_deref() == Some("BIH"));
        let others: Vec<_> = parts[1..]
            .iter()
            .filter_map(|p| p.iso3.as_deref())
            .collect();
        for n in ["HRV", "SRB", "MNE"] {
            assert!(others.contains(&n), "{others:?}");
        }
        assert!(parts[1..].iter().all(|p| !p.own));
        use geo::BoundingRect;
        for p in &parts {
            let b = p.shape.bounding_rect().unwrap();
            assert!(b.min().x >= w.bounds[0] - 1e-9 && b.max().x <= w.bounds[2] + 1e-9);
        }
    }

    #[test]
    fn overseas_territories_are_left_out_of_the_window() {
        let nld = Window::of(Some("NLD")).unwrap().unwrap();
        assert!(
            nld.bounds[0] > 0.0 && nld.bounds[2] < 10.0,
            "{:?}",
            nld.bounds
        );
        assert_eq!(nld.max_zoom, CONTEXT_MAX_ZOOM);
        let fra = Window::of(Some("FRA")).unwrap().unwrap();
        assert!(
            fra.bounds[0] > -15.0 && fra.bounds[1] > 35.0,
            "{:?}",
            fra.bounds
        );
        // Croatia keeps its islands.
        let hrv = Window::of(Some("HRV")).unwrap().unwrap();
        assert!(hrv.bounds[1] < 41.5, "{:?}", hrv.bounds);
    }

    #[test]
    fn large_countries_get_fewer_zooms_and_codes_without_boundary_none() {
        let rus = Window::of(Some("RUS")).unwrap().unwrap();
        assert!(rus.max_zoom < 8, "{}", rus.max_zoom);
        assert!(tiles_at(&rus.bounds, rus.max_zoom) <= TILE_BUDGET);
        // Fiji's window runs past 180°, around its islands on both sides.
        let fji = Window::of(Some("FJI")).unwrap().unwrap();
        assert!(
            fji.bounds[0] > 170.0 && fji.bounds[2] > 180.0 && fji.bounds[2] < 190.0,
            "{:?}",
            fji.bounds
        );
        assert_eq!(fji.max_zoom, CONTEXT_MAX_ZOOM);
        let parts = parts("FJI", &fji).unwrap();
        use geo::BoundingRect;
        let own = parts[0].shape.bounding_rect().unwrap();
        assert!(own.min().x > 170.0 && own.max().x > 180.0, "{own:?}");
        assert_eq!(Window::of(Some("XEX")).unwrap(), None);
        assert_eq!(Window::of(None).unwrap(), None);
        assert_eq!(tiles_at(&[-180.0, -85.0, 180.0, 85.0], 1), 4.0);
    }
}
