//! The keys of the accounting's breakdowns — a release's [`Year`], a hazard's
//! [`Region`] (with [`crate::model::Classification`], the model's own) — and
//! [`ByOutcome`], one value per release outcome.
//!
//! The keys are written into summary.json and the tables as text ("2019",
//! "undated", "(no region)") and sorted as that text sorts: the breakdowns
//! list them in that order, and the region order decides which region the land
//! of overlapping hazards counts for. So each key orders as its text does, not
//! as a derived order of its variants would.

use crate::model::Outcome;
use chrono::{Datelike, NaiveDate};
use serde::{Serialize, Serializer};
use std::cmp::Ordering;
use std::fmt;
use std::ops::{AddAssign, Index, IndexMut};

/// One value per land-release outcome.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ByOutcome<T> {
    pub cleared: T,
    pub reduced: T,
    pub cancelled: T,
}

impl<T> ByOutcome<T> {
    pub fn get(&self, o: Outcome) -> &T {
        match o {
            Outcome::Cleared => &self.cleared,
            Outcome::Reduced => &self.reduced,
            Outcome::Cancelled => &self.cancelled,
        }
    }

    pub fn get_mut(&mut self, o: Outcome) -> &mut T {
        match o {
            Outcome::Cleared => &mut self.cleared,
            Outcome::Reduced => &mut self.reduced,
            Outcome::Cancelled => &mut self.cancelled,
        }
    }

    /// Each outcome with its value, in the order of [`Outcome::ALL`]
    /// (cancelled, reduced, cleared: the columns of the outputs).
    pub fn iter(&self) -> impl Iterator<Item = (Outcome, &T)> {
        Outcome::ALL.into_iter().map(move |o| (o, self.get(o)))
    }
}

impl ByOutcome<f64> {
    /// cancelled + reduced + cleared, added in that order.
    pub fn sum(&self) -> f64 {
        self.cancelled + self.reduced + self.cleared
    }
}

impl<T> Index<Outcome> for ByOutcome<T> {
    type Output = T;

    fn index(&self, o: Outcome) -> &T {
        self.get(o)
    }
}

impl<T> IndexMut<Outcome> for ByOutcome<T> {
    fn index_mut(&mut self, o: Outcome) -> &mut T {
        self.get_mut(o)
    }
}

impl<T: AddAssign + Copy> AddAssign for ByOutcome<T> {
    fn add_assign(&mut self, o: ByOutcome<T>) {
        self.cleared += o.cleared;
        self.reduced += o.reduced;
        self.cancelled += o.cancelled;
    }
}

/// The year of a release's end date, or none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Year {
    Dated(i32),
    Undated,
}

impl Year {
    /// The text of an undated release's year.
    pub const UNDATED: &'static str = "undated";

    pub fn of(date: Option<NaiveDate>) -> Year {
        date.map_or(Year::Undated, |d| Year::Dated(d.year()))
    }
}

/// As chrono's `%Y` writes it: four digits, zero-padded; a sign before years
/// outside 0..=9999.
impl fmt::Display for Year {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Year::Dated(y) if (0..=9999).contains(&y) => write!(f, "{y:04}"),
            Year::Dated(y) => write!(f, "{y:+05}"),
            Year::Undated => f.write_str(Year::UNDATED),
        }
    }
}

/// The order of the text: years of four digits ascending, `undated` last (a
/// year's text starts with a digit or a sign, before `u`). Years with a sign
/// (none a land release has) compare as text too, as they always did.
impl Ord for Year {
    fn cmp(&self, other: &Year) -> Ordering {
        let four_digits = |y: i32| (0..=9999).contains(&y);
        match (*self, *other) {
            (Year::Dated(a), Year::Dated(b)) if four_digits(a) && four_digits(b) => a.cmp(&b),
            (Year::Dated(_), Year::Dated(_)) => self.to_string().cmp(&other.to_string()),
            (Year::Dated(_), Year::Undated) => Ordering::Less,
            (Year::Undated, Year::Dated(_)) => Ordering::Greater,
            (Year::Undated, Year::Undated) => Ordering::Equal,
        }
    }
}

impl PartialOrd for Year {
    fn partial_cmp(&self, other: &Year) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Serialize for Year {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// The text of the region of hazards that name none.
pub const NO_REGION: &str = "(no region)";

/// The region a hazard names, or none.
///
/// Equal, ordered and written as its text ([`Region::name`]): regions sort by
/// name with `(no region)` where its text sorts (before letters and digits),
/// and a region a source names `(no region)` is the unassigned one, as the
/// outputs cannot tell them apart.
#[derive(Debug, Clone)]
pub enum Region {
    Named(String),
    Unassigned,
}

impl Region {
    pub fn of(name: Option<&str>) -> Region {
        match name {
            None | Some(NO_REGION) => Region::Unassigned,
            Some(n) => Region::Named(n.to_string()),
        }
    }

    /// The region's text in the outputs.
    pub fn name(&self) -> &str {
        match self {
            Region::Named(n) => n,
            Region::Unassigned => NO_REGION,
        }
    }

    pub fn is_unassigned(&self) -> bool {
        self.name() == NO_REGION
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl PartialEq for Region {
    fn eq(&self, other: &Region) -> bool {
        self.name() == other.name()
    }
}

impl Eq for Region {}

impl Ord for Region {
    fn cmp(&self, other: &Region) -> Ordering {
        self.name().cmp(other.name())
    }
}

impl PartialOrd for Region {
    fn partial_cmp(&self, other: &Region) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Serialize for Region {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Classification;

    /// Keys sorted by type must sort as their texts do (summary.json's order).
    fn sorts_as_text<K: Ord + Clone + fmt::Display>(keys: &[K]) {
        let mut by_type = keys.to_vec();
        by_type.sort();
        let mut by_text: Vec<String> = keys.iter().map(K::to_string).collect();
        by_text.sort();
        let by_type: Vec<String> = by_type.iter().map(K::to_string).collect();
        assert_eq!(by_type, by_text);
    }

    #[test]
    fn years_are_written_as_chrono_writes_them() {
        for y in [-10000, -2, -1, 0, 7, 999, 1000, 2019, 9999, 10000, 200000] {
            let d = NaiveDate::from_ymd_opt(y, 6, 30).unwrap();
            assert_eq!(Year::of(Some(d)).to_string(), d.format("%Y").to_string());
        }
        assert_eq!(Year::of(None).to_string(), "undated");
    }

    #[test]
    fn years_sort_as_their_text_with_undated_last() {
        let years: Vec<Year> = [2021, 1999, -2, 10000, 0, 2020, -1, 9999, 12345]
            .into_iter()
            .map(Year::Dated)
            .chain([Year::Undated])
            .collect();
        sorts_as_text(&years);
        let mut ordinary = vec![Year::Undated, Year::Dated(2021), Year::Dated(1999)];
        ordinary.sort();
        assert_eq!(
            ordinary,
            [Year::Dated(1999), Year::Dated(2021), Year::Undated]
        );
        assert_eq!(serde_json::to_string(&Year::Dated(7)).unwrap(), "\"0007\"");
    }

    #[test]
    fn regions_sort_by_name_with_no_region_where_its_text_sorts() {
        let regions: Vec<Region> = ["Zeta", "Alpha", "(a)", " lead", "!", "12", "ä", "Ω"]
            .into_iter()
            .map(|n| Region::of(Some(n)))
            .chain([Region::Unassigned])
            .collect();
        sorts_as_text(&regions);
        let mut r = [
            Region::of(Some("Alpha")),
            Region::Unassigned,
            Region::of(Some("(a)")),
        ];
        r.sort();
        let names: Vec<&str> = r.iter().map(Region::name).collect();
        assert_eq!(names, ["(a)", NO_REGION, "Alpha"]);
    }

    #[test]
    fn a_region_named_like_the_unassigned_one_is_it() {
        assert_eq!(Region::of(Some(NO_REGION)), Region::Unassigned);
        assert!(Region::of(None).is_unassigned());
        assert!(Region::Named(NO_REGION.into()).is_unassigned());
        assert_eq!(
            serde_json::to_string(&Region::Unassigned).unwrap(),
            "\"(no region)\""
        );
    }

    #[test]
    fn classifications_sort_as_their_text_which_is_their_precedence() {
        let mut all = vec![
            Classification::Other,
            Classification::Sha,
            Classification::Cha,
        ];
        let texts: Vec<&str> = {
            let mut t: Vec<&str> = all.iter().map(|c| c.as_str()).collect();
            t.sort();
            t
        };
        all.sort();
        assert_eq!(all, Classification::ALL);
        assert_eq!(texts, ["CHA", "SHA", "other"]);
        let sorted: Vec<&str> = all.iter().map(|c| c.as_str()).collect();
        assert_eq!(sorted, texts);
    }

    #[test]
    fn by_outcome_indexes_iterates_and_sums() {
        let mut b = ByOutcome::default();
        b[Outcome::Cleared] += 1.0;
        b[Outcome::Reduced] += 2.0;
        b[Outcome::Cancelled] += 4.0;
        assert_eq!(
            b,
            ByOutcome {
                cleared: 1.0,
                reduced: 2.0,
                cancelled: 4.0
            }
        );
        let order: Vec<(Outcome, f64)> = b.iter().map(|(o, v)| (o, *v)).collect();
        assert_eq!(
            order,
            [
                (Outcome::Cancelled, 4.0),
                (Outcome::Reduced, 2.0),
                (Outcome::Cleared, 1.0)
            ]
        );
        assert_eq!(b.sum(), 7.0);
        b += b;
        assert_eq!(b.get(Outcome::Cancelled), &8.0);
    }
}
