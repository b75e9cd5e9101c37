//! Outbound requests' time limit: every `fetch` the Worker makes to Split (synchronization, the
//! events and telemetry posts, the impression listener) is abandoned after this long and
//! reported to the core as a network error, which retries it by its own rules. Split's event
//! stream is not bounded by it (it is held open on purpose).

/// The variable that sets the limit, in milliseconds.
pub const VAR_FETCH_TIMEOUT_MS: &str = "SPLIT_EDGE_FETCH_TIMEOUT_MS";

/// The limit when the variable is unset: 10 seconds (split-evaluator's SDK gives a request before
/// readiness 5 s; a post of a full impressions batch can take longer).
pub const DEFAULT_FETCH_TIMEOUT_MS: u64 = 10_000;

/// The range the variable may take, in milliseconds.
pub const FETCH_TIMEOUT_RANGE_MS: std::ops::RangeInclusive<u64> = 100..=120_000;

/// Reads `SPLIT_EDGE_FETCH_TIMEOUT_MS` (unset or empty: [`DEFAULT_FETCH_TIMEOUT_MS`]).
///
/// # Errors
/// A message naming the variable when the value is not a whole number of milliseconds in
/// [`FETCH_TIMEOUT_RANGE_MS`].
pub fn fetch_timeout_ms(value: Option<&str>) -> Result<u64, String> {
    match value.map(str::trim) {
        None | Some("") => Ok(DEFAULT_FETCH_TIMEOUT_MS),
        Some(v) => match v.parse::<u64>() {
            Ok(ms) if FETCH_TIMEOUT_RANGE_MS.contains(&ms) => Ok(ms),
            _ => Err(format!(
                "{VAR_FETCH_TIMEOUT_MS} must be a whole number of milliseconds from {} to {}, not {v:?}",
                FETCH_TIMEOUT_RANGE_MS.start(),
                FETCH_TIMEOUT_RANGE_MS.end()
            )),
        },
    }
}

/// The network error a request that took longer than `ms` is reported as.
#[must_use]
pub fn timed_out(ms: u64) -> String {
    format!("no answer within {ms} ms ({VAR_FETCH_TIMEOUT_MS}): the request was aborted")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_limit() {
        assert_eq!(fetch_timeout_ms(None), Ok(DEFAULT_FETCH_TIMEOUT_MS));
        assert_eq!(fetch_timeout_ms(Some(" ")), Ok(DEFAULT_FETCH_TIMEOUT_MS));
        assert_eq!(fetch_timeout_ms(Some("2500")), Ok(2_500));
        assert_eq!(fetch_timeout_ms(Some("100")), Ok(100));
        assert_eq!(fetch_timeout_ms(Some("120000")), Ok(120_000));
        for bad in ["99", "120001", "1.5", "-1", "soon"] {
            let e = fetch_timeout_ms(Some(bad)).unwrap_err();
            assert!(e.contains(VAR_FETCH_TIMEOUT_MS) && e.contains(bad), "{e}");
        }
    }

    #[test]
    fn a_timeout_names_the_limit() {
        let e = timed_out(1_000);
        assert!(e.contains("1000 ms") && e.contains(VAR_FETCH_TIMEOUT_MS), "{e}");
    }
}
