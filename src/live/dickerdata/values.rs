//! The value spellings Dicker Data uses in its export (and, as far as is known, its API): quantities
//! with two decimals (`275.00`), money with a dollar sign (`$338.31`) and dates as
//! `30-AUG-2025`. Each parser says what it expected, for an error that names the cell.

use chrono::NaiveDate;

/// Reads a seat count written as a decimal (`275.00`, `1,200`, `3`); a fractional or negative
/// count is refused rather than rounded, since seats are whole.
pub fn quantity(text: &str) -> Result<u32, String> {
    let cleaned: String = text.trim().chars().filter(|c| *c != ',').collect();
    let number: f64 = cleaned
        .parse()
        .map_err(|_| format!("`{}` is not a number of seats (expected e.g. 275.00)", text.trim()))?;
    quantity_from_number(number).map_err(|e| format!("`{}` {e}", text.trim()))
}

/// Checks a seat count that arrived as a number (an `.xlsx` numeric cell, a JSON number).
pub fn quantity_from_number(number: f64) -> Result<u32, String> {
    if !number.is_finite() || number < 0.0 {
        return Err("is not a seat count (expected a whole number, 0 or more)".into());
    }
    if number.fract() != 0.0 {
        return Err("is not a whole number of seats".into());
    }
    if number > f64::from(u32::MAX) {
        return Err("is too large for a seat count".into());
    }
    Ok(number as u32)
}

/// Reads an amount written as `$338.31`, `338.31`, `$1,234.50` or `-$5.00`.
pub fn money(text: &str) -> Result<f64, String> {
    let trimmed = text.trim();
    let (negative, rest) = match trimmed.strip_prefix('-') {
        Some(rest) => (true, rest.trim_start()),
        None => (false, trimmed),
    };
    let rest = rest.strip_prefix('$').unwrap_or(rest);
    let (negative, rest) = match rest.strip_prefix('-') {
        Some(r) if !negative => (true, r),
        _ => (negative, rest),
    };
    let cleaned: String = rest.trim().chars().filter(|c| *c != ',').collect();
    let value: f64 = cleaned
        .parse()
        .ok()
        .filter(|v: &f64| {
            v.is_finite() && !cleaned.is_empty() && cleaned.chars().all(|c| c.is_ascii_digit() || c == '.')
        })
        .ok_or_else(|| format!("`{trimmed}` is not an amount (expected e.g. $338.31)"))?;
    Ok(if negative { -value } else { value })
}

/// Reads a date written `30-AUG-2025` (any case), or ISO `2025-08-30`.
pub fn date(text: &str) -> Result<NaiveDate, String> {
    let trimmed = text.trim();
    NaiveDate::parse_from_str(trimmed, "%d-%b-%Y")
        .or_else(|_| NaiveDate::parse_from_str(trimmed, "%Y-%m-%d"))
        .or_else(|_| {
            // ISO date-times from the API: keep the date part.
            trimmed
                .get(..10)
                .filter(|_| trimmed.as_bytes().get(10) == Some(&b'T'))
                .ok_or(())
                .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").map_err(|_| ()))
        })
        .map_err(|_| format!("`{trimmed}` is not a date (expected e.g. 30-AUG-2025)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities() {
        assert_eq!(quantity("275.00"), Ok(275));
        assert_eq!(quantity(" 3 "), Ok(3));
        assert_eq!(quantity("1,200.00"), Ok(1200));
        assert_eq!(quantity("0.00"), Ok(0));
        assert!(quantity("275.50").unwrap_err().contains("whole"));
        assert!(quantity("-1.00").is_err());
        assert!(quantity("").is_err());
        assert!(quantity("ten").unwrap_err().contains("`ten`"));
        assert!(quantity("NaN").is_err());
        assert!(quantity("1e12").is_err());
    }

    #[test]
    fn amounts() {
        assert_eq!(money("$338.31"), Ok(338.31));
        assert_eq!(money("414.60"), Ok(414.6));
        assert_eq!(money("$1,234.50"), Ok(1234.5));
        assert_eq!(money("-$5.00"), Ok(-5.0));
        assert_eq!(money("$-5.00"), Ok(-5.0));
        assert!(money("$").is_err());
        assert!(money("AUD 5").is_err());
        assert!(money("inf").is_err());
        assert!(money("--5").is_err());
    }

    #[test]
    fn dates() {
        let d = NaiveDate::from_ymd_opt(2025, 8, 30).unwrap();
        assert_eq!(date("30-AUG-2025"), Ok(d));
        assert_eq!(date("30-Aug-2025"), Ok(d));
        assert_eq!(date("2025-08-30"), Ok(d));
        assert_eq!(date("2025-08-30T00:00:00"), Ok(d));
        assert!(date("31-FEB-2025").is_err());
        assert!(date("30/08/2025").unwrap_err().contains("30-AUG-2025"));
    }
}
