//! Impression counts (JS `ImpressionCountsCacheInMemory`): how many impressions of each flag were
//! counted in each clock hour, in first-counted order (the JS cache keys `feature::hour` are never
//! array indices, so JS iterates them in insertion order).

use rustc_hash::FxHashMap;

use super::hour_start;

/// One `pf` row: a flag, an hour and a count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImpressionCount {
    /// The flag name.
    pub feature: String,
    /// The start of the hour, in ms since the epoch.
    pub hour_ms: u64,
    /// How many impressions were counted.
    pub count: u64,
}

impl ImpressionCount {
    /// A rough upper estimate of this row's share of a `testImpressions/count` body, in bytes.
    #[must_use]
    pub fn estimated_json_len(&self) -> usize {
        // {"f":"","m":1700000000000,"rc":12345678},
        48usize.saturating_add(self.feature.len())
    }
}

/// The counts collected since the last [`ImpressionCounts::take`].
#[derive(Debug, Clone, Default)]
pub struct ImpressionCounts {
    /// Rows in first-counted order.
    rows: Vec<ImpressionCount>,
    /// Flag name → (hour, row index) for each hour counted.
    index: FxHashMap<String, Vec<(u64, usize)>>,
    estimated_bytes: usize,
}

impl ImpressionCounts {
    /// No counts.
    #[must_use]
    pub fn new() -> ImpressionCounts {
        ImpressionCounts::default()
    }

    /// Adds `amount` to the count of `feature` in the hour holding `now_ms` (JS `track`).
    /// Returns whether this started a new row.
    pub fn track(&mut self, feature: &str, now_ms: u64, amount: u64) -> bool {
        let hour = hour_start(now_ms);
        if let Some(hours) = self.index.get_mut(feature) {
            if let Some(&(_, row)) = hours.iter().find(|(h, _)| *h == hour) {
                if let Some(r) = self.rows.get_mut(row) {
                    r.count = r.count.saturating_add(amount);
                }
                return false;
            }
            hours.push((hour, self.rows.len()));
        } else {
            self.index.insert(feature.to_owned(), vec![(hour, self.rows.len())]);
        }
        let row = ImpressionCount { feature: feature.to_owned(), hour_ms: hour, count: amount };
        self.estimated_bytes = self.estimated_bytes.saturating_add(row.estimated_json_len());
        self.rows.push(row);
        true
    }

    /// How many rows (flag × hour) are held.
    #[must_use]
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether nothing was counted.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The estimated size of the rows' part of a body, in bytes.
    #[must_use]
    pub fn estimated_bytes(&self) -> usize {
        self.estimated_bytes
    }

    /// The rows, in first-counted order.
    #[must_use]
    pub fn rows(&self) -> &[ImpressionCount] {
        &self.rows
    }

    /// Takes every row out, leaving the counts empty (JS `pop`).
    pub fn take(&mut self) -> Vec<ImpressionCount> {
        self.index.clear();
        self.estimated_bytes = 0;
        std::mem::take(&mut self.rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_per_flag_and_hour_in_first_counted_order() {
        let mut c = ImpressionCounts::new();
        let h = 1_700_000_000_000 - 1_700_000_000_000 % 3_600_000;
        assert!(c.track("b", h + 5, 1));
        assert!(c.track("a", h + 6, 1));
        assert!(!c.track("b", h + 3_599_999, 2));
        assert!(c.track("b", h + 3_600_000, 1));
        assert_eq!(c.len(), 3);
        let rows = c.take();
        assert_eq!(
            rows,
            vec![
                ImpressionCount { feature: "b".into(), hour_ms: h, count: 3 },
                ImpressionCount { feature: "a".into(), hour_ms: h, count: 1 },
                ImpressionCount { feature: "b".into(), hour_ms: h + 3_600_000, count: 1 },
            ]
        );
        assert!(c.is_empty());
        assert_eq!(c.estimated_bytes(), 0);
        assert!(c.track("b", h, 1), "a fresh row after take");
    }
}
