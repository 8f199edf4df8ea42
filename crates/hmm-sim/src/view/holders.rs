//! [`Holders`]: the threads holding one lock, as a view's lock table keeps them.

use std::ops::Deref;

use crate::trace::Tid;

/// Holders kept without a heap allocation: an exclusive lock has one; only an rwsem's readers share.
const INLINE: usize = 7;

/// The threads holding one lock, in the order they took it: inline up to seven, on the heap past that.
///
/// Why not a `Vec`: a view holds one entry per held lock, a driver may hold a folio lock per page of a 1 GiB
/// range, and every time-travel checkpoint copies the chunks of the lock table its interval wrote, so a heap
/// allocation per entry (and one more per copy) was a large part of what a lane holds in the browser.
/// Reads as a slice of thread ids.
#[derive(Clone)]
pub struct Holders(Repr);

#[derive(Clone)]
enum Repr {
    Inline { len: u8, tids: [Tid; INLINE] },
    Heap(Vec<Tid>),
}

impl Holders {
    /// No holder.
    pub const fn new() -> Holders {
        Holders(Repr::Inline {
            len: 0,
            tids: [0; INLINE],
        })
    }

    /// `thread` takes the lock too (after those holding it).
    pub fn push(&mut self, thread: Tid) {
        match &mut self.0 {
            Repr::Inline { len, tids } if (*len as usize) < INLINE => {
                tids[*len as usize] = thread;
                *len += 1;
            }
            Repr::Inline { tids, .. } => {
                let mut all = tids.to_vec();
                all.push(thread);
                self.0 = Repr::Heap(all);
            }
            Repr::Heap(all) => all.push(thread),
        }
    }

    /// The holder at `index` lets go (the others keep their order).
    pub fn remove(&mut self, index: usize) -> Tid {
        match &mut self.0 {
            Repr::Inline { len, tids } => {
                let t = tids[index];
                tids.copy_within(index + 1..*len as usize, index);
                *len -= 1;
                t
            }
            Repr::Heap(all) => all.remove(index),
        }
    }

    /// The last holder lets go.
    pub fn pop(&mut self) -> Option<Tid> {
        let last = self.len().checked_sub(1)?;
        Some(self.remove(last))
    }
}

impl Default for Holders {
    fn default() -> Holders {
        Holders::new()
    }
}

impl Deref for Holders {
    type Target = [Tid];

    fn deref(&self) -> &[Tid] {
        match &self.0 {
            Repr::Inline { len, tids } => &tids[..*len as usize],
            Repr::Heap(all) => all,
        }
    }
}

/// Equal when the same threads hold in the same order, however they are stored.
impl PartialEq for Holders {
    fn eq(&self, other: &Holders) -> bool {
        **self == **other
    }
}

impl Eq for Holders {}

impl std::fmt::Debug for Holders {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl FromIterator<Tid> for Holders {
    fn from_iter<I: IntoIterator<Item = Tid>>(iter: I) -> Holders {
        let mut h = Holders::new();
        for t in iter {
            h.push(t);
        }
        h
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Holders behave as the `Vec` they replace, across the inline/heap boundary: push, remove anywhere,
    /// pop, equality by content and order.
    #[test]
    fn holders_act_as_an_ordered_list() {
        let mut h = Holders::new();
        let mut v: Vec<Tid> = Vec::new();
        // A fixed mixed sequence of takes and releases, across the inline size both ways.
        let mut x = 7u32;
        let mut grew = false;
        for round in 0..400 {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            if v.is_empty() || (x >> 16).is_multiple_of(2) {
                let t = (x >> 8) as u8;
                h.push(t);
                v.push(t);
            } else if (x >> 20).is_multiple_of(2) {
                let i = (x >> 4) as usize % v.len();
                assert_eq!(h.remove(i), v.remove(i));
            } else {
                assert_eq!(h.pop(), v.pop());
            }
            assert_eq!(&*h, &v[..], "round {round}");
            assert_eq!(h, v.iter().copied().collect::<Holders>());
            grew |= v.len() > INLINE;
        }
        assert!(grew, "the sequence went past the inline size");
        assert!(Holders::new().pop().is_none());
        assert_ne!(
            [1, 2].into_iter().collect::<Holders>(),
            [2, 1].into_iter().collect::<Holders>()
        );
        assert_eq!(
            format!("{:?}", [3, 4].into_iter().collect::<Holders>()),
            "[3, 4]"
        );
    }
}
