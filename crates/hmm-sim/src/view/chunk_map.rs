//! [`ChunkMap`]: a sorted map cut into chunks of [`CHUNK`] consecutive keys, each chunk shared copy-on-write.
//!
//! Why: a [`crate::Timeline`] keeps checkpoints of the whole [`super::ViewState`]. With one `BTreeMap` per field a
//! checkpoint at 262,144 pages copied every PTE and frame (about 70 MiB). Here the chunks sit behind `Arc`s,
//! and so do the indexes of chunks, one per group of [`GROUP`] chunks: cloning a map copies one pointer per
//! group (8 for 262,144 pages), and the first write to a chunk after a clone copies that chunk and its
//! group's index alone. Checkpoints a few thousand events apart then share everything the events between
//! them did not touch, so memory grows with what changed, not with the size of the world.
//!
//! Reads look like a `BTreeMap`'s (`get`, `iter`, `range`, `keys`, `values`, `m[&k]`) and visit keys in the
//! same order: a chunk or group id is the key with its low bits dropped, so id order is key order.

use std::collections::BTreeMap;
use std::fmt;
use std::ops::{Bound, RangeBounds};
use std::sync::Arc;

/// Keys per chunk: one PMD's worth of pages (or frames, or array slots).
pub const CHUNK: u32 = 512;
const CHUNK_SHIFT: u32 = CHUNK.trailing_zeros();
/// Chunks per group (one shared index each): 32,768 keys, 128 MiB of pages.
pub const GROUP: u32 = 64;
const GROUP_SHIFT: u32 = CHUNK_SHIFT + GROUP.trailing_zeros();

/// A key that can drop its low bits: `id(shift)` is the chunk (or group) the key falls in, and ordering
/// ids orders keys.
pub trait ChunkKey: Ord + Copy {
    type Id: Ord + Copy;
    fn id(&self, shift: u32) -> Self::Id;
}

/// (mm or array or mirror, page or index).
impl ChunkKey for (u8, u32) {
    type Id = (u8, u32);
    fn id(&self, shift: u32) -> (u8, u32) {
        (self.0, self.1 >> shift)
    }
}

/// A pfn or a swap slot.
impl ChunkKey for u32 {
    type Id = u32;
    fn id(&self, shift: u32) -> u32 {
        self >> shift
    }
}

/// A lock: a folio's `PG_locked` by pfn and a PTE table's PTL by PMD index, chunked like frames and pages (a
/// driver that locks every folio of a 1 GiB range holds 262,144 of them); the few other locks each on their
/// own. Ids keep `LockId`'s order: variant first, then the number with its low bits dropped.
impl ChunkKey for crate::trace::LockId {
    type Id = crate::trace::LockId;
    fn id(&self, shift: u32) -> crate::trace::LockId {
        use crate::trace::LockId;
        match *self {
            LockId::Folio(pfn) => LockId::Folio(pfn >> shift),
            LockId::Ptl { mm, pmd } => LockId::Ptl {
                mm,
                pmd: pmd >> shift,
            },
            other => other,
        }
    }
}

/// One chunk: its entries sorted by key (at most [`CHUNK`]), shared until written.
type Chunk<K, V> = Arc<Vec<(K, V)>>;
/// One group: the index of its chunks, shared until one of them is written.
type Group<K, V> = Arc<BTreeMap<<K as ChunkKey>::Id, Chunk<K, V>>>;

/// One chunk of a [`ChunkMap`], held: its entries, and whether another handle is the same chunk. Holding
/// it keeps the chunk alive, so a later chunk can never be mistaken for it.
#[derive(Clone, Debug)]
pub struct SharedChunk<K, V>(Chunk<K, V>);

impl<K, V> SharedChunk<K, V> {
    /// Its entries, sorted by key.
    pub fn entries(&self) -> &[(K, V)] {
        &self.0
    }

    /// Is `other` this very chunk (so its entries are these)?
    pub fn same(&self, other: &SharedChunk<K, V>) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

/// A sorted map whose clones share unchanged chunks (see the module documentation).
pub struct ChunkMap<K: ChunkKey, V> {
    groups: BTreeMap<K::Id, Group<K, V>>,
    len: usize,
}

impl<K: ChunkKey, V: Clone> ChunkMap<K, V> {
    pub fn new() -> Self {
        ChunkMap {
            groups: BTreeMap::new(),
            len: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn chunk(&self, key: &K) -> Option<&Vec<(K, V)>> {
        let group = self.groups.get(&key.id(GROUP_SHIFT))?;
        group.get(&key.id(CHUNK_SHIFT)).map(|c| &**c)
    }

    pub fn get(&self, key: &K) -> Option<&V> {
        let chunk = self.chunk(key)?;
        let i = chunk.binary_search_by(|(k, _)| k.cmp(key)).ok()?;
        Some(&chunk[i].1)
    }

    pub fn contains_key(&self, key: &K) -> bool {
        self.get(key).is_some()
    }

    /// Insert or replace; the old value, if any.
    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        let ChunkMap { groups, len } = self;
        let chunk = chunk_mut(groups, &key);
        match chunk.binary_search_by(|(k, _)| k.cmp(&key)) {
            Ok(i) => Some(std::mem::replace(&mut chunk[i].1, value)),
            Err(i) => {
                chunk.insert(i, (key, value));
                *len += 1;
                None
            }
        }
    }

    /// The value at `key`, inserting `make()` first if there is none.
    pub fn get_or_insert_with(&mut self, key: K, make: impl FnOnce() -> V) -> &mut V {
        let ChunkMap { groups, len } = self;
        let chunk = chunk_mut(groups, &key);
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
        // Do not copy a shared chunk only to find the key absent.
        let i = self
            .chunk(key)?
            .binary_search_by(|(k, _)| k.cmp(key))
            .ok()?;
        let (group_id, chunk_id) = (key.id(GROUP_SHIFT), key.id(CHUNK_SHIFT));
        let group = Arc::make_mut(self.groups.get_mut(&group_id).expect("found above"));
        let chunk = Arc::make_mut(group.get_mut(&chunk_id).expect("found above"));
        let (_, value) = chunk.remove(i);
        if chunk.is_empty() {
            group.remove(&chunk_id);
            if group.is_empty() {
                self.groups.remove(&group_id);
            }
        }
        self.len -= 1;
        Some(value)
    }

    /// Entries in key order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&K, &V)> + '_ {
        self.groups
            .values()
            .flat_map(|g| g.values())
            .flat_map(|c| c.iter().map(|(k, v)| (k, v)))
    }

    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &K> + '_ {
        self.iter().map(|(k, _)| k)
    }

    pub fn values(&self) -> impl DoubleEndedIterator<Item = &V> + '_ {
        self.iter().map(|(_, v)| v)
    }

    /// The chunk holding `key`'s neighbourhood (the keys of `key`'s id at the chunk level), if it has any
    /// entry: a handle that says whether two reads saw the same shared chunk, so a viewer that summarises
    /// chunks (the web overview's per-chunk counts) redoes only the chunks written since (a write copies
    /// its chunk, so an unwritten chunk stays the same one).
    pub fn chunk_at(&self, key: &K) -> Option<SharedChunk<K, V>> {
        let group = self.groups.get(&key.id(GROUP_SHIFT))?;
        group
            .get(&key.id(CHUNK_SHIFT))
            .map(|c| SharedChunk(c.clone()))
    }

    /// Entries whose keys fall in `range`, in key order.
    pub fn range<R: RangeBounds<K>>(&self, range: R) -> impl Iterator<Item = (&K, &V)> + '_ {
        let start = range.start_bound().cloned();
        let end = range.end_bound().cloned();
        let from = |shift: u32| match start {
            Bound::Included(k) | Bound::Excluded(k) => Bound::Included(k.id(shift)),
            Bound::Unbounded => Bound::Unbounded,
        };
        let (first_group, first_chunk) = (from(GROUP_SHIFT), from(CHUNK_SHIFT));
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
        self.groups
            .range((first_group, Bound::Unbounded))
            .flat_map(move |(_, g)| g.range((first_chunk, Bound::Unbounded)))
            .flat_map(|(_, c)| c.iter().map(|(k, v)| (k, v)))
            .skip_while(move |(k, _)| !after_start(k))
            .take_while(move |(k, _)| before_end(k))
    }

    /// The entry with the greatest key in `lo..=hi`, found from the top (without walking the range).
    pub fn last_in(&self, lo: K, hi: K) -> Option<(&K, &V)> {
        self.groups
            .range(..=hi.id(GROUP_SHIFT))
            .rev()
            .flat_map(|(_, g)| g.range(..=hi.id(CHUNK_SHIFT)).rev())
            .flat_map(|(_, c)| c.iter().rev())
            .find(|(k, _)| *k <= hi)
            .filter(|(k, _)| *k >= lo)
            .map(|(k, v)| (k, v))
    }

    /// Every allocation a clone may share (chunks, and groups' indexes), as (address, bytes): what
    /// [`crate::Timeline::bytes_held`] adds up once per distinct address.
    pub(super) fn shared_allocations(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        let index_entry = std::mem::size_of::<K::Id>() + std::mem::size_of::<usize>();
        self.groups.values().flat_map(move |g| {
            // A B-tree entry's key and pointer, doubled for its nodes: an estimate.
            let index = (Arc::as_ptr(g) as usize, 2 * g.len() * index_entry);
            let chunks = g.values().map(|c| {
                (
                    Arc::as_ptr(c) as usize,
                    c.capacity() * std::mem::size_of::<(K, V)>(),
                )
            });
            std::iter::once(index).chain(chunks)
        })
    }

    /// Bytes of the map's own index of groups (an estimate, as above): what each clone holds unshared.
    pub(super) fn index_bytes(&self) -> usize {
        2 * self.groups.len() * (std::mem::size_of::<K::Id>() + std::mem::size_of::<usize>())
    }
}

/// The chunk `key` falls in, made this map's own (it and its group's index copied if a clone shares them).
fn chunk_mut<'a, K: ChunkKey, V: Clone>(
    groups: &'a mut BTreeMap<K::Id, Group<K, V>>,
    key: &K,
) -> &'a mut Vec<(K, V)> {
    let group = Arc::make_mut(groups.entry(key.id(GROUP_SHIFT)).or_default());
    Arc::make_mut(group.entry(key.id(CHUNK_SHIFT)).or_default())
}

impl<K: ChunkKey, V> Clone for ChunkMap<K, V> {
    /// Shares every chunk: copies one pointer per group.
    fn clone(&self) -> Self {
        ChunkMap {
            groups: self.groups.clone(),
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

    /// A clone's chunks are the same chunks until written; a write makes only its own chunk another one.
    #[test]
    fn a_chunk_stays_the_same_until_written() {
        let mut map: ChunkMap<(u8, u32), u32> = (0..4 * CHUNK).map(|i| ((0, i), i)).collect();
        let before = map.clone();
        map.insert((0, CHUNK + 3), 99);
        for c in 0..4 {
            let key = (0, c * CHUNK + 1);
            let (old, new) = (
                before.chunk_at(&key).expect("chunk"),
                map.chunk_at(&key).expect("chunk"),
            );
            assert_eq!(old.same(&new), c != 1, "chunk {c}");
            assert_eq!(new.entries().len(), CHUNK as usize);
            assert_eq!(
                new.entries()[0],
                (
                    (0, c * CHUNK),
                    if c * CHUNK == CHUNK + 3 {
                        99
                    } else {
                        c * CHUNK
                    }
                )
            );
        }
        assert!(map.chunk_at(&(0, 4 * CHUNK)).is_none());
        assert!(map.chunk_at(&(1, 0)).is_none());
    }

    /// Every operation agrees with a `BTreeMap`, through clones that share chunks, in a deterministic
    /// pseudo-random mix of keys spread over several chunks.
    #[test]
    fn behaves_like_a_btreemap_through_clones() {
        let mut model: BTreeMap<(u8, u32), u32> = BTreeMap::new();
        let mut map: ChunkMap<(u8, u32), u32> = ChunkMap::new();
        let mut snapshots = Vec::new();
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for step in 0..60_000u32 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let key = ((x % 3) as u8, ((x >> 8) % 100_000) as u32);
            match (x >> 40) % 4 {
                0 => assert_eq!(map.remove(&key), model.remove(&key)),
                1 => {
                    *map.get_or_insert_with(key, || 7) += 1;
                    *model.entry(key).or_insert(7) += 1;
                }
                _ => assert_eq!(map.insert(key, step), model.insert(key, step)),
            }
            if step % 3000 == 0 {
                snapshots.push((map.clone(), model.clone()));
            }
        }
        assert_eq!(map.len(), model.len());
        assert!(map.iter().eq(model.iter()));
        assert!(map.iter().rev().eq(model.iter().rev()));
        let (lo, hi) = ((1, 700), (2, 40_000));
        assert!(map.range(lo..hi).eq(model.range(lo..hi)));
        assert!(map.range(lo..=hi).eq(model.range(lo..=hi)));
        assert!(map.range(..hi).eq(model.range(..hi)));
        for (lo, hi) in [
            (lo, hi),
            ((0, 0), (0, 0)),
            ((2, 99_999), (2, u32::MAX)),
            ((1, 5), (1, 4_000)),
        ] {
            assert_eq!(
                map.last_in(lo, hi),
                model.range(lo..=hi).next_back(),
                "{lo:?}..={hi:?}"
            );
        }
        assert!(map
            .range((Bound::Excluded(lo), Bound::Unbounded))
            .eq(model.range((Bound::Excluded(lo), Bound::Unbounded))));
        // Later writes never leaked into the clones taken earlier.
        for (snap, at_the_time) in snapshots {
            assert_eq!(snap.len(), at_the_time.len());
            assert!(snap.iter().eq(at_the_time.iter()));
        }
    }

    /// A clone shares every chunk and group index until one is written; then only that chunk and its group's
    /// index are copied.
    #[test]
    fn a_clone_copies_only_the_chunk_written() {
        // Chunks 0–3 in group 0, chunk GROUP alone in group 1.
        let keys = (0..4 * CHUNK).chain(GROUP * CHUNK..(GROUP + 1) * CHUNK);
        let map: ChunkMap<u32, u64> = keys.map(|k| (k, k as u64)).collect();
        let mut copy = map.clone();
        let shared = |a: &ChunkMap<u32, u64>, b: &ChunkMap<u32, u64>| {
            a.shared_allocations()
                .zip(b.shared_allocations())
                .filter(|(x, y)| x.0 == y.0)
                .count()
        };
        assert_eq!(map.shared_allocations().count(), 7);
        assert_eq!(shared(&map, &copy), 7);
        copy.insert(CHUNK + 3, 0);
        assert_eq!(shared(&map, &copy), 5);
        assert_eq!(map.get(&(CHUNK + 3)), Some(&(CHUNK as u64 + 3)));
        // Removing an absent key copies nothing.
        copy.remove(&(10 * CHUNK));
        copy.remove(&(5 * CHUNK));
        assert_eq!(shared(&map, &copy), 5);
        // Emptying a chunk drops it, and emptying a group drops its index.
        for k in GROUP * CHUNK..(GROUP + 1) * CHUNK {
            copy.remove(&k);
        }
        assert_eq!(copy.shared_allocations().count(), 5);
        assert!(copy.iter().eq(map
            .range(..4 * CHUNK)
            .map(|(k, v)| (k, if *k == CHUNK + 3 { &0 } else { v }))));
    }
}
