//! JS `Date` truncations used by DATETIME matchers (`setUTCHours(0,0,0,0)`, `setUTCSeconds(0,0)`).

const MS_PER_MINUTE: f64 = 60_000.0;
const MS_PER_DAY: f64 = 86_400_000.0;
const MAX_TIME: f64 = 8.64e15;

/// ECMAScript TimeClip: NaN outside ±8.64e15, otherwise truncated toward zero.
fn time_clip(ms: f64) -> f64 {
    if !ms.is_finite() || ms.abs() > MAX_TIME {
        return f64::NAN;
    }
    ms.trunc() + 0.0
}

fn floor_to(ms: f64, unit: f64) -> f64 {
    let t = time_clip(ms);
    if t.is_nan() {
        return t;
    }
    time_clip((t / unit).floor() * unit)
}

/// `new Date(ms).setUTCHours(0, 0, 0, 0)`: the start of the UTC day (NaN when out of range).
pub fn start_of_day(ms: f64) -> f64 {
    floor_to(ms, MS_PER_DAY)
}

/// `new Date(ms).setUTCSeconds(0, 0)`: the start of the UTC minute (NaN when out of range).
pub fn start_of_minute(ms: f64) -> f64 {
    floor_to(ms, MS_PER_MINUTE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncates_like_js_dates() {
        // Values checked against node: new Date(x).setUTCSeconds(0,0) / setUTCHours(0,0,0,0).
        assert_eq!(start_of_minute(1_700_000_123_456.0), 1_700_000_100_000.0);
        assert_eq!(start_of_minute(-1.0), -60_000.0);
        assert_eq!(start_of_minute(-0.5), 0.0);
        assert_eq!(start_of_minute(59_999.9), 0.0);
        assert_eq!(start_of_day(1_700_000_123_456.0), 1_699_920_000_000.0);
        assert_eq!(start_of_day(-1.0), -86_400_000.0);
        assert!(start_of_day(8.64e15 + 1.0).is_nan());
        assert!(start_of_minute(f64::NAN).is_nan());
        assert_eq!(start_of_day(-8.64e15), -8.64e15);
    }
}
