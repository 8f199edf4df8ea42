//! [`ChunkMap`]: a sorted map cut into chunks of [`CHUNK`] consecutive keys, each chunk shared copy-on-write.
//!
//! Why: a [`crate::Timeline`] keeps checkpoints of the whole [`super::ViewState`]. With one `BTreeMap` per field a
//! checkpoint at 262,144 pages copied every PTE and frame (about 70 MiB). With chunks behind `Arc`s, cloning a
//! view copies only the chunk index (one pointer per 512 keys), and the first change to a chunk after a clone
//! copies that chunk alone. Checkpoints taken a few thousand events apart then share everything the events
//! between them did not touch, so memory grows with what changed, not with the size of the world.
//!
//! Reads look like a `BTreeMap`'s (`get`, `iter`, `range`, `keys`, `values`, `m[&k]`) and visit keys in the
//! same order: a chunk id is the key with its low bits dropped, so chunk order is key order.

use std::collections::BTreeMap;
use std::fmt;
use std::ops::{Bound, RangeBounds};
use std::sync::Arc;

/// Keys per chunk: one PMD's worth of pages (or frames, or array slots).
pub const CHUNK: u32 = 512;
const CHUNK_SHIFT: u32 = CHUNK.trailing_zeros();

/// A key whose chunk is the key with its low bits dropped (so ordering chunks orders keys).
pub trait ChunkKey: Ord + Copy {
    type Chunk: Ord + Copy;
    fn chunk(&self) -> Self::Chunk;
}

/// (mm or array or mirror, page or index).
impl ChunkKey for (u8, u32) {
    type Chunk = (u8, u32);
    fn chunk(&self) -> (u8, u32) {
        (self.0, self.1 >> CHUNK_SHIFT)
    }
}

/// A pfn or a swap slot.
impl ChunkKey for u32 {
    type Chunk = u32;
    fn chunk(&self) -> u32 {
        self >> CHUNK_SHIFT
    }
}

/// A lock: a folio's `PG_locked` by pfn and a PTE table's PTL by PMD index, chunked like frames and pages (a
/// driver that locks every folio of a 1 GiB range holds 262,144 of them); the few other locks each on their
/// own. Chunks keep `LockId`'s order: variant first, then the number with its low bits dropped.
impl ChunkKey for crate::trace::LockId {
    type Chunk = crate::trace::LockId;
    fn chunk(&self) -> crate::trace::LockId {
        use crate::trace::LockId;
        match *self {
            LockId::Folio(pfn) => LockId::Folio(pfn >> CHUNK_SHIFT),
            LockId::Ptl { mm, pmd } => LockId::Ptl {
                mm,
                pmd: pmd >> CHUNK_SHIFT,
            },
            other => other,
        }
    }
}

/// One chunk: its entries sorted by key (at most [`CHUNK`]), shared until written.
type Chunk<K, V> = Arc<Vec<(K, V)>>;

/// A sorted map whose clones share unchanged chunks (see the module documentation).
pub struct ChunkMap<K: ChunkKey, V> {
    chunks: BTreeMap<K::Chunk, Chunk<K, V>>,
    len: usize,
}

impl<K: ChunkKey, V: Clone> ChunkMap<K, V> {
    pub fn new() -> Self {
        ChunkMap {
            chunks: BTreeMap::new(),
            len: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn get(&self, key: &K) -> Option<&V> {
        let chunk = self.chunks.get(&key.chunk())?;
        let i = chunk.binary_search_by(|(k, _)| k.cmp(key)).ok()?;
        Some(&chunk[i].1)
    }

    pub fn contains_key(&self, key: &K) -> bool {
        self.get(key).is_some()
    }

    /// The chunk `key` falls in, made this map's own (copied if a clone still shares it).
    fn chunk_mut(&mut self, key: &K) -> &mut Vec<(K, V)> {
        Arc::make_mut(self.chunks.entry(key.chunk()).or_default())
    }

    /// Insert or replace; the old value, if any.
    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        let chunk = self.chunk_mut(&key);
        match chunk.binary_search_by(|(k, _)| k.cmp(&key)) {
            Ok(i) => Some(std::mem::replace(&mut chunk[i].1, value)),
            Err(i) => {
                chunk.insert(i, (key, value));
                self.len += 1;
                None
            }
        }
    }

    /// The value at `key`, inserting `make()` first if there is none.
    pub fn get_or_insert_with(&mut self, key: K, make: impl FnOnce() -> V) -> &mut V {
        let ChunkMap { chunks, len } = self;
        let chunk = Arc::make_mut(chunks.entry(key.chunk()).or_default());
        let i = match chunk.binary_search_by(|(k, _)| k.cmp(&key)) {
            Ok(i) => i,
            Err(i) => {
                chunk.insert(i, (key, make()));
                *len += 1;
                i
            }
        };
        &mut chunk[i].1
    }

    pub fn remove(&mut self, key: &K) -> Option<V> {
        let shared = self.chunks.get(&key.chunk())?;
        // Do not copy a shared chunk only to find the key absent.
        let i = shared.binary_search_by(|(k, _)| k.cmp(key)).ok()?;
        let chunk = self.chunk_mut(key);
        let (_, value) = chunk.remove(i);
        if chunk.is_empty() {
            self.chunks.remove(&key.chunk());
        }
        self.len -= 1;
        Some(value)
    }

    /// Entries in key order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&K, &V)> + '_ {
        self.chunks
            .values()
            .flat_map(|c| c.iter().map(|(k, v)| (k, v)))
    }

    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &K> + '_ {
        self.iter().map(|(k, _)| k)
    }

    pub fn values(&self) -> impl DoubleEndedIterator<Item = &V> + '_ {
        self.iter().map(|(_, v)| v)
    }

    /// Entries whose keys fall in `range`, in key order.
    pub fn range<R: RangeBounds<K>>(&self, range: R) -> impl Iterator<Item = (&K, &V)> + '_ {
        let start = range.start_bound().cloned();
        let end = range.end_bound().cloned();
        let first_chunk = match start {
            Bound::Included(k) | Bound::Excluded(k) => Bound::Included(k.chunk()),
            Bound::Unbounded => Bound::Unbounded,
        };
        let after_start = move |k: &K| match start {
            Bound::Included(s) => *k >= s,
            Bound::Excluded(s) => *k > s,
            Bound::Unbounded => true,
        };
        let before_end = move |k: &K| match end {
            Bound::Included(e) => *k <= e,
            Bound::Excluded(e) => *k < e,
            Bound::Unbounded => true,
        };
        self.chunks
            .range((first_chunk, Bound::Unbounded))
            .flat_map(|(_, c)| c.iter().map(|(k, v)| (k, v)))
            .skip_while(move |(k, _)| !after_start(k))
            .take_while(move |(k, _)| before_end(k))
    }

    /// Each chunk's allocation (its address, to tell shared chunks apart, and its bytes): what
    /// [`crate::Timeline::bytes_held`] adds up once per distinct chunk.
    pub(super) fn chunk_allocations(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        self.chunks.values().map(|c| {
            (
                Arc::as_ptr(c) as usize,
                c.capacity() * std::mem::size_of::<(K, V)>(),
            )
        })
    }

    /// Bytes of the chunk index itself (an estimate: a B-tree entry's key and pointer, doubled for nodes).
    pub(super) fn index_bytes(&self) -> usize {
        2 * self.chunks.len() * (std::mem::size_of::<K::Chunk>() + std::mem::size_of::<usize>())
    }
}

impl<K: ChunkKey, V> Clone for ChunkMap<K, V> {
    /// Shares every chunk: copies one pointer per chunk.
    fn clone(&self) -> Self {
        ChunkMap {
            chunks: self.chunks.clone(),
            len: self.len,
        }
    }
}

impl<K: ChunkKey, V: Clone> Default for ChunkMap<K, V> {
    fn default() -> Self {
        ChunkMap::new()
    }
}

impl<K: ChunkKey, V: Clone + PartialEq> PartialEq for ChunkMap<K, V> {
    fn eq(&self, other: &Self) -> bool {
        self.len == other.len && self.iter().eq(other.iter())
    }
}

impl<K: ChunkKey, V: Clone + Eq> Eq for ChunkMap<K, V> {}

impl<K: ChunkKey + fmt::Debug, V: Clone + fmt::Debug> fmt::Debug for ChunkMap<K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl<K: ChunkKey, V: Clone> std::ops::Index<&K> for ChunkMap<K, V> {
    type Output = V;
    /// Panics when the key is absent, as `BTreeMap`'s index does (for tests and known keys).
    fn index(&self, key: &K) -> &V {
        self.get(key)
            .expect("no entry for this key in the ChunkMap")
    }
}

impl<'a, K: ChunkKey, V: Clone> IntoIterator for &'a ChunkMap<K, V> {
    type Item = (&'a K, &'a V);
    type IntoIter = Box<dyn DoubleEndedIterator<Item = (&'a K, &'a V)> + 'a>;
    fn into_iter(self) -> Self::IntoIter {
        Box::new(self.iter())
    }
}

impl<K: ChunkKey, V: Clone> FromIterator<(K, V)> for ChunkMap<K, V> {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(entries: I) -> Self {
        let mut m = ChunkMap::new();
        for (k, v) in entries {
            m.insert(k, v);
        }
        m
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every operation agrees with a `BTreeMap`, through clones that share chunks, in a deterministic
    /// pseudo-random mix of keys spread over several chunks.
    #[test]
    fn behaves_like_a_btreemap_through_clones() {
        let mut model: BTreeMap<(u8, u32), u32> = BTreeMap::new();
        let mut map: ChunkMap<(u8, u32), u32> = ChunkMap::new();
        let mut snapshots = Vec::new();
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for step in 0..20_000u32 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let key = ((x % 3) as u8, ((x >> 8) % 3000) as u32);
            match (x >> 40) % 4 {
                0 => assert_eq!(map.remove(&key), model.remove(&key)),
                1 => {
                    *map.get_or_insert_with(key, || 7) += 1;
                    *model.entry(key).or_insert(7) += 1;
                }
                _ => assert_eq!(map.insert(key, step), model.insert(key, step)),
            }
            if step % 1000 == 0 {
                snapshots.push((map.clone(), model.clone()));
            }
        }
        assert_eq!(map.len(), model.len());
        assert!(map.iter().eq(model.iter()));
        assert!(map.iter().rev().eq(model.iter().rev()));
        let (lo, hi) = ((1, 700), (2, 1030));
        assert!(map.range(lo..hi).eq(model.range(lo..hi)));
        assert!(map.range(lo..=hi).eq(model.range(lo..=hi)));
        assert!(map.range(..hi).eq(model.range(..hi)));
        assert!(map
            .range((Bound::Excluded(lo), Bound::Unbounded))
            .eq(model.range((Bound::Excluded(lo), Bound::Unbounded))));
        // Later writes never leaked into the clones taken earlier.
        for (snap, at_the_time) in snapshots {
            assert_eq!(snap.len(), at_the_time.len());
            assert!(snap.iter().eq(at_the_time.iter()));
        }
    }

    /// A clone shares every chunk until one is written; then only that chunk is copied.
    #[test]
    fn a_clone_copies_only_the_chunk_written() {
        let map: ChunkMap<u32, u64> = (0..4 * CHUNK).map(|k| (k, k as u64)).collect();
        let mut copy = map.clone();
        let shared = |a: &ChunkMap<u32, u64>, b: &ChunkMap<u32, u64>| {
            a.chunk_allocations()
                .zip(b.chunk_allocations())
                .filter(|(x, y)| x.0 == y.0)
                .count()
        };
        assert_eq!(shared(&map, &copy), 4);
        copy.insert(CHUNK + 3, 0);
        assert_eq!(shared(&map, &copy), 3);
        assert_eq!(map.get(&(CHUNK + 3)), Some(&(CHUNK as u64 + 3)));
        // Removing an absent key copies nothing.
        copy.remove(&(10 * CHUNK));
        copy.remove(&(5 * CHUNK));
        assert_eq!(shared(&map, &copy), 3);
    }
}
