//! The impression strategies (spec §6.2; JS `impressionsTracker.ts` and `trackers/strategy/*.ts`):
//! per impression, whether it is sent, and what is counted and tracked on the way.

use super::{hour_start, ImpressionCounts, ImpressionObserver, ImpressionsMode, UniqueKeys};
use crate::impressions::{Impression, ImpressionRef};

/// The configured mode's strategy plus the NONE strategy that disabled impressions take.
///
/// | mode | impression with properties | otherwise |
/// |---|---|---|
/// | OPTIMIZED | sent, no `pt`, not counted | `pt` = observer; counted when `pt` is set; sent iff no `pt` or `pt` before this hour |
/// | DEBUG | sent as is | `pt` = observer; sent |
/// | NONE (and disabled) | counted + unique key, not sent | counted + unique key, not sent |
///
/// `pt` follows JS truthiness: a previous time of 0 counts as none.
#[derive(Debug, Clone)]
pub struct Strategy {
    mode: ImpressionsMode,
    observer: ImpressionObserver,
}

impl Strategy {
    /// The strategy of `mode`, de-duplicating with `observer`.
    #[must_use]
    pub fn new(mode: ImpressionsMode, observer: ImpressionObserver) -> Strategy {
        Strategy { mode, observer }
    }

    /// The configured mode.
    #[must_use]
    pub fn mode(&self) -> ImpressionsMode {
        self.mode
    }

    /// The de-duplication observer.
    #[must_use]
    pub fn observer(&self) -> &ImpressionObserver {
        &self.observer
    }

    /// Processes one impression at `now_ms` (JS `strategy.process`, or the NONE strategy when
    /// `disabled`): sets `imp.pt` where JS does, updates `counts` and `unique_keys`, and returns
    /// whether the impression is to be sent.
    pub fn process(
        &mut self,
        imp: &mut Impression,
        disabled: bool,
        now_ms: u64,
        counts: &mut ImpressionCounts,
        unique_keys: &mut UniqueKeys,
    ) -> bool {
        let decision = self.decide(&imp.as_ref(), disabled, now_ms, counts, unique_keys);
        if decision.observed {
            imp.pt = decision.pt;
        }
        decision.send
    }

    /// [`Strategy::process`] on a borrowed impression: nothing is copied, so an impression that
    /// is only counted costs no allocation.
    pub fn decide(
        &mut self,
        imp: &ImpressionRef<'_>,
        disabled: bool,
        now_ms: u64,
        counts: &mut ImpressionCounts,
        unique_keys: &mut UniqueKeys,
    ) -> Decision {
        let mode = if disabled { ImpressionsMode::None } else { self.mode };
        match mode {
            ImpressionsMode::None => {
                counts.track(imp.feature, now_ms, 1);
                unique_keys.track(imp.key_name, imp.feature);
                Decision { send: false, pt: None, observed: false }
            }
            ImpressionsMode::Debug => {
                if imp.has_properties() {
                    return Decision { send: true, pt: None, observed: false };
                }
                Decision { send: true, pt: self.observer.test_and_set(imp), observed: true }
            }
            ImpressionsMode::Optimized => {
                if imp.has_properties() {
                    return Decision { send: true, pt: None, observed: false };
                }
                let pt = self.observer.test_and_set(imp);
                let send = match pt {
                    Some(pt) if pt != 0 => {
                        counts.track(imp.feature, now_ms, 1);
                        pt < hour_start(now_ms)
                    }
                    _ => true,
                };
                Decision { send, pt, observed: true }
            }
        }
    }
}

/// What a strategy decided for one impression.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    /// Whether the impression is sent in `testImpressions/bulk`.
    pub send: bool,
    /// The previous time the observer had seen it.
    pub pt: Option<u64>,
    /// Whether the observer was consulted (so `pt` is meaningful).
    pub observed: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: u64 = 1_699_999_200_000; // an hour start

    fn imp(time: u64) -> Impression {
        Impression {
            feature: "f".into(),
            key_name: "k".into(),
            treatment: "on".into(),
            time,
            label: "l".into(),
            change_number: Some(1),
            ..Impression::default()
        }
    }

    fn run(s: &mut Strategy, i: &mut Impression, disabled: bool, c: &mut ImpressionCounts, u: &mut UniqueKeys) -> bool {
        let now = i.time;
        s.process(i, disabled, now, c, u)
    }

    #[test]
    fn optimized_dedups_within_the_hour() {
        let (mut c, mut u) = (ImpressionCounts::new(), UniqueKeys::new());
        let mut s = Strategy::new(ImpressionsMode::Optimized, ImpressionObserver::new(100));
        let mut a = imp(T0 + 10);
        assert!(run(&mut s, &mut a, false, &mut c, &mut u));
        assert_eq!(a.pt, None);
        assert!(c.is_empty());
        let mut b = imp(T0 + 20);
        assert!(!run(&mut s, &mut b, false, &mut c, &mut u), "repeat in the same hour: only counted");
        assert_eq!(b.pt, Some(T0 + 10));
        let mut n = imp(T0 + 3_600_000 + 5);
        assert!(run(&mut s, &mut n, false, &mut c, &mut u), "first repeat in the next hour: sent");
        assert_eq!(n.pt, Some(T0 + 20));
        let rows = c.take();
        assert_eq!(rows.len(), 2);
        assert_eq!((rows[0].hour_ms, rows[0].count), (T0, 1));
        assert_eq!((rows[1].hour_ms, rows[1].count), (T0 + 3_600_000, 1));
        assert!(u.is_empty());
    }

    #[test]
    fn optimized_properties_bypass_the_observer() {
        let (mut c, mut u) = (ImpressionCounts::new(), UniqueKeys::new());
        let mut s = Strategy::new(ImpressionsMode::Optimized, ImpressionObserver::new(100));
        for t in 0..3 {
            let mut i = imp(T0 + t);
            i.properties = Some("{\"a\":1}".into());
            assert!(run(&mut s, &mut i, false, &mut c, &mut u));
            assert_eq!(i.pt, None);
        }
        assert!(c.is_empty());
        assert!(s.observer().is_empty());
        // An empty properties string is falsy in JS.
        let mut i = imp(T0 + 5);
        i.properties = Some(String::new());
        assert!(run(&mut s, &mut i, false, &mut c, &mut u));
        assert_eq!(s.observer().len(), 1);
    }

    #[test]
    fn optimized_zero_previous_time_is_falsy() {
        let (mut c, mut u) = (ImpressionCounts::new(), UniqueKeys::new());
        let mut s = Strategy::new(ImpressionsMode::Optimized, ImpressionObserver::new(100));
        let mut a = imp(0);
        assert!(s.process(&mut a, false, T0, &mut c, &mut u));
        let mut b = imp(5);
        assert!(s.process(&mut b, false, T0, &mut c, &mut u), "pt 0 is not a previous time");
        assert_eq!(b.pt, Some(0));
        assert!(c.is_empty());
    }

    #[test]
    fn debug_sets_pt_and_always_sends() {
        let (mut c, mut u) = (ImpressionCounts::new(), UniqueKeys::new());
        let mut s = Strategy::new(ImpressionsMode::Debug, ImpressionObserver::new(100));
        let mut a = imp(T0 + 1);
        assert!(run(&mut s, &mut a, false, &mut c, &mut u));
        let mut b = imp(T0 + 2);
        assert!(run(&mut s, &mut b, false, &mut c, &mut u));
        assert_eq!((a.pt, b.pt), (None, Some(T0 + 1)));
        let mut p = imp(T0 + 3);
        p.properties = Some("{}x".into());
        assert!(run(&mut s, &mut p, false, &mut c, &mut u));
        assert_eq!(p.pt, None);
        assert!(c.is_empty() && u.is_empty());
    }

    #[test]
    fn none_and_disabled_count_and_track_keys() {
        for (mode, disabled) in
            [(ImpressionsMode::None, false), (ImpressionsMode::Optimized, true), (ImpressionsMode::Debug, true)]
        {
            let (mut c, mut u) = (ImpressionCounts::new(), UniqueKeys::new());
            let mut s = Strategy::new(mode, ImpressionObserver::new(100));
            let mut a = imp(T0 + 1);
            let mut b = imp(T0 + 2);
            b.key_name = "k2".into();
            b.properties = Some("{\"a\":1}".into());
            assert!(!run(&mut s, &mut a, disabled, &mut c, &mut u));
            assert!(!run(&mut s, &mut b, disabled, &mut c, &mut u));
            assert_eq!(a.pt, None);
            assert_eq!(c.rows()[0].count, 2);
            assert_eq!(u.take()[0].keys, vec!["k".to_string(), "k2".to_string()]);
            assert!(s.observer().is_empty());
        }
    }
}
