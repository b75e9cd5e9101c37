//! The results of the dependencies one top-level evaluation has already computed.
//!
//! Within one evaluation every dependency sees the same attributes, so a flag (or rule-based
//! segment) evaluated again for the same key gives the same answer: it is computed once. An entry
//! is [`State::Running`] while its evaluation is under way; meeting it again means a cycle.
//! Nothing is allocated until the first dependency is stored.

use std::collections::HashMap;

use crate::key::KeyRef;

/// Where the evaluation of one (definition, key) pair stands.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum State<T> {
    /// Being evaluated: a dependency on it now is a cycle.
    Running,
    /// Evaluated, with this answer.
    Done(T),
}

/// Answers per definition (by address: definitions live in the snapshot for the whole
/// evaluation) and key. A definition is reached with few distinct keys (the evaluated key, or
/// an attribute's value for attribute-keyed dependencies), so each keeps a short list.
#[derive(Debug)]
pub(super) struct Memo<'k, T> {
    entries: Option<HashMap<usize, Entries<'k, T>>>,
}

/// The states of one definition, per key.
type Entries<'k, T> = Vec<(KeyRef<'k>, State<T>)>;

impl<'k, T: Clone> Memo<'k, T> {
    /// An empty memo (no allocation).
    pub(super) fn new() -> Memo<'k, T> {
        Memo { entries: None }
    }

    /// The state of `definition` for `key`, if it was reached before.
    pub(super) fn get<D>(&self, definition: &D, key: KeyRef<'k>) -> Option<State<T>> {
        let list = self.entries.as_ref()?.get(&address(definition))?;
        list.iter().find(|(k, _)| *k == key).map(|(_, s)| s.clone())
    }

    /// Records the state of `definition` for `key`.
    pub(super) fn set<D>(&mut self, definition: &D, key: KeyRef<'k>, state: State<T>) {
        let list = self.entries.get_or_insert_with(HashMap::new).entry(address(definition)).or_default();
        match list.iter_mut().find(|(k, _)| *k == key) {
            Some(entry) => entry.1 = state,
            None => list.push((key, state)),
        }
    }
}

fn address<D>(definition: &D) -> usize {
    std::ptr::from_ref(definition) as usize
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key::KeyPart;

    fn key(s: &str) -> KeyRef<'_> {
        KeyRef { matching: KeyPart::Str(s), bucketing: KeyPart::Str(s) }
    }

    #[test]
    fn answers_per_definition_and_key() {
        let (one, two) = (1u8, 2u8);
        let mut memo: Memo<'_, &str> = Memo::new();
        assert_eq!(memo.get(&one, key("k")), None);
        memo.set(&one, key("k"), State::Running);
        assert_eq!(memo.get(&one, key("k")), Some(State::Running));
        memo.set(&one, key("k"), State::Done("on"));
        memo.set(&one, key("j"), State::Done("off"));
        assert_eq!(memo.get(&one, key("k")), Some(State::Done("on")));
        assert_eq!(memo.get(&one, key("j")), Some(State::Done("off")));
        assert_eq!(memo.get(&two, key("k")), None, "another definition");
        let split = KeyRef { matching: KeyPart::Str("k"), bucketing: KeyPart::Str("b") };
        assert_eq!(memo.get(&one, split), None, "another bucketing key");
    }
}
