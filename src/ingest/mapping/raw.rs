//! Attribute values as the readers deliver them, and dates read from them.

use chrono::NaiveDate;

/// An attribute value as a reader delivers it.
#[derive(Debug, Clone, PartialEq)]
pub enum RawValue {
    Text(String),
    Int(i64),
    Real(f64),
    Date(NaiveDate),
    List(Vec<String>),
}

impl RawValue {
    /// The value as text (numbers without a spurious ".0").
    pub fn to_text(&self) -> String {
        match self {
            RawValue::Text(s) => s.clone(),
            RawValue::Int(i) => i.to_string(),
            RawValue::Real(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
            RawValue::Real(f) => f.to_string(),
            RawValue::Date(d) => d.format("%Y-%m-%d").to_string(),
            RawValue::List(v) => v.join(","),
        }
    }

    pub(super) fn is_blank(&self) -> bool {
        match self {
            RawValue::Text(s) => s.trim().is_empty(),
            RawValue::List(v) => v.iter().all(|s| s.trim().is_empty()),
            RawValue::Real(f) => f.is_nan(),
            _ => false,
        }
    }

    /// Split a multi-valued field: lists as they are, text on `,` or `;`.
    pub(super) fn tokens(&self) -> Vec<String> {
        let parts: Vec<String> = match self {
            RawValue::List(v) => v.clone(),
            other => other
                .to_text()
                .split([',', ';'])
                .map(str::to_string)
                .collect(),
        };
        parts
            .into_iter()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect()
    }
}

pub(super) fn toml_to_raw(v: &toml::Value) -> RawValue {
    match v {
        toml::Value::String(s) => RawValue::Text(s.clone()),
        toml::Value::Integer(i) => RawValue::Int(*i),
        toml::Value::Float(f) => RawValue::Real(*f),
        toml::Value::Datetime(d) => RawValue::Text(d.to_string()),
        toml::Value::Array(a) => RawValue::List(
            a.iter()
                .map(|x| match x {
                    toml::Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect(),
        ),
        other => RawValue::Text(other.to_string()),
    }
}

/// Why a date value could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateError {
    /// Not a date in any form clearmap reads.
    Unreadable,
    /// A slash date such as "03/04/2021" that is a valid day/month and
    /// month/day, with no `date_format` to decide.
    Ambiguous,
}

/// The day Excel's serial date 0 stands for (its 1900 leap-year bug folded in,
/// so serials from March 1900 on are right).
fn excel_epoch() -> NaiveDate {
    NaiveDate::from_ymd_opt(1899, 12, 30).expect("valid date")
}

/// A number as a date: an Excel serial day (1930–2100, what a spreadsheet date
/// cell holds when read as a number) or Unix epoch milliseconds (1973–2100, what
/// ArcGIS feature services return). Anything else is no date.
fn date_of_number(f: f64) -> Option<NaiveDate> {
    const EXCEL_MIN: f64 = 10_959.0; // 1930-01-01
    const EXCEL_MAX: f64 = 73_051.0; // 2100-01-01
    const MS_MIN: f64 = 1e11; // 1973-03-03
    const MS_MAX: f64 = 4.102_444_8e12; // 2100-01-01
    if (EXCEL_MIN..EXCEL_MAX).contains(&f) {
        excel_epoch().checked_add_days(chrono::Days::new(f.floor() as u64))
    } else if (MS_MIN..MS_MAX).contains(&f) {
        chrono::DateTime::from_timestamp_millis(f as i64).map(|d| d.date_naive())
    } else {
        None
    }
}

/// Dates as exports hold them: ISO dates and date-times, `YYYY/MM/DD`, Excel
/// serial numbers and epoch milliseconds (as numbers or numeric text),
/// `DD.MM.YYYY`, and slash dates: with `format` (chrono syntax, e.g.
/// `%d/%m/%Y`) as it says, without it only when day and month cannot be
/// confused.
pub fn parse_date(v: &RawValue, format: Option<&str>) -> Result<NaiveDate, DateError> {
    match v {
        RawValue::Date(d) => Ok(*d),
        RawValue::Int(i) => date_of_number(*i as f64).ok_or(DateError::Unreadable),
        RawValue::Real(f) => date_of_number(*f).ok_or(DateError::Unreadable),
        RawValue::List(_) => Err(DateError::Unreadable),
        RawValue::Text(s) => parse_date_text(s.trim(), format),
    }
}

fn parse_date_text(s: &str, format: Option<&str>) -> Result<NaiveDate, DateError> {
    if let Ok(f) = s.replace(',', ".").parse::<f64>() {
        return date_of_number(f).ok_or(DateError::Unreadable);
    }
    let head = s.get(..10).unwrap_or(s);
    let time_follows = s.len() == 10 || s.get(10..).is_some_and(|t| t.starts_with(['T', ' ']));
    if time_follows {
        if let Ok(d) = NaiveDate::parse_from_str(head, "%Y-%m-%d")
            .or_else(|_| NaiveDate::parse_from_str(head, "%Y/%m/%d"))
        {
            return Ok(d);
        }
    }
    // The date part alone, whatever time of day follows it.
    let date_part = s.split([' ', 'T']).next().unwrap_or(s);
    if let Some(f) = format {
        return NaiveDate::parse_from_str(s, f)
            .or_else(|_| NaiveDate::parse_from_str(date_part, f))
            .map_err(|_| DateError::Unreadable);
    }
    let parts: Vec<&str> = date_part.split(['/', '.']).collect();
    let [a, b, y] = parts[..] else {
        return Err(DateError::Unreadable);
    };
    let (Ok(a), Ok(b), Ok(y)) = (a.parse::<u32>(), b.parse::<u32>(), y.parse::<i32>()) else {
        return Err(DateError::Unreadable);
    };
    if !(1000..=9999).contains(&y) {
        return Err(DateError::Unreadable);
    }
    // Dotted dates are day-first wherever they are written (DIN 5008 and its
    // kin); slash dates are day-first or month-first by country.
    let (day, month) = if date_part.contains('.') || (a > 12 && b <= 12) || a == b {
        (a, b)
    } else if b > 12 && a <= 12 {
        (b, a)
    } else if a <= 12 && b <= 12 {
        return Err(DateError::Ambiguous);
    } else {
        return Err(DateError::Unreadable);
    };
    NaiveDate::from_ymd_opt(y, month, day).ok_or(DateError::Unreadable)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text_date(s: &str, f: Option<&str>) -> Result<NaiveDate, DateError> {
        parse_date(&RawValue::Text(s.into()), f)
    }

    #[test]
    fn dates() {
        let d = Ok(NaiveDate::from_ymd_opt(2021, 3, 4).unwrap());
        assert_eq!(text_date("2021-03-04", None), d);
        assert_eq!(text_date(" 2021-03-04T10:00:00Z", None), d);
        assert_eq!(text_date("2021/03/04", None), d);
        assert_eq!(text_date("04.03.2021", None), d);
        assert_eq!(text_date("2021-03-045", None), Err(DateError::Unreadable));
        assert_eq!(text_date("March 4th", None), Err(DateError::Unreadable));
    }

    #[test]
    fn slash_dates_need_a_format_only_when_ambiguous() {
        let d = Ok(NaiveDate::from_ymd_opt(2021, 3, 4).unwrap());
        assert_eq!(text_date("04/03/2021", None), Err(DateError::Ambiguous));
        assert_eq!(text_date("04/03/2021", Some("%d/%m/%Y")), d);
        assert_eq!(text_date("03/04/2021", Some("%m/%d/%Y")), d);
        assert_eq!(text_date("04/03/2021 00:00:00", Some("%d/%m/%Y")), d);
        let d25 = Ok(NaiveDate::from_ymd_opt(2021, 3, 25).unwrap());
        assert_eq!(text_date("25/03/2021", None), d25);
        assert_eq!(text_date("03/25/2021", None), d25);
        assert_eq!(text_date("31/02/2021", None), Err(DateError::Unreadable));
    }

    #[test]
    fn excel_serials_and_epoch_milliseconds() {
        // Excel shows serial 44259 as 2021-03-04; 1614816000000 ms is
        // 2021-03-04T00:00:00Z.
        let d = Ok(NaiveDate::from_ymd_opt(2021, 3, 4).unwrap());
        assert_eq!(parse_date(&RawValue::Int(44259), None), d);
        assert_eq!(parse_date(&RawValue::Real(44259.75), None), d);
        assert_eq!(text_date("44259", None), d);
        assert_eq!(parse_date(&RawValue::Int(1_614_816_000_000), None), d);
        assert_eq!(text_date("1614816000000", None), d);
        assert_eq!(
            parse_date(&RawValue::Int(12), None),
            Err(DateError::Unreadable)
        );
    }

    #[test]
    pub(super) fn tokens_split_and_trim() {
        assert_eq!(
            RawValue::Text(" a, b;;c ".into()).tokens(),
            vec!["a", "b", "c"]
        );
        assert_eq!(RawValue::Real(12.0).to_text(), "12");
    }
}
