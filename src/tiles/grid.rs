//! The tile grid: Web Mercator in unit coordinates (x right, y down, the world
//! is [0,1]²), tile pixels, and the PMTiles v3 TileID (tiles of all lower zooms
//! counted first, then the position on the zoom's Hilbert curve).
//!
//! Web Mercator and tile integers live only here and in the tiler; the rest of
//! clearmap speaks WGS84 lon/lat.

use std::f64::consts::PI;

/// Latitude limit of Web Mercator, degrees.
pub const MAX_LAT: f64 = 85.051_128_779_806_59;

/// Lon/lat degrees → Web Mercator unit coordinates (y down).
pub fn to_unit(lon: f64, lat: f64) -> (f64, f64) {
    let lat = lat.clamp(-MAX_LAT, MAX_LAT).to_radians();
    let x = (lon + 180.0) / 360.0;
    let y = (1.0 - (lat.tan() + 1.0 / lat.cos()).ln() / PI) / 2.0;
    (x, y)
}

/// Web Mercator unit coordinates → lon/lat degrees.
pub fn from_unit(x: f64, y: f64) -> (f64, f64) {
    let lon = x * 360.0 - 180.0;
    let lat = (PI * (1.0 - 2.0 * y)).sinh().atan().to_degrees();
    (lon, lat)
}

/// Tiles per side of the world square at zoom `z`, 2^z, as the float the
/// projections multiply by.
pub(crate) fn world_size(z: u8) -> f64 {
    // Exact: a power of two below 2^64 is a float without rounding.
    #[allow(clippy::cast_precision_loss)]
    let n = (1u64 << z) as f64;
    n
}

/// The column (or row) of the tile holding world-square coordinate `v`,
/// already scaled to tiles (`v` × 2^z), clamped to 0..=`max`: ⌊v⌋.
pub(crate) fn tile_index(v: f64, max: u32) -> u32 {
    // Saturating (a coordinate left of the world, or NaN, gives 0), then
    // clamped to the zoom's last tile.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let i = v.floor().max(0.0) as u32;
    i.min(max)
}

/// A tile-local coordinate (tile units, y down) rounded to the integer grid
/// the MVT geometry is written on.
pub(crate) fn tile_unit(v: f64) -> i32 {
    // The tiler rounds only coordinates within the buffered tile (a few
    // thousand units); `as` saturates beyond i32, and so does round_i32.
    crate::geometry::round_i32(v)
}

/// One tile's own coordinates: world-square coordinates to tile units of
/// tile z/x/y at `extent` units per side (x right, y down, 0..extent inside
/// the tile), and back to lon/lat.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TileFrame {
    /// Tiles per side of the zoom ([`world_size`]).
    n: f64,
    x: f64,
    y: f64,
    extent: f64,
}

impl TileFrame {
    pub fn new(z: u8, x: u32, y: u32, extent: u32) -> Self {
        TileFrame {
            n: world_size(z),
            x: f64::from(x),
            y: f64::from(y),
            extent: f64::from(extent),
        }
    }

    /// World-square coordinates → tile units (not rounded).
    pub fn to_tile(self, (ux, uy): (f64, f64)) -> (f64, f64) {
        (
            (ux * self.n - self.x) * self.extent,
            (uy * self.n - self.y) * self.extent,
        )
    }

    /// Tile units → lon/lat degrees.
    pub fn to_lonlat(self, px: f64, py: f64) -> (f64, f64) {
        from_unit(
            (self.x + px / self.extent) / self.n,
            (self.y + py / self.extent) / self.n,
        )
    }
}

/// Tile pixel (at `extent` units per tile) → lon/lat degrees.
pub fn pixel_to_lonlat(z: u8, x: u32, y: u32, extent: u32, px: f64, py: f64) -> (f64, f64) {
    TileFrame::new(z, x, y, extent).to_lonlat(px, py)
}

/// The zoom at which a span of the world square (a fraction of its side)
/// fits in about one tile: ⌊−log2 span⌋, at least 0.
pub(crate) fn zoom_of_span(span: f64) -> u8 {
    // Saturating: a span under 2^-255 of the world gives 255; callers clamp
    // to their zooms.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let z = (-span.log2()).floor().max(0.0) as u8;
    z
}

fn rotate(s: u64, x: &mut u64, y: &mut u64, rx: u64, ry: u64) {
    if ry == 0 {
        if rx == 1 {
            *x = s - 1 - *x;
            *y = s - 1 - *y;
        }
        std::mem::swap(x, y);
    }
}

/// Number of tiles in zooms 0..z, i.e. the first TileID of zoom z.
pub fn zoom_base(z: u8) -> u64 {
    ((1u64 << (2 * u32::from(z))) - 1) / 3
}

/// PMTiles v3 TileID of z/x/y.
pub fn tile_id(z: u8, x: u32, y: u32) -> u64 {
    let (mut tx, mut ty) = (u64::from(x), u64::from(y));
    let mut d = 0u64;
    let n = 1u64 << z;
    let mut s = n / 2;
    while s > 0 {
        let rx = u64::from(tx & s > 0);
        let ry = u64::from(ty & s > 0);
        d += s * s * ((3 * rx) ^ ry);
        // Whole-grid reflection (as in the classic xy2d): the lower bits keep
        // their meaning, and the coordinates stay non-negative.
        rotate(n, &mut tx, &mut ty, rx, ry);
        s /= 2;
    }
    zoom_base(z) + d
}

/// The z/x/y of a PMTiles TileID.
pub fn tile_coord(id: u64) -> (u8, u32, u32) {
    let mut z = 0u8;
    while zoom_base(z + 1) <= id {
        z += 1;
    }
    let mut t = id - zoom_base(z);
    let n = 1u64 << z;
    let (mut x, mut y) = (0u64, 0u64);
    let mut s = 1u64;
    while s < n {
        let rx = 1 & (t / 2);
        let ry = 1 & (t ^ rx);
        rotate(s, &mut x, &mut y, rx, ry);
        x += s * rx;
        y += s * ry;
        t /= 4;
        s *= 2;
    }
    (z, grid_u32(x), grid_u32(y))
}

/// A column or row of the TileID walk back to u32: below 2^z, and a u64
/// TileID has z ≤ 31.
#[allow(clippy::cast_possible_truncation)]
fn grid_u32(v: u64) -> u32 {
    v as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tile_id_vectors_of_the_pmtiles_spec() {
        for (z, x, y, id) in [
            (0, 0, 0, 0),
            (1, 0, 0, 1),
            (1, 0, 1, 2),
            (1, 1, 1, 3),
            (1, 1, 0, 4),
            (2, 0, 0, 5),
            (12, 3423, 1763, 19_078_479),
        ] {
            assert_eq!(tile_id(z, x, y), id, "{z}/{x}/{y}");
            assert_eq!(tile_coord(id), (z, x, y));
        }
    }

    #[test]
    fn tile_id_agrees_with_the_pmtiles_crate() {
        for z in 0..=8u8 {
            let n = 1u32 << z;
            for (x, y) in [(0, 0), (n - 1, 0), (n / 2, n - 1), (n / 3, n / 5)] {
                let c = pmtiles::TileCoord::new(z, x, y).unwrap();
                assert_eq!(tile_id(z, x, y), pmtiles::TileId::from(c).value());
            }
        }
    }

    #[test]
    fn named_conversions() {
        assert_eq!(world_size(0), 1.0);
        assert_eq!(world_size(24), 16_777_216.0);
        assert_eq!(tile_index(-0.5, 7), 0);
        assert_eq!(tile_index(3.99, 7), 3);
        assert_eq!(tile_index(9.0, 7), 7);
        assert_eq!(tile_index(f64::NAN, 7), 0);
        assert_eq!(
            (tile_unit(2.5), tile_unit(-2.5), tile_unit(1e12)),
            (3, -3, i32::MAX)
        );
        assert_eq!(zoom_of_span(1.0), 0);
        assert_eq!(zoom_of_span(0.3), 1);
        assert_eq!(zoom_of_span(4.0), 0);
        // A tile's corners in its own units, and back.
        let f = TileFrame::new(1, 1, 0, 4096);
        assert_eq!(f.to_tile((0.5, 0.0)), (0.0, 0.0));
        assert_eq!(f.to_tile((1.0, 0.5)), (4096.0, 4096.0));
        let (lon, lat) = f.to_lonlat(4096.0, 4096.0);
        assert!((lon - 180.0).abs() < 1e-12 && lat.abs() < 1e-12);
        assert_eq!(
            grid_u32(tile_coord(tile_id(20, 1 << 19, 5)).1.into()),
            1 << 19
        );
    }

    #[test]
    fn mercator_roundtrip() {
        let (x, y) = to_unit(105.25, 12.75);
        let (lon, lat) = from_unit(x, y);
        assert!((lon - 105.25).abs() < 1e-12 && (lat - 12.75).abs() < 1e-12);
        assert_eq!(to_unit(-180.0, 0.0), (0.0, 0.5));
    }
}
