//! The tiler's features on disk: every prepared polygon's vertices in Web
//! Mercator unit coordinates and every feature's attributes, in an unnamed
//! temporary file read through a memory map ([`Vertices`]), as tippecanoe
//! keeps its geometries.
//!
//! Held on the heap, they were the largest part of the tiler's memory
//! (16 bytes a vertex: 82 MB at 100k records, 0.8 GB at a million hazards
//! and a million and a half releases; the attributes a third of that),
//! beside the accounting's own land, every zoom long. In the file they are page cache, which the system can
//! write out and drop; the process maps only the pages it reads, and after
//! every few blocks read it unmaps them ([`Vertices::get`], [`Window`]), so
//! that what stays mapped is bounded however many zooms read the whole
//! file. The tiler writes the features in the order its tiles read them
//! (a tile lists its features in that order), so that a tile
//! of the low zooms, which draws most features, reads the file from start
//! to end rather than pages all over it.
//!
//! Values go through the file as their bytes: a vertex read is bit for bit
//! the vertex written, and the tiles are those of vertices on the heap.

use std::fs::File;
use std::io::{self, Write};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A vertex: x, y in unit coordinates.
pub(super) type Vertex = [f64; 2];

/// The store's unit: 16 bytes, a vertex or a piece of a run of bytes. Every
/// record starts on a cell, so that vertices read from the map are aligned.
type Cell = [u64; 2];

/// Bytes of a [`Cell`].
const CELL: usize = std::mem::size_of::<Cell>();

/// Cells gathered before they are written and mapped (8 MB).
const FLUSH: usize = 1 << 19;

/// How much of the file stays mapped: blocks of [`NEAR`] bytes read into
/// ([`Vertices::get`]) between two unmappings of the pages read. A read in
/// the block the thread's last read ended in is not counted: a tile reads
/// its features in the order of the file, a few hundred bytes each, and
/// would otherwise count each block thousands of times. A page unmapped and
/// read again costs a fault: the narrower the window, the more faults.
#[derive(Debug, Clone, Copy)]
pub(super) enum Window {
    /// 32 MB: for the junctions, which read each polygon's own vertices in
    /// the order of the file, where the build's memory is at its highest.
    Narrow,
    /// 128 MB: for the tiles, which read the file zoom after zoom, the
    /// high zooms a few features a tile from all over it. At 100k records
    /// (a file of ~100 MB), 32 MB for the tiles too took 62k more faults
    /// (584k in all for `clearmap tiles`) and a second more of system time;
    /// 128 MB takes ~20k more than 256 MB did (~500k for `clearmap build`),
    /// within the time's noise. At a million, 256 MB mapped on top of the
    /// low zooms' points made the build's peak (2,866 MiB of RSS, 232 MiB
    /// of it the file); with 128 MB the peak is ingest's again (2,778 MiB).
    Wide,
}

impl Window {
    fn blocks(self) -> usize {
        match self {
            Window::Narrow => 16,
            Window::Wide => 64,
        }
    }
}

/// The most a fault maps at once, as blocks to count reads in. Linux maps
/// the pages around a faulted one (64 KB of them by default), and the
/// page cache of ext4 and xfs holds files in folios of up to 2 MB, mapped
/// whole: measured at 100k records, counting 64 KB blocks kept 75 MB
/// mapped where at most 32 MB were meant; counting 2 MB blocks, ~10 MB.
const NEAR: usize = 2 << 20;

thread_local! {
    /// Where the thread's last read of a map ended (a byte offset).
    static LAST_END: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Vertices and runs of bytes appended to a temporary file
/// ([`Vertices::push`], [`Vertices::push_bytes`]) and read back by where
/// they start ([`Vertices::get`], [`Vertices::bytes`]).
pub(super) struct Vertices {
    /// The file; `None` keeps everything in `pending` (tests).
    file: Option<File>,
    /// The file's first `mapped` cells.
    map: Option<memmap2::Mmap>,
    mapped: usize,
    /// The cells after `mapped`, not yet written.
    pending: Vec<Cell>,
    /// Blocks read into since the pages were last unmapped.
    reads: AtomicUsize,
    window: Window,
}

impl Vertices {
    /// An empty store in an unnamed file of `dir`, gone when dropped,
    /// keeping `window` of it mapped.
    pub(super) fn create_in(dir: &Path, window: Window) -> io::Result<Self> {
        Ok(Vertices {
            file: Some(tempfile::tempfile_in(dir)?),
            map: None,
            mapped: 0,
            pending: Vec::new(),
            reads: AtomicUsize::new(0),
            window,
        })
    }

    /// A store that keeps its cells on the heap.
    #[cfg(test)]
    pub(super) fn in_memory() -> Self {
        Vertices {
            file: None,
            map: None,
            mapped: 0,
            pending: Vec::new(),
            reads: AtomicUsize::new(0),
            window: Window::Narrow,
        }
    }

    /// Cells stored.
    pub(super) fn len(&self) -> usize {
        self.mapped + self.pending.len()
    }

    /// Append `verts`; where they start.
    pub(super) fn push(&mut self, verts: &[Vertex]) -> io::Result<u64> {
        let at = self.len() as u64;
        self.pending
            .extend(verts.iter().map(|v| v.map(f64::to_bits)));
        self.flush_full()?;
        Ok(at)
    }

    /// Append `bytes`, from the start of a cell; where they start.
    pub(super) fn push_bytes(&mut self, bytes: &[u8]) -> io::Result<u64> {
        let at = self.len() as u64;
        let start = self.pending.len();
        self.pending
            .resize(start + bytes.len().div_ceil(CELL), [0, 0]);
        let cells: &mut [u8] = bytemuck::cast_slice_mut(&mut self.pending[start..]);
        cells[..bytes.len()].copy_from_slice(bytes);
        self.flush_full()?;
        Ok(at)
    }

    /// [`Vertices::flush`] once [`FLUSH`] cells are pending.
    fn flush_full(&mut self) -> io::Result<()> {
        if self.pending.len() >= FLUSH {
            self.flush()?;
        }
        Ok(())
    }

    /// Write what is pending and map the whole file.
    pub(super) fn flush(&mut self) -> io::Result<()> {
        let Some(file) = &mut self.file else {
            return Ok(());
        };
        if self.pending.is_empty() {
            return Ok(());
        }
        file.write_all(bytemuck::cast_slice(&self.pending))?;
        // Unmapped before the file is mapped again, whole.
        self.map = None;
        // SAFETY: the file is this store's own, unnamed: no other process
        // opens it, and this one only appends to it (above, through `&mut
        // self`, while no slice of the old map is borrowed). A map of it
        // changes under no reader.
        #[allow(unsafe_code)]
        let map = unsafe { memmap2::Mmap::map(&*file)? };
        self.mapped += self.pending.len();
        self.pending.clear();
        if map.len() != self.mapped * CELL {
            return Err(io::Error::other(format!(
                "the tiles' vertex file holds {} bytes where {} were written",
                map.len(),
                self.mapped * CELL
            )));
        }
        self.map = Some(map);
        Ok(())
    }

    /// The bytes of `n` cells from cell `at`.
    fn cells(&self, at: usize, n: usize) -> Option<&[u8]> {
        if at >= self.mapped {
            let cells = self.pending.get(at - self.mapped..at - self.mapped + n)?;
            return Some(bytemuck::cast_slice(cells));
        }
        self.count_read(at * CELL, (at + n) * CELL);
        self.map.as_deref()?.get(at * CELL..(at + n) * CELL)
    }

    /// The `n` vertices from `at`: what [`Vertices::push`] was given. Empty
    /// past the end (no caller asks there: places come from `push`).
    pub(super) fn get(&self, at: u64, n: u32) -> &[Vertex] {
        let got = self
            .cells(at as usize, n as usize)
            // A cell starts every 16 bytes of a map that starts on a page,
            // or is one of `pending`: aligned.
            .and_then(|b| bytemuck::try_cast_slice(b).ok());
        debug_assert!(got.is_some(), "vertices {at}+{n} of {}", self.len());
        got.unwrap_or(&[])
    }

    /// The `n` bytes from `at`: what [`Vertices::push_bytes`] was given.
    pub(super) fn bytes(&self, at: u64, n: u32) -> &[u8] {
        let n = n as usize;
        let got = self
            .cells(at as usize, n.div_ceil(CELL))
            .and_then(|b| b.get(..n));
        debug_assert!(got.is_some(), "bytes {at}+{n} of {}", self.len());
        got.unwrap_or(&[])
    }

    /// Count the blocks a read of bytes `start..end` of the map lands in;
    /// every [`Window::blocks`], unmap the pages read.
    fn count_read(&self, start: usize, end: usize) {
        let last = LAST_END.replace(end);
        // The blocks of NEAR bytes the read lands in, but the one the last
        // read ended in.
        let mut blocks = (end.saturating_sub(1) / NEAR + 1).saturating_sub(start / NEAR);
        if last > 0 && (last - 1) / NEAR == start / NEAR {
            blocks = blocks.saturating_sub(1);
        }
        if blocks == 0
            || self.reads.fetch_add(blocks, Ordering::Relaxed) + blocks < self.window.blocks()
        {
            return;
        }
        self.reads.store(0, Ordering::Relaxed);
        if let Some(map) = &self.map {
            // SAFETY: a shared read-only map of a file: pages unmapped are
            // read again from the file when next touched, with the same
            // bytes (MADV_DONTNEED discards only private changes, and there
            // are none). Slices other threads hold stay valid.
            #[allow(unsafe_code)]
            let _ = unsafe { map.unchecked_advise(memmap2::UncheckedAdvice::DontNeed) };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geometry::test_rings::xorshift64;

    #[test]
    fn vertices_and_bytes_read_back_bit_for_bit_across_flushes() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let mut file = Vertices::create_in(dir.path(), Window::Narrow).expect("a store");
        let mut heap = Vertices::in_memory();
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let mut verts_at = Vec::new();
        let mut bytes_at = Vec::new();
        // Past FLUSH, so that reads come from the map and from what is
        // pending; odd values (NaN payloads, -0.0, subnormals) and runs of
        // bytes of every length modulo a cell, empty ones included.
        while file.len() < FLUSH + FLUSH / 2 {
            let n = (xorshift64(&mut state) % 5000) as usize;
            let verts: Vec<Vertex> = (0..n)
                .map(|_| {
                    let (a, b) = (xorshift64(&mut state), xorshift64(&mut state));
                    [f64::from_bits(a), f64::from_bits(b)]
                })
                .chain([[-0.0, f64::MIN_POSITIVE / 2.0]])
                .collect();
            let at = file.push(&verts).expect("written");
            assert_eq!(heap.push(&verts).expect("kept"), at);
            verts_at.push((at, verts));
            let n = (xorshift64(&mut state) % 40) as usize;
            let bytes: Vec<u8> = (0..n).map(|_| xorshift64(&mut state) as u8).collect();
            let at = file.push_bytes(&bytes).expect("written");
            assert_eq!(heap.push_bytes(&bytes).expect("kept"), at);
            bytes_at.push((at, bytes));
        }
        let bits =
            |v: &[Vertex]| -> Vec<[u64; 2]> { v.iter().map(|p| p.map(f64::to_bits)).collect() };
        for round in 0..2 {
            for (at, verts) in &verts_at {
                let n = verts.len() as u32;
                assert_eq!(bits(file.get(*at, n)), bits(verts), "round {round}");
                assert_eq!(bits(heap.get(*at, n)), bits(verts));
            }
            for (at, bytes) in &bytes_at {
                let n = bytes.len() as u32;
                assert_eq!(file.bytes(*at, n), &bytes[..], "round {round}");
                assert_eq!(heap.bytes(*at, n), &bytes[..]);
            }
            file.flush().expect("flushed");
        }
        assert!(file.map.is_some() && file.pending.is_empty());
        assert_eq!(file.len(), heap.len());
    }
}
