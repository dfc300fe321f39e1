//! The `Range` request header (RFC 9110 §14), as this server answers it: one
//! valid byte range is served as 206; anything it does not understand (other
//! units, several ranges, a reversed or malformed range, numbers past u64) is
//! ignored and the whole file is sent, as §14.2 allows; a well-formed single
//! range that starts past the end is 416.

/// What to send for a `Range` header against a file of a given length.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Range {
    /// Ignore the header: 200 with the whole file.
    Whole,
    /// 206 with bytes `start..=end` (both inside the file).
    Part { start: u64, end: u64 },
    /// 416 with `Content-Range: bytes */LEN`.
    Unsatisfiable,
}

/// The answer to the `Range` header `h` for a file of `len` bytes.
pub fn range(h: &str, len: u64) -> Range {
    let Some((unit, set)) = h.split_once('=') else {
        return Range::Whole;
    };
    // range-unit is case-insensitive (§14.1); no whitespace around "=".
    if !unit.eq_ignore_ascii_case("bytes") {
        return Range::Whole;
    }
    let spec = set.trim_matches([' ', '\t']);
    // Several ranges (or an empty list element): a multipart answer is not
    // worth its cost here, and ignoring the header is always allowed.
    if spec.contains(',') {
        return Range::Whole;
    }
    let Some((first, last)) = spec.split_once('-') else {
        return Range::Whole;
    };
    match (number(first), number(last)) {
        // suffix-range: the last n bytes
        (Some(None), Some(Some(n))) => {
            if n == 0 || len == 0 {
                Range::Unsatisfiable
            } else {
                Range::Part {
                    start: len - n.min(len),
                    end: len - 1,
                }
            }
        }
        (Some(Some(start)), Some(last)) => {
            if last.is_some_and(|l| l < start) {
                return Range::Whole;
            }
            if start >= len {
                return Range::Unsatisfiable;
            }
            let end = last.map_or(len - 1, |l| l.min(len - 1));
            Range::Part { start, end }
        }
        _ => Range::Whole,
    }
}

/// `Some(None)` for an empty position, `Some(Some(n))` for 1*DIGIT that fits
/// a u64, `None` for anything else (signs, spaces, overflow).
fn number(s: &str) -> Option<Option<u64>> {
    if s.is_empty() {
        return Some(None);
    }
    if !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok().map(Some)
}

#[cfg(test)]
mod tests {
    use super::Range::*;
    use super::*;

    #[test]
    fn single_ranges() {
        assert_eq!(range("bytes=0-99", 1000), Part { start: 0, end: 99 });
        assert_eq!(
            range("bytes=900-", 1000),
            Part {
                start: 900,
                end: 999
            }
        );
        assert_eq!(
            range("bytes=-100", 1000),
            Part {
                start: 900,
                end: 999
            }
        );
        assert_eq!(range("bytes=-2000", 1000), Part { start: 0, end: 999 });
        assert_eq!(
            range("bytes=990-2000", 1000),
            Part {
                start: 990,
                end: 999
            }
        );
        assert_eq!(range("BYTES=5-5", 1000), Part { start: 5, end: 5 });
        assert_eq!(range("bytes=0-99999999999", 10), Part { start: 0, end: 9 });
    }

    #[test]
    fn unsatisfiable() {
        assert_eq!(range("bytes=1000-", 1000), Unsatisfiable);
        assert_eq!(range("bytes=1000-1001", 1000), Unsatisfiable);
        assert_eq!(range("bytes=-0", 1000), Unsatisfiable);
        assert_eq!(range("bytes=0-", 0), Unsatisfiable);
        assert_eq!(range("bytes=-5", 0), Unsatisfiable);
    }

    #[test]
    fn ignored() {
        for h in [
            "bytes=0-1,5-6",
            "bytes=0-1,",
            "bytes=5-1",
            "items=0-1",
            "bytes 0-1",
            "bytes=",
            "bytes=-",
            "bytes=+1-2",
            "bytes=1-+2",
            "bytes=a-b",
            "bytes=0-1-2",
            "bytes=99999999999999999999999-",
            "bytes=0-99999999999999999999999",
            "bytes=-99999999999999999999999",
            "",
        ] {
            assert_eq!(range(h, 1000), Whole, "{h}");
        }
    }
}
