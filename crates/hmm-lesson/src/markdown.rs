//! Split a lesson file into its TOML front matter and its beats (`##` sections), each with prose and the
//! fenced directive blocks (`hmm`, `assert`, `predict`) in file order.
//!
//! This is deliberately not a Markdown parser: it recognises only `+++` front-matter fences, `##` headings
//! at the start of a line, and backtick fences. Other Markdown is prose and passes through untouched.
//! Everything carries byte spans into the original text.

use crate::diag::{Diagnostic, SourceMap};
use crate::limits;
use crate::model::Span;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BlockKind {
    /// ```` ```hmm ````: actions.
    Actions,
    /// ```` ```assert ````: assertions.
    Assert,
    /// ```` ```predict ````: one prediction, as TOML.
    Predict,
}

#[derive(Clone, Debug)]
pub struct Block {
    pub kind: BlockKind,
    /// The block body (between the fences), as a span of the file.
    pub body: Span,
}

#[derive(Clone, Debug)]
pub struct RawBeat {
    pub title: String,
    /// Span of the heading line (or of the first body line for the untitled opening beat).
    pub span: Span,
    pub prose: String,
    pub blocks: Vec<Block>,
}

#[derive(Clone, Debug)]
pub struct Split {
    /// Span of the TOML between the `+++` fences.
    pub front: Span,
    pub beats: Vec<RawBeat>,
}

/// Lines of `text` as (start offset, offset of the next line, text without terminator).
fn lines(text: &str) -> impl Iterator<Item = (usize, usize, &str)> {
    let mut offset = 0;
    text.split_inclusive('\n').map(move |raw| {
        let start = offset;
        offset += raw.len();
        (start, offset, raw.trim_end_matches(['\n', '\r']))
    })
}

pub fn split(map: &SourceMap<'_>) -> Result<Split, Vec<Diagnostic>> {
    let text = map.text;
    let mut diags = Vec::new();
    let mut iter = lines(text).peekable();

    let front = front_matter(map, &mut iter)?;

    let mut beats: Vec<RawBeat> = Vec::new();
    let mut current = RawBeat {
        title: String::new(),
        span: front.end..front.end,
        prose: String::new(),
        blocks: vec![],
    };
    let mut fence: Option<(usize, &str, Option<BlockKind>, usize)> = None; // (fence start, backticks, kind, body start)
    for (start, next, line) in iter {
        if let Some((_, ticks, kind, body_start)) = fence {
            if line.trim_end() == ticks {
                if let Some(kind) = kind {
                    current.blocks.push(Block {
                        kind,
                        body: body_start..start,
                    });
                } else {
                    current.prose.push_str(line);
                    current.prose.push('\n');
                }
                fence = None;
            } else if kind.is_none() {
                current.prose.push_str(line);
                current.prose.push('\n');
            }
            continue;
        }
        let trimmed = line.trim_start();
        if let Some(rest) = line.strip_prefix("## ") {
            if !current.title.is_empty()
                || !current.blocks.is_empty()
                || !current.prose.trim().is_empty()
            {
                beats.push(std::mem::replace(
                    &mut current,
                    RawBeat {
                        title: String::new(),
                        span: 0..0,
                        prose: String::new(),
                        blocks: vec![],
                    },
                ));
            }
            current.title = rest.trim().to_string();
            current.span = start..start + line.len();
            if current.title.is_empty() {
                diags.push(map.error(
                    start..start + line.len(),
                    "a beat heading needs a title after `## `",
                ));
            }
            if beats.len() >= limits::MAX_BEATS {
                diags.push(map.error(
                    start..start + line.len(),
                    format!("more than {} beats", limits::MAX_BEATS),
                ));
                return Err(diags);
            }
            continue;
        }
        if trimmed.starts_with("```") {
            let ticks_len = trimmed.chars().take_while(|&c| c == '`').count();
            let ticks = &trimmed[..ticks_len];
            let info = trimmed[ticks_len..].trim();
            let indent = line.len() - trimmed.len();
            let info_start = start + indent + ticks_len;
            let kind = fence_kind(map, info, info_start, &mut diags);
            if kind.is_none() {
                current.prose.push_str(line);
                current.prose.push('\n');
            }
            let body_start = next;
            fence = Some((start, ticks, kind, body_start));
            continue;
        }
        current.prose.push_str(line);
        current.prose.push('\n');
    }
    if let Some((open, ticks, _, _)) = fence {
        diags.push(map.error(open..open + ticks.len(), "this code fence is never closed"));
    }
    if !current.title.is_empty() || !current.blocks.is_empty() || !current.prose.trim().is_empty() {
        beats.push(current);
    }
    if diags.is_empty() {
        Ok(Split { front, beats })
    } else {
        Err(diags)
    }
}

/// The front matter: the file must open with `+++`; returns the span between the two `+++` lines.
fn front_matter<'t>(
    map: &SourceMap<'_>,
    iter: &mut impl Iterator<Item = (usize, usize, &'t str)>,
) -> Result<Span, Vec<Diagnostic>> {
    match iter.next() {
        // A UTF-8 byte order mark (some Windows editors write one) before the opening fence is ignored.
        Some((start, body_start, line))
            if line.strip_prefix('\u{feff}').unwrap_or(line).trim_end() == "+++" =>
        {
            let mut close = None;
            for (s, _, l) in iter.by_ref() {
                if l.trim_end() == "+++" {
                    close = Some(s);
                    break;
                }
            }
            match close {
                Some(end) => Ok(body_start.min(end)..end),
                None => Err(vec![map.error(
                    start..start + 3,
                    "front matter opened with `+++` is never closed",
                )]),
            }
        }
        _ => Err(vec![map.error(
            0..0,
            "a lesson must start with TOML front matter between `+++` lines",
        )]),
    }
}

/// What a fence's info string opens: a directive block, or prose (None). A near miss of a directive
/// fence would silently become prose, so it is refused.
fn fence_kind(
    map: &SourceMap<'_>,
    info: &str,
    info_start: usize,
    diags: &mut Vec<Diagnostic>,
) -> Option<BlockKind> {
    match info {
        "hmm" => Some(BlockKind::Actions),
        "assert" => Some(BlockKind::Assert),
        "predict" => Some(BlockKind::Predict),
        other => {
            let lower = other.to_ascii_lowercase();
            // Short names get a tighter bound so ```asm or ```sh stay prose.
            let near =
                |name: &str, d: usize| lower.starts_with(name) || edit_distance(&lower, name) <= d;
            if near("hmm", 1) || near("assert", 2) || near("predict", 2) {
                diags.push(map.error(
                    info_start..info_start + other.len().max(1),
                    format!(
                        "unknown directive block `{other}`: expected `hmm`, `assert` or `predict`"
                    ),
                ));
            }
            None
        }
    }
}

/// Levenshtein distance, bounded by the short words it is used on (fence info strings).
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().take(64).collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != cb);
            cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(text: &str) -> Result<Split, Vec<Diagnostic>> {
        split(&SourceMap::new("t.md", text))
    }

    #[test]
    fn splits_front_matter_beats_and_blocks() {
        let text = "+++\nid = \"x\"\n+++\nintro\n## One\nprose\n```hmm\ncpu read pages=0\n```\n```c\nint x;\n```\n## Two\n```assert\nx == 1\n```\n";
        let s = run(text).unwrap();
        assert_eq!(&text[s.front.clone()], "id = \"x\"\n");
        assert_eq!(s.beats.len(), 3);
        assert_eq!(s.beats[0].title, "");
        assert_eq!(s.beats[1].title, "One");
        assert_eq!(s.beats[1].blocks.len(), 1);
        assert_eq!(
            &text[s.beats[1].blocks[0].body.clone()],
            "cpu read pages=0\n"
        );
        assert!(
            s.beats[1].prose.contains("int x;"),
            "foreign fences stay prose"
        );
        assert_eq!(s.beats[2].blocks[0].kind, BlockKind::Assert);
    }

    #[test]
    fn missing_or_unclosed_front_matter_is_reported() {
        let e = run("# no front matter\n").unwrap_err();
        assert_eq!((e[0].line, e[0].col), (1, 1));
        let e = run("+++\nid = 1\n").unwrap_err();
        assert!(e[0].message.contains("never closed"));
    }

    #[test]
    fn unclosed_fence_and_misspelt_directive_are_reported() {
        let e = run("+++\n+++\n## A\n```hmm\ncpu read pages=0\n").unwrap_err();
        assert_eq!(e[0].line, 4);
        let e = run("+++\n+++\n## A\n```asert\nx\n```\n").unwrap_err();
        assert!(e[0].message.contains("unknown directive block `asert`"));
        assert_eq!((e[0].line, e[0].col), (4, 4));
    }
}
