//! The work budget of one top-level evaluation, in steps.
//!
//! A step is one matcher test, one nested evaluation (a dependency, a prerequisite, a rule-based
//! segment), or [`REGEX_UNITS_PER_STEP`] bytes of a `MATCHES_STRING` subject (a regex test costs
//! time in proportion to its subject: a few nanoseconds per unit, see [`crate::regex`]). With
//! dependencies memoized ([`super::memo`]) no definition is evaluated twice for one key, so the
//! budget only bounds snapshots that are large and attribute values that are long at once.

use std::cell::Cell;

/// The steps one top-level evaluation may take; past it the evaluation answers `control` with
/// label `exception` (as a flag the JS SDK throws on).
///
/// Realistic flags are far from it: a flag with 50 conditions of 5 matchers, depending on 20
/// such flags, costs about 5,000 steps with short attributes, and a regex over a 10,000-character
/// attribute costs 313. At roughly 0.1–0.3 µs per step (native), the budget is 10–30 ms of work
/// in the worst case, well inside a Worker's CPU limit, where an unbounded evaluation took
/// seconds (issue 16).
pub const MAX_STEPS: u32 = 100_000;

/// Bytes of a `MATCHES_STRING` subject charged as one step (on top of the matcher's own step).
pub const REGEX_UNITS_PER_STEP: usize = 32;

/// The steps left to one evaluation.
#[derive(Debug)]
pub(super) struct Budget {
    left: Cell<u32>,
    exceeded: Cell<bool>,
}

impl Budget {
    /// A full budget of [`MAX_STEPS`].
    pub(super) fn new() -> Budget {
        Budget::with_steps(MAX_STEPS)
    }

    /// A budget of `steps`.
    pub(super) fn with_steps(steps: u32) -> Budget {
        Budget { left: Cell::new(steps), exceeded: Cell::new(false) }
    }

    /// Takes `steps`; false (and the budget is exceeded from then on) when fewer are left.
    pub(super) fn charge(&self, steps: u32) -> bool {
        match self.left.get().checked_sub(steps) {
            Some(left) if !self.exceeded.get() => {
                self.left.set(left);
                true
            }
            _ => {
                self.exceeded.set(true);
                false
            }
        }
    }

    /// The steps a regex test over `subject_len` bytes costs beyond its matcher's own step.
    pub(super) fn regex_steps(subject_len: usize) -> u32 {
        u32::try_from(subject_len / REGEX_UNITS_PER_STEP).unwrap_or(u32::MAX)
    }

    /// Whether a charge failed.
    pub(super) fn exceeded(&self) -> bool {
        self.exceeded.get()
    }

    /// The steps taken so far out of `total`.
    #[cfg(test)]
    pub(super) fn used(&self, total: u32) -> u32 {
        total.saturating_sub(self.left.get())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charges_until_exceeded_then_refuses_everything() {
        let b = Budget::with_steps(10);
        assert!(b.charge(4));
        assert!(b.charge(6));
        assert!(!b.exceeded());
        assert!(!b.charge(1));
        assert!(b.exceeded());
        assert!(!b.charge(0), "exceeded stays exceeded");
        assert_eq!(b.used(10), 10);
    }

    #[test]
    fn regex_steps_grow_with_the_subject() {
        assert_eq!(Budget::regex_steps(0), 0);
        assert_eq!(Budget::regex_steps(31), 0);
        assert_eq!(Budget::regex_steps(10_000), 312);
        assert_eq!(Budget::regex_steps(usize::MAX), u32::MAX);
    }
}
