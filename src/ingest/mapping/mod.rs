//! Field and value mappings: from a source's columns and raw vocabularies to the
//! canonical fields of the model. `[source.fields]` names the column of a
//! canonical field (else the canonical name itself is looked for),
//! `[source.values.FIELD]` maps raw values, `[source.defaults]` fills fields the
//! source lacks. A preset ([`super::presets`]) adds the columns and vocabulary
//! of a known layout underneath the config.
//!
//! A raw value of classification, status, outcome or contamination that
//! neither the config, the canonical vocabulary nor the preset maps is a
//! config fault: the values are counted while the source is read and
//! [`Mapper::finish`] fails (exit 2) with the TOML lines that would map them.
//! A `"*"` key under `[source.values.FIELD]` opts out: unmapped values then
//! take its value (or are quarantined, for outcomes) with an UNMAPPED_VALUE
//! warning per record. Coded-value domains of the layer (File Geodatabase,
//! GeoPackage) turn codes into their labels before the lookup.
//!
//! - `mapper.rs`: [`Mapper`], a source's mapping resolved against its layer's
//!   columns, and [`Mapper::finish`];
//! - `apply.rs`: mapping one record to [`CanonicalAttrs`];
//! - `vocabulary.rs`: the canonical values of the enumerated fields, the check
//!   of `[source.values]` and the message listing unmapped values;
//! - `raw.rs`: [`RawValue`], a value as a reader delivers it, and its dates.

mod apply;
mod mapper;
mod raw;
mod vocabulary;

pub use apply::CanonicalAttrs;
pub use mapper::Mapper;
pub use raw::RawValue;
pub(crate) use raw::{parse_date, DateError};
pub(crate) use vocabulary::canonical_choices;
pub(super) use vocabulary::{check_values, unmapped_text, ENUM_FIELDS};
