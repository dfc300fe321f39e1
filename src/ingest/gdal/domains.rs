//! Coded-value field domains of a layer (File Geodatabase, GeoPackage): the
//! code → label tables that [`super::mapping::Mapper`] translates a column's
//! codes through before its vocabulary lookup. An IMSMA Core geodatabase
//! stores such codes (e.g. a status `1`) where the user sees the label
//! (`Open`); the meaning of a code comes only from the file's own domain,
//! never from a guess.

use gdal::vector::LayerAccess;
use gdal::Dataset;
use std::collections::BTreeMap;
use std::ffi::{CStr, CString};

/// The coded-value domain of each of `columns` that has one: column index →
/// (code → label). Range and glob domains, and columns without a domain, are
/// left out.
///
/// The `gdal` crate has no field-domain API, so this reads GDAL's C API
/// directly (GDAL ≥ 3.3).
#[allow(unsafe_code)]
pub(super) fn coded_values<L: LayerAccess>(
    ds: &Dataset,
    layer: &L,
    columns: &[usize],
) -> BTreeMap<usize, BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    let defn = layer.defn();
    for &i in columns {
        let Ok(index) = i32::try_from(i) else {
            continue;
        };
        // SAFETY: the layer's feature definition lives as long as `layer`;
        // OGR_FD_GetFieldDefn returns null for an index out of range, and
        // OGR_Fld_GetDomainName an empty string (never null) for a field
        // without a domain; both only read.
        let name = unsafe {
            let field = gdal_sys::OGR_FD_GetFieldDefn(defn.c_defn(), index);
            if field.is_null() {
                continue;
            }
            let name = gdal_sys::OGR_Fld_GetDomainName(field);
            if name.is_null() {
                continue;
            }
            CStr::from_ptr(name).to_owned()
        };
        if name.is_empty() {
            continue;
        }
        if let Some(table) = coded_domain(ds, &name) {
            out.insert(i, table);
        }
    }
    out
}

/// The code → label table of the dataset's domain `name`, if it is a
/// coded-value domain.
#[allow(unsafe_code)]
fn coded_domain(ds: &Dataset, name: &CString) -> Option<BTreeMap<String, String>> {
    let text = |p: *const std::ffi::c_char| {
        // SAFETY: a non-null pointer from the domain's enumeration points to a
        // NUL-terminated string owned by the domain, copied at once.
        (!p.is_null()).then(|| unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned())
    };
    let mut table = BTreeMap::new();
    // SAFETY: the dataset handle is valid while `ds` lives; the domain it
    // returns is owned by the dataset and only read here. The enumeration is
    // an array ended by an entry whose code is null (GDAL's contract).
    unsafe {
        let domain = gdal_sys::GDALDatasetGetFieldDomain(ds.c_dataset(), name.as_ptr());
        if domain.is_null()
            || gdal_sys::OGR_FldDomain_GetDomainType(domain)
                != gdal_sys::OGRFieldDomainType::OFDT_CODED
        {
            return None;
        }
        let mut entry = gdal_sys::OGR_CodedFldDomain_GetEnumeration(domain);
        if entry.is_null() {
            return None;
        }
        while let Some(code) = text((*entry).pszCode) {
            // A code without a label stands for itself.
            let label = text((*entry).pszValue).unwrap_or_else(|| code.clone());
            table.insert(code.trim().to_string(), label);
            entry = entry.add(1);
        }
    }
    Some(table)
}
