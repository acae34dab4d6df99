//! Small self-contained helpers: a seeded random generator, ObjectId-like ids and ISO-8601
//! timestamps. They are written here rather than pulled in so the emulator's determinism does
//! not depend on another crate's algorithm choices.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// SplitMix64: tiny, fast and fully deterministic for a given seed, which is all fault
/// injection and job counts need.
#[derive(Debug, Clone)]
pub(crate) struct SeededRng {
    state: u64,
}

impl SeededRng {
    pub(crate) fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut mixed = self.state;
        mixed = (mixed ^ (mixed >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        mixed = (mixed ^ (mixed >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        mixed ^ (mixed >> 31)
    }

    /// A uniform number in `[0, 1)`.
    pub(crate) fn next_unit(&mut self) -> f64 {
        // The top 53 bits fill an f64 mantissa exactly.
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// True with probability `rate` (clamped to `[0, 1]`); draws nothing when the rate is 0 so
    /// that turning a fault off does not shift the sequence of the others.
    pub(crate) fn chance(&mut self, rate: f64) -> bool {
        if rate <= 0.0 {
            return false;
        }
        self.next_unit() < rate.min(1.0)
    }

    /// A uniform integer in `[0, bound]`.
    pub(crate) fn up_to(&mut self, bound: u64) -> u64 {
        if bound == 0 {
            return 0;
        }
        self.next_u64() % (bound + 1)
    }
}

/// A 64-bit FNV-1a hash, used to derive stable per-account values (user ids, seeds) from names.
pub(crate) fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in bytes {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

/// Generates MongoDB-ObjectId-shaped ids: 4 bytes of Unix seconds, 5 bytes fixed per emulator
/// (derived from the seed) and a 3-byte counter, printed as 24 lowercase hex digits.
#[derive(Debug)]
pub(crate) struct IdGenerator {
    process_bytes: [u8; 5],
    counter: AtomicU32,
}

impl IdGenerator {
    pub(crate) fn new(seed: u64) -> Self {
        let mut rng = SeededRng::new(seed ^ 0x1D5E_ED00_0000_0001);
        let random = rng.next_u64().to_be_bytes();
        let mut process_bytes = [0u8; 5];
        process_bytes.copy_from_slice(&random[..5]);
        let counter_start = (rng.next_u64() & 0x00FF_FFFF) as u32;
        Self { process_bytes, counter: AtomicU32::new(counter_start) }
    }

    pub(crate) fn next_id(&self) -> String {
        let seconds = (now_millis() / 1000) as u32;
        let counter = self.counter.fetch_add(1, Ordering::Relaxed) & 0x00FF_FFFF;
        let mut bytes = [0u8; 12];
        bytes[..4].copy_from_slice(&seconds.to_be_bytes());
        bytes[4..9].copy_from_slice(&self.process_bytes);
        bytes[9..].copy_from_slice(&counter.to_be_bytes()[1..]);
        to_hex(&bytes)
    }
}

pub(crate) fn to_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        out.push(char::from(DIGITS[usize::from(byte >> 4)]));
        out.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
    out
}

/// True for a 24-character lowercase hexadecimal string, the shape of every integrator.io id.
pub(crate) fn is_object_id(text: &str) -> bool {
    text.len() == 24 && text.bytes().all(|byte| matches!(byte, b'0'..=b'9' | b'a'..=b'f'))
}

/// Milliseconds since the Unix epoch.
pub(crate) fn now_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Formats epoch milliseconds as `2024-05-01T12:34:56.789Z`, the API's timestamp shape.
pub(crate) fn format_timestamp(epoch_millis: i64) -> String {
    let days = epoch_millis.div_euclid(86_400_000);
    let millis_of_day = epoch_millis.rem_euclid(86_400_000);
    let (year, month, day) = civil_from_days(days);
    let hours = millis_of_day / 3_600_000;
    let minutes = millis_of_day / 60_000 % 60;
    let seconds = millis_of_day / 1000 % 60;
    let millis = millis_of_day % 1000;
    format!("{year:04}-{month:02}-{day:02}T{hours:02}:{minutes:02}:{seconds:02}.{millis:03}Z")
}

/// Parses the date forms the jobs API accepts: ISO-8601 with or without milliseconds (with `Z`
/// or a `±HH:MM` offset), a plain `YYYY-MM-DD` date, or epoch milliseconds.
pub(crate) fn parse_timestamp(text: &str) -> Option<i64> {
    let text = text.trim();
    if !text.is_empty() && text.bytes().all(|byte| byte.is_ascii_digit()) {
        return text.parse().ok();
    }
    let date = text.get(..10)?;
    let mut date_parts = date.split('-');
    let year: i64 = date_parts.next()?.parse().ok()?;
    let month: u32 = date_parts.next()?.parse().ok()?;
    let day: u32 = date_parts.next()?.parse().ok()?;
    if date_parts.next().is_some() || !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    let day_start = days_from_civil(year, month, day) * 86_400_000;
    let rest = &text[10..];
    if rest.is_empty() {
        return Some(day_start);
    }
    let rest = rest.strip_prefix('T').or_else(|| rest.strip_prefix(' '))?;
    let (clock, offset_millis) = split_offset(rest)?;
    let (hms, fraction) = match clock.split_once('.') {
        Some((hms, fraction)) => (hms, Some(fraction)),
        None => (clock, None),
    };
    let mut clock_parts = hms.split(':');
    let hours: i64 = clock_parts.next()?.parse().ok()?;
    let minutes: i64 = clock_parts.next()?.parse().ok()?;
    let seconds: i64 = clock_parts.next().map_or(Some(0), |part| part.parse().ok())?;
    if clock_parts.next().is_some() || hours > 23 || minutes > 59 || seconds > 60 {
        return None;
    }
    let millis = match fraction {
        Some(digits) if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) => {
            let padded = format!("{digits:0<3}");
            padded[..3].parse::<i64>().ok()?
        }
        Some(_) => return None,
        None => 0,
    };
    Some(day_start + hours * 3_600_000 + minutes * 60_000 + seconds * 1000 + millis - offset_millis)
}

fn split_offset(clock: &str) -> Option<(&str, i64)> {
    if let Some(stripped) = clock.strip_suffix('Z') {
        return Some((stripped, 0));
    }
    if clock.len() > 6 {
        let (head, tail) = clock.split_at(clock.len() - 6);
        let sign = match tail.as_bytes().first() {
            Some(b'+') => 1,
            Some(b'-') => -1,
            _ => return Some((clock, 0)),
        };
        let (hours, minutes) = tail[1..].split_once(':')?;
        let hours: i64 = hours.parse().ok()?;
        let minutes: i64 = minutes.parse().ok()?;
        return Some((head, sign * (hours * 3_600_000 + minutes * 60_000)));
    }
    Some((clock, 0))
}

/// Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = if year >= 0 { year } else { year - 399 } / 400;
    let year_of_era = year - era * 400;
    let month_from_march = i64::from((month + 9) % 12);
    let day_of_year = (153 * month_from_march + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let shifted = days + 719_468;
    let era = if shifted >= 0 { shifted } else { shifted - 146_096 } / 146_097;
    let day_of_era = shifted - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * month_from_march + 2) / 5 + 1) as u32;
    let month =
        if month_from_march < 10 { month_from_march + 3 } else { month_from_march - 9 } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_round_trip_through_format_and_parse() {
        for millis in [0, 1_714_566_896_789, 951_782_400_000, 4_102_444_799_999] {
            let text = format_timestamp(millis);
            assert_eq!(parse_timestamp(&text), Some(millis), "{text}");
        }
        assert_eq!(format_timestamp(1_714_566_896_789), "2024-05-01T12:34:56.789Z");
    }

    #[test]
    fn parse_accepts_every_documented_date_form() {
        let expected = parse_timestamp("2024-05-01T00:00:00.000Z");
        assert_eq!(parse_timestamp("2024-05-01"), expected);
        assert_eq!(parse_timestamp("2024-05-01T00:00:00Z"), expected);
        assert_eq!(parse_timestamp("2024-05-01T02:00:00+02:00"), expected);
        assert_eq!(parse_timestamp("1714521600000"), expected);
        assert_eq!(parse_timestamp("yesterday"), None);
        assert_eq!(parse_timestamp("2024-13-01"), None);
    }

    #[test]
    fn ids_are_unique_lowercase_hex() {
        let generator = IdGenerator::new(7);
        let first = generator.next_id();
        let second = generator.next_id();
        assert!(is_object_id(&first) && is_object_id(&second));
        assert_ne!(first, second);
        assert!(!is_object_id("5F0000000000000000000000"));
    }

    #[test]
    fn seeded_rng_repeats_its_sequence() {
        let mut first = SeededRng::new(42);
        let mut second = SeededRng::new(42);
        let drawn: Vec<u64> = (0..4).map(|_| first.next_u64()).collect();
        assert_eq!(drawn, (0..4).map(|_| second.next_u64()).collect::<Vec<_>>());
        assert!((0..1000).all(|_| first.next_unit() < 1.0));
    }
}
