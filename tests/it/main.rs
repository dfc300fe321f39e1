//! Integration tests, one binary: accounting on hand-made cases, the command
//! line on files, the example country and the real Bosnia data.

mod accounting;
mod bad_inputs;
mod blank_values;
mod cli;
mod common;
mod config_doc;
mod container_limits;
mod describe_init;
mod external;
mod gpkg;
mod ingest;
mod inspect;
mod mvt_fixtures;
mod ops;
mod paper_cuts_e;
mod paper_cuts_f;
mod props;
mod reconcile;
mod record_refs;
mod report_outputs;
mod serve_limits;
mod shared_borders;
mod tables;
mod tile_cases;
mod tiles;
mod trust_bundle;
mod trust_mapping;
mod trust_readers;
mod trust_records;
mod validate;
mod web_embed;
mod where_on_earth;
