//! The one timestamp format of axum-users: UTC, microseconds.

use time::format_description::BorrowedFormatItem;
use time::macros::format_description;
use time::{OffsetDateTime, PrimitiveDateTime, UtcOffset};

/// How SQLite stores timestamps: fixed width, so text order is time order.
const SQLITE_FORMAT: &[BorrowedFormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z");

/// Converts to UTC and truncates to whole microseconds, as every database stores it.
pub fn to_stored(t: OffsetDateTime) -> OffsetDateTime {
    let t = t.to_offset(UtcOffset::UTC);
    let micros = t.microsecond();
    t.replace_microsecond(micros).unwrap_or(t)
}

/// The current time as it will be stored.
pub fn now() -> OffsetDateTime {
    to_stored(OffsetDateTime::now_utc())
}

/// The SQLite text form of a timestamp.
pub fn to_sqlite_text(t: OffsetDateTime) -> String {
    to_stored(t)
        .format(SQLITE_FORMAT)
        .unwrap_or_else(|_| t.unix_timestamp().to_string())
}

/// Parses the SQLite text form (or any RFC 3339 timestamp).
pub fn from_sqlite_text(s: &str) -> Result<OffsetDateTime, String> {
    PrimitiveDateTime::parse(s, SQLITE_FORMAT)
        .map(PrimitiveDateTime::assume_utc)
        .or_else(|_| OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339))
        .map_err(|e| format!("bad timestamp {s:?}: {e}"))
}

/// The UTC wall-clock form used for MySQL `DATETIME(6)`.
pub fn to_utc_primitive(t: OffsetDateTime) -> PrimitiveDateTime {
    let t = to_stored(t);
    PrimitiveDateTime::new(t.date(), t.time())
}

/// Serializes timestamps as Pydantic does: RFC 3339 in UTC with `Z`, six fractional digits
/// when the microseconds are non-zero and none otherwise.
pub fn to_wire(t: OffsetDateTime) -> String {
    let t = to_stored(t);
    let base = format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    );
    match t.microsecond() {
        0 => format!("{base}Z"),
        us => format!("{base}.{us:06}Z"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn wire_format_matches_pydantic() {
        assert_eq!(
            to_wire(datetime!(2026-01-02 03:04:05.123456789 UTC)),
            "2026-01-02T03:04:05.123456Z"
        );
        assert_eq!(
            to_wire(datetime!(2026-01-02 03:04:05 UTC)),
            "2026-01-02T03:04:05Z"
        );
        assert_eq!(
            to_wire(datetime!(2026-01-02 05:04:05 +02:00)),
            "2026-01-02T03:04:05Z"
        );
    }

    #[test]
    fn sqlite_text_round_trips() {
        let t = datetime!(2026-01-02 03:04:05.000007 UTC);
        let s = to_sqlite_text(t);
        assert_eq!(s, "2026-01-02T03:04:05.000007Z");
        assert_eq!(from_sqlite_text(&s), Ok(t));
    }
}
