//! A spatial table's R-tree index (`gpkg_rtree_index`), packed whole: the
//! nodes of SQLite's R*Tree module computed here and written into its three
//! shadow tables, `_node`, `_parent` and `_rowid` (the layout of SQLite's
//! `ext/rtree/rtree.c`), rather than one `INSERT` a feature.
//!
//! Filled row by row, the module chose a leaf and split nodes for each of
//! the 250k features of the 100k-hazard benchmark: a third of the
//! GeoPackage's time. Packed by Sort-Tile-Recursive (Leutenegger et al.,
//! 1997) the index is built in a sort and written in a sequence of appends,
//! its nodes full.
//! GDAL's GPKG driver bulk-loads its R-trees into the same tables since
//! version 3.7. The index answers every query as the inserted one does:
//! each feature is in one leaf, under a box that holds its envelope, and a
//! node's box holds its children's; SQLite's `rtreecheck()` checks exactly
//! that, and the tests run it.
//!
//! Cells hold `f32`s rounded as the module rounds them (a minimum down, a
//! maximum up, so that a cell never excludes what it indexes): the leaves
//! hold the values row-by-row inserts would have stored.

/// The envelope of a geometry: min x, max x, min y, max y.
pub(super) type Envelope = [f64; 4];

/// Bytes of a cell: the rowid or child node number (i64) and four f32s.
const CELL: usize = 8 + 4 * 4;

/// The most cells a node has (`RTREE_MAXCELLS` of rtree.c).
const MAX_CELLS: usize = 51;

/// SQLite's smallest page size.
const MIN_PAGE: usize = 512;

/// The size of a node's blob for a database of `page_size` bytes, as the
/// module computes it when it creates the table: the page less 64 bytes, at
/// most what [`MAX_CELLS`] cells take. A page holds 18 cells at least.
fn node_size(page_size: usize) -> usize {
    page_size
        .max(MIN_PAGE)
        .saturating_sub(64)
        .min(4 + CELL * MAX_CELLS)
}

/// A cell's box, as stored: min x, max x, min y, max y.
type Cell = [f32; 4];

/// A row of one of the three shadow tables, as [`pack`] hands them over.
pub(super) enum Row<'a> {
    /// `_node`: node number and blob; the root is node 1.
    Node(i64, &'a [u8]),
    /// `_parent`: a node's number and its parent's (every node but the root).
    Parent(i64, i64),
    /// `_rowid`: a feature id and the leaf that holds it.
    Rowid(i64, i64),
}

/// Pack `boxes` (feature id ≥ 1, envelope) into the nodes of a tree for a
/// database of `page_size` bytes (its nodes [`node_size`] bytes) and hand
/// its rows to `write`: the nodes from the root down, then the parents by
/// node number, then the rowids by feature id (each table filled in key
/// order, appends to its B-tree). Nothing is written when there is nothing
/// to index.
///
/// The boxes' list becomes the leaves' cells in place and the nodes are
/// written one at a time, so packing takes little more memory than the
/// list (a 4-byte leaf number per feature, and the upper levels, a
/// fiftieth of the leaves): it runs beside the tiles, where the build's
/// memory is at its highest.
pub(super) fn pack<E>(
    boxes: Vec<(i64, Envelope)>,
    page_size: usize,
    mut write: impl FnMut(Row) -> Result<(), E>,
) -> Result<(), E> {
    if boxes.is_empty() {
        return Ok(());
    }
    let node_size = node_size(page_size);
    let capacity = (node_size - 4) / CELL;
    // Each level's cells in STR order, its nodes `capacity` of them at a
    // time: the ids of the leaves' cells are feature ids, those of an upper
    // level's the index of a node of the level below.
    let leaves: Vec<(i64, Cell)> = boxes
        .into_iter()
        .map(|(fid, e)| (fid, [below(e[0]), above(e[1]), below(e[2]), above(e[3])]))
        .collect();
    let mut levels: Vec<Vec<(i64, Cell)>> = vec![leaves];
    loop {
        let Some(level) = levels.last_mut() else {
            return Ok(());
        };
        sort_str(level, capacity);
        if level.len() <= capacity {
            break;
        }
        let upper: Vec<(i64, Cell)> = level
            .chunks(capacity)
            .enumerate()
            .map(|(i, node)| (i as i64, union(node)))
            .collect();
        levels.push(upper);
    }
    // Number the nodes from the root down, level by level: the root is 1.
    let nodes_of = |level: &Vec<(i64, Cell)>| level.len().div_ceil(capacity) as i64;
    let mut first: Vec<i64> = vec![0; levels.len()];
    let mut next = 1i64;
    for (depth, level) in levels.iter().enumerate().rev() {
        first[depth] = next;
        next += nodes_of(level);
    }
    let height = levels.len();
    let mut parents: Vec<(i64, i64)> = Vec::new();
    let max_fid = levels[0].iter().map(|c| c.0).max().unwrap_or(0);
    // The leaf of each feature, by feature id (node numbers fit 32 bits:
    // a node holds 51 cells).
    let mut leaf_of: Vec<u32> = vec![0; usize::try_from(max_fid).unwrap_or(0) + 1];
    let mut blob = vec![0u8; node_size];
    for depth in (0..height).rev() {
        for (i, node) in levels[depth].chunks(capacity).enumerate() {
            let nodeno = first[depth] + i as i64;
            blob.fill(0);
            // The root's first two bytes are the tree's depth (leaves are 0).
            if depth + 1 == height {
                blob[..2].copy_from_slice(&(depth as u16).to_be_bytes());
            }
            blob[2..4].copy_from_slice(&(node.len() as u16).to_be_bytes());
            for (k, &(id, cell)) in node.iter().enumerate() {
                let at = 4 + k * CELL;
                let id = if depth == 0 {
                    if let Some(slot) = usize::try_from(id).ok().and_then(|f| leaf_of.get_mut(f)) {
                        *slot = nodeno as u32;
                    }
                    id
                } else {
                    let child = first[depth - 1] + id;
                    parents.push((child, nodeno));
                    child
                };
                blob[at..at + 8].copy_from_slice(&id.to_be_bytes());
                for (j, v) in cell.iter().enumerate() {
                    blob[at + 8 + 4 * j..at + 12 + 4 * j].copy_from_slice(&v.to_be_bytes());
                }
            }
            write(Row::Node(nodeno, &blob))?;
        }
    }
    drop(levels);
    parents.sort_unstable();
    for (node, parent) in parents {
        write(Row::Parent(node, parent))?;
    }
    for (fid, &leaf) in leaf_of.iter().enumerate() {
        if leaf != 0 {
            write(Row::Rowid(fid as i64, i64::from(leaf)))?;
        }
    }
    Ok(())
}

/// Sort-Tile-Recursive order: `cells` in vertical slices by the boxes'
/// centres in x, each slice by their centres in y; the nodes are then
/// `capacity` consecutive cells (a slice holds a whole number of nodes).
/// Ties go by id, so the order depends on the boxes alone.
fn sort_str(cells: &mut [(i64, Cell)], capacity: usize) {
    let centre = |c: &Cell, axis: usize| f64::from(c[2 * axis]) + f64::from(c[2 * axis + 1]);
    let nodes = cells.len().div_ceil(capacity);
    let slices = (nodes as f64).sqrt().ceil() as usize;
    let per_slice = slices.max(1) * capacity;
    cells.sort_unstable_by(|a, b| {
        centre(&a.1, 0)
            .total_cmp(&centre(&b.1, 0))
            .then(a.0.cmp(&b.0))
    });
    for slice in cells.chunks_mut(per_slice) {
        slice.sort_unstable_by(|a, b| {
            centre(&a.1, 1)
                .total_cmp(&centre(&b.1, 1))
                .then(a.0.cmp(&b.0))
        });
    }
}

/// The box holding every cell of `node` (f32 minima and maxima are exact).
fn union(node: &[(i64, Cell)]) -> Cell {
    node.iter().fold(
        [
            f32::INFINITY,
            f32::NEG_INFINITY,
            f32::INFINITY,
            f32::NEG_INFINITY,
        ],
        |u, (_, c)| {
            [
                u[0].min(c[0]),
                u[1].max(c[1]),
                u[2].min(c[2]),
                u[3].max(c[3]),
            ]
        },
    )
}

/// A box's minimum as the module stores it (`rtreeValueDown` of rtree.c):
/// the nearest f32, or when that is above `v`, the nearest f32 to `v`
/// moved down by one part in 2²³, which is below it.
fn below(v: f64) -> f32 {
    let f = v as f32;
    if f64::from(f) > v {
        (v * if v < 0.0 { AWAY } else { TOWARDS }) as f32
    } else {
        f
    }
}

/// A box's maximum as the module stores it (`rtreeValueUp`).
fn above(v: f64) -> f32 {
    let f = v as f32;
    if f64::from(f) < v {
        (v * if v < 0.0 { TOWARDS } else { AWAY }) as f32
    } else {
        f
    }
}

/// rtree.c's `RNDTOWARDS` and `RNDAWAY`: one part in 2²³ towards zero and
/// away from it.
const TOWARDS: f64 = 1.0 - 1.0 / 8_388_608.0;
const AWAY: f64 = 1.0 + 1.0 / 8_388_608.0;

#[cfg(test)]
mod tests {
    use super::*;

    fn cells_of(blob: &[u8]) -> Vec<(i64, Cell)> {
        let n = u16::from_be_bytes([blob[2], blob[3]]) as usize;
        (0..n)
            .map(|k| {
                let at = 4 + k * CELL;
                let id = i64::from_be_bytes(blob[at..at + 8].try_into().unwrap());
                let f = |j: usize| {
                    f32::from_be_bytes(blob[at + 8 + 4 * j..at + 12 + 4 * j].try_into().unwrap())
                };
                (id, [f(0), f(1), f(2), f(3)])
            })
            .collect()
    }

    /// The rows [`pack`] writes, by table.
    #[derive(Default)]
    struct Packed {
        nodes: Vec<(i64, Vec<u8>)>,
        parents: Vec<(i64, i64)>,
        rowids: Vec<(i64, i64)>,
    }

    fn packed(boxes: Vec<(i64, Envelope)>) -> Packed {
        let mut p = Packed::default();
        pack::<()>(boxes, 4096, |row| {
            match row {
                Row::Node(n, b) => p.nodes.push((n, b.to_vec())),
                Row::Parent(n, up) => p.parents.push((n, up)),
                Row::Rowid(f, n) => p.rowids.push((f, n)),
            }
            Ok(())
        })
        .unwrap();
        p
    }

    #[test]
    fn nothing_to_index_writes_nothing() {
        let p = packed(vec![]);
        assert!(p.nodes.is_empty() && p.parents.is_empty() && p.rowids.is_empty());
    }

    fn grid(n: i64) -> Vec<(i64, Envelope)> {
        (1..=n)
            .map(|fid| {
                let x = (fid * 7919 % 1000) as f64 * 0.01 + 100.1;
                let y = (fid * 104_729 % 997) as f64 * 0.01 + 8.3;
                (fid, [x, x + 0.003, y, y + 0.002])
            })
            .collect()
    }

    #[test]
    fn node_size_is_the_modules() {
        assert_eq!(node_size(4096), 1228);
        assert_eq!(node_size(1024), 960);
        assert_eq!(node_size(512), 448);
    }

    #[test]
    fn every_feature_is_in_one_leaf_under_boxes_that_hold_it() {
        for n in [1, 51, 52, 2_601, 2_602, 10_000] {
            let boxes = grid(n);
            let p = packed(boxes.clone());
            let by_node: std::collections::HashMap<i64, Vec<(i64, Cell)>> = p
                .nodes
                .iter()
                .map(|(no, blob)| (*no, cells_of(blob)))
                .collect();
            assert_eq!(p.rowids.len(), boxes.len(), "n = {n}");
            assert_eq!(p.parents.len(), p.nodes.len() - 1);
            // Each table's rows in key order.
            assert!(p.parents.windows(2).all(|w| w[0].0 < w[1].0));
            assert!(p.rowids.windows(2).all(|w| w[0].0 < w[1].0));
            assert!(p.nodes.iter().all(|(_, b)| b.len() == 1228));
            let parent: std::collections::HashMap<i64, i64> = p.parents.iter().copied().collect();
            for &(fid, e) in &boxes {
                let leaf = p.rowids.binary_search_by_key(&fid, |r| r.0).unwrap();
                let mut node = p.rowids[leaf].1;
                let mut id = fid;
                let mut want = [e[0], e[1], e[2], e[3]];
                // Up to the root, each cell holds what it stands for.
                loop {
                    let cell = by_node[&node].iter().find(|c| c.0 == id).unwrap().1;
                    assert!(f64::from(cell[0]) <= want[0] && f64::from(cell[1]) >= want[1]);
                    assert!(f64::from(cell[2]) <= want[2] && f64::from(cell[3]) >= want[3]);
                    want = cell.map(f64::from);
                    match parent.get(&node) {
                        Some(&up) => (id, node) = (node, up),
                        None => break,
                    }
                }
                assert_eq!(node, 1, "the root is node 1");
            }
            assert!(by_node
                .values()
                .all(|c| !c.is_empty() && c.len() <= MAX_CELLS));
        }
    }
}
