//! Sorting through one shared instantiation of the standard sort.
//!
//! Every `slice::sort*` call with its own element type or comparator is its own copy of the
//! standard library's sort in the binary (2–4 KB of wasm each). The functions here sort a list of
//! indices instead, with the comparator behind a `dyn`, so the whole crate carries one copy; the
//! elements are then moved into place. The order is the standard *stable* sort's: ties keep
//! their input order, so these replace `sort`, `sort_by`, `sort_by_key` and, where equal
//! elements are indistinguishable, their `_unstable` forms, with identical results.
//!
//! ```
//! let mut v = vec![(2, "b"), (1, "z"), (2, "a")];
//! split_edge::order::sort_by_key(&mut v, |p| p.0);
//! assert_eq!(v, [(1, "z"), (2, "b"), (2, "a")]);
//! ```

use std::cmp::Ordering;

/// Sorts `items` by `cmp`, stably (equal elements keep their order).
pub fn sort_by<T>(items: &mut Vec<T>, mut cmp: impl FnMut(&T, &T) -> Ordering) {
    if items.len() < 2 {
        return;
    }
    let order = {
        let slice: &[T] = items;
        permutation(slice.len(), &mut |a, b| match (slice.get(a), slice.get(b)) {
            (Some(x), Some(y)) => cmp(x, y),
            _ => Ordering::Equal,
        })
    };
    let mut slots: Vec<Option<T>> = items.drain(..).map(Some).collect();
    items.extend(order.into_iter().filter_map(|i| slots.get_mut(i).and_then(Option::take)));
}

/// Sorts `items` by the key `key` gives, stably.
pub fn sort_by_key<T, K: Ord>(items: &mut Vec<T>, mut key: impl FnMut(&T) -> K) {
    sort_by(items, |a, b| key(a).cmp(&key(b)));
}

/// Sorts `items` in their `Ord` order, stably.
pub fn sort<T: Ord>(items: &mut Vec<T>) {
    sort_by(items, T::cmp);
}

/// The indices `0..len` in the order `cmp` (over indices) gives them, ties by index: the one
/// instantiation of the standard sort.
fn permutation(len: usize, cmp: &mut dyn FnMut(usize, usize) -> Ordering) -> Vec<usize> {
    let mut indices: Vec<usize> = (0..len).collect();
    indices.sort_unstable_by(|&a, &b| cmp(a, b).then(a.cmp(&b)));
    indices
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_order_as_the_standard_stable_sort() {
        let mut seed = 0x2545_f491_u64;
        for len in [0usize, 1, 2, 3, 7, 20, 33, 100, 1000] {
            let items: Vec<(u8, usize)> = (0..len)
                .map(|i| {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    ((seed % 5) as u8, i)
                })
                .collect();
            let mut want = items.clone();
            want.sort_by_key(|p| p.0);
            let mut got = items.clone();
            sort_by_key(&mut got, |p| p.0);
            assert_eq!(got, want, "len {len}");
            let mut want = items.clone();
            want.sort();
            let mut got = items;
            sort(&mut got);
            assert_eq!(got, want, "len {len}");
        }
    }

    #[test]
    fn strings_and_custom_orders() {
        let mut v: Vec<String> = ["b", "a", "c", "a"].map(String::from).into();
        sort(&mut v);
        assert_eq!(v, ["a", "a", "b", "c"]);
        sort_by(&mut v, |a, b| b.cmp(a));
        assert_eq!(v, ["c", "b", "a", "a"]);
    }
}
