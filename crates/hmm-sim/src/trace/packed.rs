//! [`PackedTrace`]: a run's events held in a few bytes each instead of 16, readable from any index.
//!
//! Why: a 1 GiB scenario makes tens of millions of events per lane; kept whole as 16-byte [`Event`]s one lane
//! alone needs most of a wasm tab's memory. Runs are loops over pages, so consecutive events of one kind
//! differ by a constant stride (the next page, the next PFN) and most fields are predictable.
//!
//! Encoding (one event): a header byte, then only what the prediction missed (see `Context` for what
//! predicts what):
//! - header bit 0: the kind is not the predicted one → a kind byte;
//! - bit 1: the thread is not the previous event's thread → a thread byte;
//! - bit 2: the function is not the predicted one → the function as a LEB128;
//! - bits 3, 4, 5: field `a`, `b`, `c` is not its predicted value (last value plus last stride) → the
//!   wrapping difference from it, zigzag, LEB128.
//!
//! Measured (32,768 mixed pages, the three lanes): 2.2–2.4 bytes an event held, index included, against 16.
//!
//! Events are grouped in blocks of [`BLOCK_EVENTS`]; every block starts from a fresh prediction state, so
//! the seek index is one byte offset per block and any event is at most one block's decoding away.
//!
//! Kinds and functions are written as their declaration index (`Kind::ALL`, `Func::ALL`) and read back by
//! indexing those tables: adding a kind or a function needs no change here (a test checks the indices).
//!
//! Byte form ([`PackedTrace::to_bytes`]): `"HMMTRACE"`, the format version (u32 LE, [`PACKED_FORMAT`]),
//! the event count (u64 LE), the block size (u32 LE), the block count (u32 LE), each block's byte offset
//! (u64 LE), the encoded length (u64 LE), the encoded bytes. [`PackedTrace::from_bytes`] checks all of it and
//! decodes every block, so bad bytes are an error there and never later.

use super::{Event, Func, Kind, Tid};

/// Events per block: the most one random access decodes.
pub const BLOCK_EVENTS: usize = 4096;

/// Version of [`PackedTrace::to_bytes`]'s layout; [`PackedTrace::from_bytes`] refuses others.
pub const PACKED_FORMAT: u32 = 1;

const MAGIC: &[u8; 8] = b"HMMTRACE";

const KINDS: usize = Kind::ALL.len();
// Kinds travel as one byte.
const _: () = assert!(KINDS <= 256);

/// What the encoder and decoder predict from, learnt from the events of the current block only.
///
/// Predictions are keyed by the function too, because one loop iteration holds several events of one kind
/// that differ by role (a PTL and a folio lock, say), and each role has its own stride:
/// - the next kind, by the previous event's kind and function;
/// - the function, by the kind and the previous event's function;
/// - the fields, by the kind and function: last value plus last stride.
///
/// Tables are flat, indexed by kind × function; each slot carries the block it was written in, so starting
/// a block is one increment (a slot from an older block reads as zero) instead of clearing the tables.
#[derive(Clone)]
struct Context {
    block: u32,
    prev_kind: u8,
    prev_func: u16,
    thread: Tid,
    next_kind: Vec<(u32, u8)>,
    next_func: Vec<(u32, u16)>,
    fields: Vec<Slot>,
}

#[derive(Clone, Copy, Default)]
struct Slot {
    block: u32,
    last: [u32; 3],
    stride: [u32; 3],
}

const SLOTS: usize = KINDS * FUNCS;
const FUNCS: usize = Func::ALL.len();
// Functions travel as a LEB128 of at most 3 bytes, checked against `Func::ALL` when read.
const _: () = assert!(FUNCS <= u16::MAX as usize);

impl Context {
    fn new() -> Context {
        Context {
            block: 1,
            prev_kind: 0,
            prev_func: 0,
            thread: 0,
            next_kind: vec![(0, 0); SLOTS],
            next_func: vec![(0, 0); SLOTS],
            fields: vec![Slot::default(); SLOTS],
        }
    }

    /// Forget everything: the next event starts a block.
    fn reset(&mut self) {
        self.block = self.block.wrapping_add(1);
        if self.block == 0 {
            // Wrapped: clear for real, so no stale slot can match.
            *self = Context::new();
            return;
        }
        self.prev_kind = 0;
        self.prev_func = 0;
        self.thread = 0;
    }

    fn predict_kind(&self) -> u8 {
        let (b, k) = self.next_kind[self.prev_kind as usize * FUNCS + self.prev_func as usize];
        if b == self.block {
            k
        } else {
            0
        }
    }

    fn predict_func(&self, kind: u8) -> u16 {
        let (b, f) = self.next_func[kind as usize * FUNCS + self.prev_func as usize];
        if b == self.block {
            f
        } else {
            0
        }
    }

    fn slot(&self, kind: u8, func: u16) -> Slot {
        let s = self.fields[kind as usize * FUNCS + func as usize];
        if s.block == self.block {
            s
        } else {
            Slot::default()
        }
    }

    /// Learn from the event just coded (`prev` is the slot its fields were predicted from).
    fn update(&mut self, kind: u8, thread: Tid, func: u16, prev: Slot, fields: [u32; 3]) {
        let block = self.block;
        self.next_kind[self.prev_kind as usize * FUNCS + self.prev_func as usize] = (block, kind);
        self.next_func[kind as usize * FUNCS + self.prev_func as usize] = (block, func);
        self.fields[kind as usize * FUNCS + func as usize] = Slot {
            block,
            last: fields,
            stride: std::array::from_fn(|f| fields[f].wrapping_sub(prev.last[f])),
        };
        self.prev_kind = kind;
        self.prev_func = func;
        self.thread = thread;
    }
}

fn predict(slot: &Slot, f: usize) -> u32 {
    slot.last[f].wrapping_add(slot.stride[f])
}

fn put_varint(out: &mut Vec<u8>, mut v: u32) {
    while v >= 0x80 {
        out.push(v as u8 | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn zigzag(d: u32) -> u32 {
    let d = d as i32;
    ((d << 1) ^ (d >> 31)) as u32
}

fn unzigzag(z: u32) -> u32 {
    (z >> 1) ^ (z & 1).wrapping_neg()
}

/// A run's events, packed. Append with [`PackedTrace::push`]; read with [`PackedTrace::get`],
/// [`PackedTrace::iter_from`], [`PackedTrace::range`] or `for e in &trace` (events by value).
#[derive(Clone)]
pub struct PackedTrace {
    bytes: Vec<u8>,
    /// Byte offset of each block's first event.
    blocks: Vec<u64>,
    len: usize,
    /// The encoder's state at the end of the last block.
    ctx: Context,
}

impl Default for PackedTrace {
    fn default() -> PackedTrace {
        PackedTrace::new()
    }
}

impl std::fmt::Debug for PackedTrace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "PackedTrace {{ {} events in {} bytes }}",
            self.len,
            self.bytes.len()
        )
    }
}

impl PartialEq for PackedTrace {
    /// Same events (the encoding is a function of the events, so same bytes).
    fn eq(&self, other: &PackedTrace) -> bool {
        self.len == other.len && self.bytes == other.bytes
    }
}
impl Eq for PackedTrace {}

impl FromIterator<Event> for PackedTrace {
    fn from_iter<I: IntoIterator<Item = Event>>(iter: I) -> PackedTrace {
        let mut t = PackedTrace::new();
        for e in iter {
            t.push(e);
        }
        t
    }
}

impl<'a> IntoIterator for &'a PackedTrace {
    type Item = Event;
    type IntoIter = PackedTraceIter<'a>;
    fn into_iter(self) -> PackedTraceIter<'a> {
        self.iter_from(0)
    }
}

impl PackedTrace {
    pub fn new() -> PackedTrace {
        PackedTrace {
            bytes: Vec::new(),
            blocks: Vec::new(),
            len: 0,
            ctx: Context::new(),
        }
    }

    /// Number of events.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Bytes held for the events (encoding plus seek index): what "bytes per event" figures divide.
    pub fn bytes_held(&self) -> usize {
        self.bytes.capacity() + self.blocks.capacity() * std::mem::size_of::<u64>()
    }

    /// Release spare capacity (after the run that filled it).
    pub fn shrink_to_fit(&mut self) {
        self.bytes.shrink_to_fit();
        self.blocks.shrink_to_fit();
    }

    /// Append one event.
    pub fn push(&mut self, e: Event) {
        if self.len.is_multiple_of(BLOCK_EVENTS) {
            self.blocks.push(self.bytes.len() as u64);
            self.ctx.reset();
        }
        let kind = e.kind as u8;
        let func = e.func as u16;
        let fields = [e.a, e.b, e.c];
        let at = self.bytes.len();
        self.bytes.push(0);
        let mut header = 0u8;
        if kind != self.ctx.predict_kind() {
            header |= 1;
            self.bytes.push(kind);
        }
        if e.thread != self.ctx.thread {
            header |= 2;
            self.bytes.push(e.thread);
        }
        if func != self.ctx.predict_func(kind) {
            header |= 4;
            put_varint(&mut self.bytes, func as u32);
        }
        let slot = self.ctx.slot(kind, func);
        for (f, &v) in fields.iter().enumerate() {
            let miss = v.wrapping_sub(predict(&slot, f));
            if miss != 0 {
                header |= 8 << f;
                put_varint(&mut self.bytes, zigzag(miss));
            }
        }
        self.bytes[at] = header;
        self.ctx.update(kind, e.thread, func, slot, fields);
        self.len += 1;
    }

    /// The event at `index`, if any (decodes at most one block).
    pub fn get(&self, index: usize) -> Option<Event> {
        self.iter_from(index).next()
    }

    /// Every event, in order, by value.
    pub fn iter(&self) -> PackedTraceIter<'_> {
        self.iter_from(0)
    }

    /// Events from `start` to the end.
    pub fn iter_from(&self, start: usize) -> PackedTraceIter<'_> {
        self.range(start, self.len)
    }

    /// Events `start..end` (clamped to the trace).
    pub fn range(&self, start: usize, end: usize) -> PackedTraceIter<'_> {
        let end = end.min(self.len);
        let start = start.min(end);
        let block = start / BLOCK_EVENTS;
        let mut it = PackedTraceIter {
            trace: self,
            pos: self.blocks.get(block).map_or(0, |&o| o as usize),
            index: block * BLOCK_EVENTS,
            end,
            ctx: Context::new(),
        };
        while it.index < start {
            it.next();
        }
        it
    }

    /// The events of block `block` into `out` (cleared first): for scanning backwards a block at a time.
    pub fn block_events(&self, block: usize, out: &mut Vec<Event>) {
        out.clear();
        let start = block * BLOCK_EVENTS;
        out.extend(self.range(start, start + BLOCK_EVENTS));
    }

    /// The byte form (see the module docs); [`PackedTrace::from_bytes`] reads it back.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(32 + self.blocks.len() * 8 + self.bytes.len());
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&PACKED_FORMAT.to_le_bytes());
        out.extend_from_slice(&(self.len as u64).to_le_bytes());
        out.extend_from_slice(&(BLOCK_EVENTS as u32).to_le_bytes());
        out.extend_from_slice(&(self.blocks.len() as u32).to_le_bytes());
        for &b in &self.blocks {
            out.extend_from_slice(&b.to_le_bytes());
        }
        out.extend_from_slice(&(self.bytes.len() as u64).to_le_bytes());
        out.extend_from_slice(&self.bytes);
        out
    }

    /// Read [`PackedTrace::to_bytes`]'s form back, checking every part: a clear error, never a panic.
    pub fn from_bytes(data: &[u8]) -> Result<PackedTrace, String> {
        PackedTraceReader::new(data.to_vec())?.finish()
    }
}

/// [`PackedTrace::from_bytes`] a slice at a time: the header and block index are read at once, the events
/// are checked block by block in [`PackedTraceReader::advance`]. A viewer that must keep each of its tasks
/// short (the web page receiving a lane of millions of events from its worker) checks a few blocks per task.
pub struct PackedTraceReader {
    trace: PackedTrace,
    /// Blocks checked so far.
    checked: usize,
}

impl PackedTraceReader {
    /// Read the header and the block index (a clear error for bad ones); no event is checked yet. The
    /// events' bytes stay where they are, in `data` (no copy of a trace of tens of megabytes).
    pub fn new(mut data: Vec<u8>) -> Result<PackedTraceReader, String> {
        let mut r = Reader {
            data: &data,
            pos: 0,
        };
        if r.take(8)? != MAGIC {
            return Err("not a packed hmmviz trace (no HMMTRACE header)".into());
        }
        let version = r.u32()?;
        if version != PACKED_FORMAT {
            return Err(format!(
                "packed trace format {version} is not supported (this build reads format {PACKED_FORMAT})"
            ));
        }
        let len = usize::try_from(r.u64()?).map_err(|_| "packed trace: event count too large")?;
        let block = r.u32()? as usize;
        if block != BLOCK_EVENTS {
            return Err(format!(
                "packed trace: blocks of {block} events (this build uses {BLOCK_EVENTS})"
            ));
        }
        let n_blocks = r.u32()? as usize;
        if n_blocks != len.div_ceil(BLOCK_EVENTS) {
            return Err(format!(
                "packed trace: {n_blocks} blocks for {len} events (expected {})",
                len.div_ceil(BLOCK_EVENTS)
            ));
        }
        // Each offset is 8 bytes: a count the data cannot hold is refused before allocating for it.
        if n_blocks > (data.len() - r.pos) / 8 {
            return Err("packed trace: truncated block index".into());
        }
        let mut blocks = Vec::with_capacity(n_blocks);
        for _ in 0..n_blocks {
            blocks.push(r.u64()?);
        }
        let n_bytes = usize::try_from(r.u64()?).map_err(|_| "packed trace: too long")?;
        r.take(n_bytes)?;
        let header = r.pos - n_bytes;
        if r.pos != data.len() {
            return Err(format!(
                "packed trace: {} bytes after the end",
                data.len() - r.pos
            ));
        }
        if blocks.first().is_some_and(|&b| b != 0) || (blocks.is_empty() && n_bytes != 0) {
            return Err("packed trace: the first block does not start at byte 0".into());
        }
        data.drain(..header);
        Ok(PackedTraceReader {
            trace: PackedTrace {
                bytes: data,
                blocks,
                len,
                ctx: Context::new(),
            },
            checked: 0,
        })
    }

    /// Check the events of the next blocks, at least `max_events` of them (whole blocks) unless fewer are
    /// left. `Ok(true)` once every event is checked.
    pub fn advance(&mut self, max_events: usize) -> Result<bool, String> {
        let t = &mut self.trace;
        let n_blocks = t.blocks.len();
        let stop = self
            .checked
            .saturating_add(max_events.div_ceil(BLOCK_EVENTS).max(1))
            .min(n_blocks);
        while self.checked < stop {
            let b = self.checked;
            let start = t.blocks[b] as usize;
            let end = t.blocks.get(b + 1).map_or(t.bytes.len(), |&o| o as usize);
            if start > end || end > t.bytes.len() {
                return Err(format!("packed trace: block {b} has a bad offset"));
            }
            let count = BLOCK_EVENTS.min(t.len - b * BLOCK_EVENTS);
            // Each block decodes from a fresh context; the last block's is where appending goes on.
            t.ctx.reset();
            let mut pos = start;
            for i in 0..count {
                decode_one(&t.bytes[..end], &mut pos, &mut t.ctx).map_err(|why| {
                    format!("packed trace: event {}: {why}", b * BLOCK_EVENTS + i)
                })?;
            }
            if pos != end {
                return Err(format!(
                    "packed trace: block {b} has {} bytes after its events",
                    end - pos
                ));
            }
            self.checked += 1;
        }
        Ok(self.checked == n_blocks)
    }

    /// Events checked so far, and in all.
    pub fn progress(&self) -> (usize, usize) {
        let len = self.trace.len;
        ((self.checked * BLOCK_EVENTS).min(len), len)
    }

    /// The trace, once every event is checked (checking whatever is left first).
    pub fn finish(mut self) -> Result<PackedTrace, String> {
        self.advance(usize::MAX)?;
        Ok(self.trace)
    }
}

struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.data.len())
            .ok_or("packed trace: truncated")?;
        let s = &self.data[self.pos..end];
        self.pos = end;
        Ok(s)
    }
    fn u32(&mut self) -> Result<u32, String> {
        Ok(u32::from_le_bytes(
            self.take(4)?.try_into().unwrap_or([0; 4]),
        ))
    }
    fn u64(&mut self) -> Result<u64, String> {
        Ok(u64::from_le_bytes(
            self.take(8)?.try_into().unwrap_or([0; 8]),
        ))
    }
}

fn get_byte(bytes: &[u8], pos: &mut usize) -> Result<u8, &'static str> {
    let b = *bytes.get(*pos).ok_or("truncated")?;
    *pos += 1;
    Ok(b)
}

fn get_varint(bytes: &[u8], pos: &mut usize) -> Result<u32, &'static str> {
    let mut v = 0u32;
    for shift in (0..35).step_by(7) {
        let b = get_byte(bytes, pos)?;
        if shift == 28 && b > 0x0f {
            return Err("number too large");
        }
        v |= ((b & 0x7f) as u32) << shift;
        if b & 0x80 == 0 {
            return Ok(v);
        }
    }
    Err("number too long")
}

/// One event at `pos`, checked (kinds and functions must exist in this build).
fn decode_one(bytes: &[u8], pos: &mut usize, ctx: &mut Context) -> Result<Event, &'static str> {
    let header = get_byte(bytes, pos)?;
    if header & 0xc0 != 0 {
        return Err("unknown header bits");
    }
    let kind = if header & 1 != 0 {
        get_byte(bytes, pos)?
    } else {
        ctx.predict_kind()
    };
    let kind_v = *Kind::ALL.get(kind as usize).ok_or("unknown event kind")?;
    let thread = if header & 2 != 0 {
        get_byte(bytes, pos)?
    } else {
        ctx.thread
    };
    let func = if header & 4 != 0 {
        u16::try_from(get_varint(bytes, pos)?).map_err(|_| "unknown function")?
    } else {
        ctx.predict_func(kind)
    };
    let func_v = *Func::ALL.get(func as usize).ok_or("unknown function")?;
    let slot = ctx.slot(kind, func);
    let mut fields = [0u32; 3];
    for (f, v) in fields.iter_mut().enumerate() {
        let miss = if header & (8 << f) != 0 {
            unzigzag(get_varint(bytes, pos)?)
        } else {
            0
        };
        *v = predict(&slot, f).wrapping_add(miss);
    }
    ctx.update(kind, thread, func, slot, fields);
    Ok(Event {
        kind: kind_v,
        thread,
        func: func_v,
        a: fields[0],
        b: fields[1],
        c: fields[2],
    })
}

/// Events of a [`PackedTrace`], by value, in order.
pub struct PackedTraceIter<'a> {
    trace: &'a PackedTrace,
    pos: usize,
    index: usize,
    end: usize,
    ctx: Context,
}

impl Iterator for PackedTraceIter<'_> {
    type Item = Event;
    fn next(&mut self) -> Option<Event> {
        if self.index >= self.end {
            return None;
        }
        if self.index.is_multiple_of(BLOCK_EVENTS) {
            self.ctx.reset();
        }
        self.index += 1;
        // Only bytes pushed by `push` or checked by `from_bytes` are ever here.
        decode_one(&self.trace.bytes, &mut self.pos, &mut self.ctx).ok()
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.end - self.index;
        (n, Some(n))
    }
}

impl ExactSizeIterator for PackedTraceIter<'_> {}

#[cfg(test)]
mod tests {
    use super::*;

    /// A deterministic pseudo-random event stream with the shapes real traces have (strides, repeats) and
    /// extremes (every kind, every function, full-range fields).
    fn events(n: usize, seed: u64) -> Vec<Event> {
        let mut s = seed;
        let mut next = move || {
            s = s.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = s;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        };
        let mut page = 0u32;
        (0..n)
            .map(|i| {
                let r = next();
                let kind = Kind::ALL[(r % Kind::ALL.len() as u64) as usize];
                let func = Func::ALL[((r >> 8) % Func::ALL.len() as u64) as usize];
                page = page.wrapping_add(1);
                let pick = |x: u64| match x % 4 {
                    0 => page,
                    1 => (r >> 20) as u32,
                    2 => u32::MAX - (x as u32 % 3),
                    _ => 0,
                };
                Event {
                    kind,
                    thread: if i % 7 == 0 { (r >> 40) as u8 } else { 1 },
                    func,
                    a: pick(r >> 16),
                    b: pick(r >> 24),
                    c: pick(r >> 32),
                }
            })
            .collect()
    }

    #[test]
    fn kinds_and_functions_are_their_declaration_index() {
        for (i, &k) in Kind::ALL.iter().enumerate() {
            assert_eq!(k as usize, i);
        }
        for (i, &f) in Func::ALL.iter().enumerate() {
            assert_eq!(f as usize, i);
        }
    }

    #[test]
    fn decodes_exactly_what_was_pushed() {
        for (n, seed) in [(0, 1), (1, 2), (1023, 3), (1024, 4), (1025, 5), (5000, 6)] {
            let evs = events(n, seed);
            let t: PackedTrace = evs.iter().copied().collect();
            assert_eq!(t.len(), n);
            assert_eq!(t.iter_from(0).collect::<Vec<_>>(), evs);
            for i in (0..n).step_by(97).chain(n.checked_sub(1)) {
                assert_eq!(t.get(i), Some(evs[i]));
                assert_eq!(
                    t.range(i, i + 1500).collect::<Vec<_>>(),
                    evs[i..(i + 1500).min(n)]
                );
            }
            assert_eq!(t.get(n), None);
            let back = PackedTrace::from_bytes(&t.to_bytes()).expect("own bytes read back");
            assert_eq!(back.iter_from(0).collect::<Vec<_>>(), evs);
            // Appending after reading back continues the same encoding.
            let mut more = back.clone();
            let mut direct = t.clone();
            for e in events(300, seed + 100) {
                more.push(e);
                direct.push(e);
            }
            assert_eq!(more, direct);
        }
    }

    #[test]
    fn bad_bytes_are_errors_not_panics() {
        let t: PackedTrace = events(3000, 9).into_iter().collect();
        let good = t.to_bytes();
        // Every truncation.
        for cut in 0..good.len() {
            assert!(PackedTrace::from_bytes(&good[..cut]).is_err(), "cut {cut}");
        }
        // Single-byte corruptions: an error, or (if the bytes still decode) a trace of the same length.
        let mut s = 7u64;
        for _ in 0..3000 {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let mut bad = good.clone();
            let at = (s >> 33) as usize % bad.len();
            bad[at] ^= 1 << ((s >> 20) % 8);
            if let Ok(back) = PackedTrace::from_bytes(&bad) {
                assert_eq!(back.iter_from(0).count(), back.len());
            }
        }
        let mut wrong = good.clone();
        wrong[8] = 99;
        let err = PackedTrace::from_bytes(&wrong).unwrap_err();
        assert!(err.contains("format 99 is not supported"), "{err}");
        assert!(PackedTrace::from_bytes(b"not a trace").is_err());
    }

    /// Read a slice at a time, a trace is the one `from_bytes` reads, and a bad block is found when its
    /// slice comes (the same error as `from_bytes` gives).
    #[test]
    fn the_reader_in_slices_reads_what_from_bytes_reads() {
        let n = 5 * BLOCK_EVENTS - 100;
        let evs = events(n, 11);
        let t: PackedTrace = evs.iter().copied().collect();
        let good = t.to_bytes();
        for slice in [
            1,
            BLOCK_EVENTS,
            BLOCK_EVENTS + 1,
            2 * BLOCK_EVENTS,
            usize::MAX,
        ] {
            let mut r = PackedTraceReader::new(good.clone()).expect("header");
            assert_eq!(r.progress(), (0, n));
            let mut calls = 0;
            while !r.advance(slice).expect("good blocks") {
                calls += 1;
                assert!(r.progress().0 < n);
            }
            assert_eq!(r.progress(), (n, n));
            let per_call = slice.div_ceil(BLOCK_EVENTS);
            assert_eq!(calls, 5usize.div_ceil(per_call) - 1, "slice {slice}");
            let back = r.finish().expect("checked");
            assert_eq!(back, PackedTrace::from_bytes(&good).expect("good"));
            assert_eq!(back.iter().collect::<Vec<_>>(), evs);
        }
        // Corrupt the last block's first byte: the first slices pass, the last one fails as from_bytes does.
        let last_block = t.blocks[4] as usize;
        let at = good.len() - t.bytes.len() + last_block;
        let mut bad = good.clone();
        bad[at] ^= 0xff;
        let whole = PackedTrace::from_bytes(&bad).expect_err("bad block");
        let mut r = PackedTraceReader::new(bad).expect("header is fine");
        for _ in 0..4 {
            assert_eq!(r.advance(BLOCK_EVENTS), Ok(false));
        }
        assert_eq!(r.advance(BLOCK_EVENTS), Err(whole));
    }
}
