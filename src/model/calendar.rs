//! What day it is for the tenant. ConnectWise and Autotask keep a date such as a contract's
//! end as the tenant's local midnight written in UTC (`2020-02-23T13:00:00Z` is 24 February
//! in Auckland), so the UTC date part is a day early for every Australian or New Zealand
//! tenant, and "today" by UTC is yesterday there each morning. One [`Calendar`], from
//! `timezone:` in `cspctl.yaml`, answers all three questions: today's date, the day a vendor
//! date-time names, and the date-time to send for a day.

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

/// The zone used when `cspctl.yaml` names none: Dicker Data serves Australian (and New
/// Zealand) partners, and every Australian zone's midnight falls on the same Sydney date, so
/// this reads their PSA dates right. New Zealand and Western Australian tenants set their own
/// zone so that "today" turns over at their midnight and written dates are their midnights.
pub const DEFAULT_ZONE: Tz = chrono_tz::Australia::Sydney;

/// The tenant's calendar: its IANA time zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Calendar {
    zone: Tz,
}

impl Default for Calendar {
    fn default() -> Self {
        Calendar { zone: DEFAULT_ZONE }
    }
}

impl Calendar {
    /// The calendar of `zone`.
    pub fn new(zone: Tz) -> Self {
        Calendar { zone }
    }

    /// The calendar of an IANA zone name such as `Pacific/Auckland`.
    pub fn named(name: &str) -> Result<Self, String> {
        name.parse::<Tz>().map(Calendar::new).map_err(|_| format!("`{name}` is not an IANA time zone name"))
    }

    /// The zone.
    pub fn zone(&self) -> Tz {
        self.zone
    }

    /// Today in the tenant's zone: the default plan date.
    pub fn today(&self) -> NaiveDate {
        self.day_of(Utc::now())
    }

    /// The tenant's date at `instant`.
    pub fn day_of(&self, instant: DateTime<Utc>) -> NaiveDate {
        instant.with_timezone(&self.zone).date_naive()
    }

    /// The day a vendor date names: an RFC 3339 date-time (`…Z`, `….000Z` or an offset) is
    /// read in the tenant's zone; a date-time with no zone is UTC (as both PSAs' APIs are);
    /// a plain `YYYY-MM-DD` is that day.
    pub fn read(&self, text: &str) -> Result<NaiveDate, String> {
        let text = text.trim();
        if let Ok(t) = DateTime::parse_from_rfc3339(text) {
            return Ok(self.day_of(t.with_timezone(&Utc)));
        }
        for format in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"] {
            if let Ok(t) = NaiveDateTime::parse_from_str(text, format) {
                return Ok(self.day_of(t.and_utc()));
            }
        }
        NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| format!("`{text}` is not a date"))
    }

    /// The instant the tenant's `day` begins (local midnight, or the first hour that exists
    /// when a daylight-saving change skips midnight).
    pub fn midnight(&self, day: NaiveDate) -> DateTime<Utc> {
        (0..24)
            .filter_map(|h| day.and_hms_opt(h, 0, 0))
            .find_map(|t| self.zone.from_local_datetime(&t).earliest())
            .map_or_else(|| day.and_time(chrono::NaiveTime::MIN).and_utc(), |t| t.with_timezone(&Utc))
    }

    /// `day` as cspctl writes it to a PSA: the tenant's midnight in UTC, as the PSAs store it
    /// (`2026-05-31T14:00:00Z` for 1 June in Sydney).
    pub fn wire(&self, day: NaiveDate) -> String {
        self.midnight(day).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn a_local_midnight_in_utc_reads_as_the_local_day() {
        let auckland = Calendar::named("Pacific/Auckland").unwrap();
        let sydney = Calendar::default();
        let utc = Calendar::new(chrono_tz::UTC);
        // NZDT (+13) midnight of 24 February 2020.
        assert_eq!(auckland.read("2020-02-23T11:00:00Z"), Ok(day("2020-02-24")));
        assert_eq!(auckland.read("2020-02-23T11:00:00.000Z"), Ok(day("2020-02-24")));
        assert_eq!(utc.read("2020-02-23T11:00:00Z"), Ok(day("2020-02-23")), "the UTC date is a day early");
        // AEST (+10) midnight of 1 July; a UTC midnight is the same day in Sydney too.
        assert_eq!(sydney.read("2026-06-30T14:00:00Z"), Ok(day("2026-07-01")));
        assert_eq!(sydney.read("2026-07-01T00:00:00Z"), Ok(day("2026-07-01")));
        assert_eq!(sydney.read("2026-07-01T00:00:00"), Ok(day("2026-07-01")));
        assert_eq!(sydney.read("2026-07-01"), Ok(day("2026-07-01")));
        assert!(sydney.read("1 July").is_err());
    }

    #[test]
    fn written_days_are_local_midnights_and_read_back_as_the_same_day() {
        let sydney = Calendar::default();
        assert_eq!(sydney.wire(day("2026-07-01")), "2026-06-30T14:00:00Z", "AEST");
        assert_eq!(sydney.wire(day("2026-12-01")), "2026-11-30T13:00:00Z", "AEDT");
        let auckland = Calendar::named("Pacific/Auckland").unwrap();
        assert_eq!(auckland.wire(day("2026-12-01")), "2026-11-30T11:00:00Z", "NZDT");
        for calendar in [sydney, auckland, Calendar::new(chrono_tz::America::Santiago)] {
            for d in ["2026-01-01", "2026-04-05", "2026-09-06", "2026-10-04", "2026-12-31"] {
                assert_eq!(calendar.read(&calendar.wire(day(d))), Ok(day(d)), "{calendar:?} {d}");
            }
        }
    }

    #[test]
    fn today_is_the_tenant_day() {
        let evening_utc = Utc.with_ymd_and_hms(2026, 11, 30, 14, 0, 0).unwrap();
        assert_eq!(Calendar::default().day_of(evening_utc), day("2026-12-01"));
        assert_eq!(Calendar::new(chrono_tz::UTC).day_of(evening_utc), day("2026-11-30"));
        assert!(Calendar::named("Mars/Olympus").is_err());
    }
}
