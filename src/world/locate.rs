//! Where a point is with respect to one country: inside it, or how many
//! kilometres from its border (or coast). The country's edges go into one
//! bulk-loaded R-tree; inside is the even-odd count of the edges a ray to
//! the east crosses, distance the nearest edges measured on a local
//! equirectangular plane at the point (within a fraction of a percent of
//! the geodesic distance over the few hundred km that matter here).

use super::Country;
use rstar::primitives::Line;
use rstar::{RTree, AABB};

/// Kilometres per degree of latitude, and of longitude at the equator (WGS84 means).
const KM_PER_DEG_LAT: f64 = 110.574;
const KM_PER_DEG_LON: f64 = 111.320;

/// One country's edges, indexed. Longitudes are scaled by the cosine of the
/// country's middle latitude so that the R-tree's nearest edges are nearly
/// the nearest on the ground.
pub struct Boundary {
    tree: RTree<Line<[f64; 2]>>,
    kx: f64,
    max_x: f64,
}

impl Boundary {
    pub fn new(country: &Country) -> Self {
        let mid = (country.bbox.min().y + country.bbox.max().y) / 2.0;
        let kx = mid.to_radians().cos().max(0.05);
        let mut edges = Vec::new();
        for p in &country.shape {
            for ring in std::iter::once(p.exterior()).chain(p.interiors()) {
                for l in ring.lines() {
                    edges.push(Line::new(
                        [l.start.x * kx, l.start.y],
                        [l.end.x * kx, l.end.y],
                    ));
                }
            }
        }
        Boundary {
            tree: RTree::bulk_load(edges),
            kx,
            max_x: country.bbox.max().x * kx,
        }
    }

    /// Whether (lon, lat) is inside the country (its holes excluded).
    pub fn contains(&self, lon: f64, lat: f64) -> bool {
        let (px, py) = (lon * self.kx, lat);
        if px > self.max_x {
            return false;
        }
        let ray = AABB::from_corners([px, py], [self.max_x, py]);
        let crossings = self
            .tree
            .locate_in_envelope_intersecting(&ray)
            .filter(|e| {
                let (a, b) = (e.from, e.to);
                if (a[1] > py) == (b[1] > py) {
                    return false;
                }
                let x = a[0] + (py - a[1]) / (b[1] - a[1]) * (b[0] - a[0]);
                x > px
            })
            .count();
        crossings % 2 == 1
    }

    /// Kilometres from (lon, lat) to the nearest edge of the country (its
    /// border or coast), whether the point is inside or out.
    pub fn distance_km(&self, lon: f64, lat: f64) -> f64 {
        let coslat = lat.to_radians().cos();
        let to_km = |q: &[f64; 2]| {
            (
                (q[0] / self.kx - lon) * coslat * KM_PER_DEG_LON,
                (q[1] - lat) * KM_PER_DEG_LAT,
            )
        };
        self.tree
            .nearest_neighbor_iter(&[lon * self.kx, lat])
            .take(8)
            .map(|e| segment_distance(to_km(&e.from), to_km(&e.to)))
            .fold(f64::INFINITY, f64::min)
    }

    /// Kilometres outside the country: 0 inside, the distance to the border
    /// otherwise.
    pub fn outside_km(&self, lon: f64, lat: f64) -> f64 {
        if self.contains(lon, lat) {
            0.0
        } else {
            self.distance_km(lon, lat)
        }
    }
}

/// Distance from the origin to the segment a–b (plane coordinates).
fn segment_distance(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let len2 = dx * dx + dy * dy;
    let t = if len2 > 0.0 {
        (-(a.0 * dx + a.1 * dy) / len2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    (a.0 + t * dx).hypot(a.1 + t * dy)
}

#[cfg(test)]
mod tests {
    use super::super::{country, Scale};
    use super::*;

    fn boundary(iso3: &str) -> Boundary {
        Boundary::new(country(iso3, Scale::Checks).unwrap().unwrap())
    }

    #[test]
    fn cities_are_in_their_countries() {
        let bih = boundary("BIH");
        assert!(bih.contains(18.41, 43.86)); // Sarajevo
        assert!(!bih.contains(15.98, 45.81)); // Zagreb
        let d = bih.distance_km(15.98, 45.81);
        assert!((55.0..80.0).contains(&d), "{d}");
        let nld = boundary("NLD");
        assert!(nld.contains(4.90, 52.37)); // Amsterdam
                                            // Amsterdam's data read in the zone west of it lands in the Gulf of Guinea.
        assert!(nld.outside_km(1.5, 0.5) > 4000.0);
        // Lesotho is a hole in South Africa.
        let zaf = boundary("ZAF");
        assert!(zaf.contains(28.19, -25.75)); // Pretoria
        assert!(!zaf.contains(27.48, -29.31)); // Maseru
        assert!(boundary("LSO").contains(27.48, -29.31));
    }

    #[test]
    fn the_coast_is_a_border_too() {
        let hrv = boundary("HRV");
        // 10 km off Split, in the Adriatic.
        let d = hrv.outside_km(16.44, 43.42);
        assert!(d > 0.0 && d < 15.0, "{d}");
        assert!((segment_distance((3.0, 4.0), (3.0, -4.0)) - 3.0).abs() < 1e-12);
        assert!((segment_distance((3.0, 4.0), (3.0, 4.0)) - 5.0).abs() < 1e-12);
    }
}
