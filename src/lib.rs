//! clearmap: IMSMA exports in, land-release figures and map bundles out.
//!
//! The pipeline (see ARCHITECTURE.md) is a chain of stages, each a module whose
//! product is a type: [`ingest`] → [`normalize`] → [`reconcile`] → [`measure`]
//! → [`emit`]; [`pipeline`] runs them and [`cli`] is the command line. The
//! stages share their geometric primitives through [`geometry`].

mod batch;
pub mod cli;
pub mod config;
mod describe;
pub mod diagnostics;
pub mod emit;
pub mod error;
pub mod geometry;
mod guard;
pub mod ingest;
mod init;
mod log;
mod manifest;
pub mod measure;
pub mod model;
pub mod normalize;
pub mod pipeline;
pub mod progress;
pub mod reconcile;
pub mod serve;
pub mod tiles;
pub mod world;
