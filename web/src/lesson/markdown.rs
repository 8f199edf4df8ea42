//! A lesson beat's prose, Markdown to Yew nodes: the subset lessons use (paragraphs, `###` headings, fenced
//! code blocks with their language, `-`/`*`/`1.` lists, `>` quotes, pipe tables; inline `code`, `**strong**`,
//! `*emphasis*`, `[links](url)`). Text only ever becomes text nodes, never HTML (a lesson file is input: a
//! pasted one may hold anything), and a link keeps only `http(s)://` targets or paths within the site.

use yew::prelude::*;

/// One block of prose.
#[derive(Clone, Debug, PartialEq)]
enum Block {
    Heading(usize, String),
    Paragraph(String),
    Code {
        lang: String,
        text: String,
    },
    List {
        ordered: bool,
        items: Vec<String>,
    },
    Quote(String),
    Table {
        head: Vec<String>,
        rows: Vec<Vec<String>>,
    },
}

fn list_item(line: &str) -> Option<(bool, &str)> {
    let t = line.trim_start();
    if let Some(rest) = t.strip_prefix("- ").or_else(|| t.strip_prefix("* ")) {
        return Some((false, rest));
    }
    let digits = t.bytes().take_while(u8::is_ascii_digit).count();
    if digits > 0 {
        if let Some(rest) = t[digits..].strip_prefix(". ") {
            return Some((true, rest));
        }
    }
    None
}

fn table_cells(line: &str) -> Vec<String> {
    let t = line.trim().trim_start_matches('|').trim_end_matches('|');
    t.split('|').map(|c| c.trim().to_owned()).collect()
}

fn is_table_rule(line: &str) -> bool {
    let t = line.trim();
    t.starts_with('|') && t.contains('-') && t.chars().all(|c| matches!(c, '|' | '-' | ':' | ' '))
}

fn blocks(text: &str) -> Vec<Block> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        let trimmed = line.trim_start();
        if trimmed.is_empty() {
            i += 1;
        } else if let Some(fence) = trimmed.strip_prefix("```") {
            let lang = fence.trim().to_owned();
            let mut body = Vec::new();
            i += 1;
            while i < lines.len() && !lines[i].trim_start().starts_with("```") {
                body.push(lines[i]);
                i += 1;
            }
            i += 1; // the closing fence (or the end of the text)
            out.push(Block::Code {
                lang,
                text: body.join("\n"),
            });
        } else if trimmed.starts_with('#') {
            let level = trimmed.bytes().take_while(|&b| b == b'#').count();
            out.push(Block::Heading(
                level.min(6),
                trimmed[level..].trim().to_owned(),
            ));
            i += 1;
        } else if trimmed.starts_with('|') && lines.get(i + 1).is_some_and(|l| is_table_rule(l)) {
            let head = table_cells(line);
            i += 2;
            let mut rows = Vec::new();
            while i < lines.len() && lines[i].trim_start().starts_with('|') {
                rows.push(table_cells(lines[i]));
                i += 1;
            }
            out.push(Block::Table { head, rows });
        } else if let Some((ordered, _)) = list_item(line) {
            let mut items: Vec<String> = Vec::new();
            while i < lines.len() && !lines[i].trim().is_empty() {
                match list_item(lines[i]) {
                    Some((_, rest)) => items.push(rest.to_owned()),
                    // A continuation line belongs to the item above.
                    None => {
                        if let Some(last) = items.last_mut() {
                            last.push(' ');
                            last.push_str(lines[i].trim());
                        }
                    }
                }
                i += 1;
            }
            out.push(Block::List { ordered, items });
        } else if trimmed.starts_with('>') {
            let mut quote = Vec::new();
            while i < lines.len() && lines[i].trim_start().starts_with('>') {
                quote.push(lines[i].trim_start()[1..].trim());
                i += 1;
            }
            out.push(Block::Quote(quote.join(" ")));
        } else {
            let mut para = Vec::new();
            while i < lines.len() {
                let l = lines[i];
                let t = l.trim_start();
                if t.is_empty() || t.starts_with("```") || t.starts_with('#') || t.starts_with('>')
                {
                    break;
                }
                if !para.is_empty() && (list_item(l).is_some() || t.starts_with('|')) {
                    break;
                }
                para.push(l.trim());
                i += 1;
            }
            out.push(Block::Paragraph(para.join(" ")));
        }
    }
    out
}

/// A link target the page may follow: the web, or a path within the site (no `javascript:` and the like).
fn safe_href(url: &str) -> Option<&str> {
    let lower = url.to_ascii_lowercase();
    let scheme = lower.split_once(':').map(|(s, _)| s);
    match scheme {
        Some("http" | "https") => Some(url),
        Some(s) if !s.contains('/') => None,
        _ => Some(url),
    }
}

/// Inline Markdown to nodes.
fn inline(text: &str) -> Html {
    let mut nodes: Vec<Html> = Vec::new();
    let mut plain = String::new();
    let mut rest = text;
    // Plain text links its glossary terms.
    let flush = |plain: &mut String, nodes: &mut Vec<Html>| {
        if !plain.is_empty() {
            nodes.push(crate::glossary::linkify(&std::mem::take(plain)));
        }
    };
    while let Some(c) = rest.chars().next() {
        let after = &rest[c.len_utf8()..];
        match c {
            '`' => {
                if let Some(end) = after.find('`') {
                    flush(&mut plain, &mut nodes);
                    nodes.push(html! { <code>{ after[..end].to_owned() }</code> });
                    rest = &after[end + 1..];
                    continue;
                }
            }
            '*' | '_' if rest.starts_with("**") || rest.starts_with("__") => {
                let marker = &rest[..2];
                if let Some(end) = rest[2..].find(marker).filter(|&e| e > 0) {
                    flush(&mut plain, &mut nodes);
                    nodes.push(html! { <strong>{ inline(&rest[2..2 + end]) }</strong> });
                    rest = &rest[4 + end..];
                    continue;
                }
            }
            '*' | '_' => {
                // `_` inside a word (snake_case names) is not emphasis.
                let word_before = plain.chars().last().is_some_and(char::is_alphanumeric);
                let opens = after.chars().next().is_some_and(|n| !n.is_whitespace());
                if !(c == '_' && word_before) && opens {
                    if let Some(end) = after.find(c).filter(|&e| e > 0) {
                        let closes_word = after[end + 1..]
                            .chars()
                            .next()
                            .is_some_and(char::is_alphanumeric);
                        if !(c == '_' && closes_word) {
                            flush(&mut plain, &mut nodes);
                            nodes.push(html! { <em>{ inline(&after[..end]) }</em> });
                            rest = &after[end + 1..];
                            continue;
                        }
                    }
                }
            }
            '[' => {
                if let Some(close) = after.find("](") {
                    if let Some(end) = after[close + 2..].find(')') {
                        let label = &after[..close];
                        let url = &after[close + 2..close + 2 + end];
                        flush(&mut plain, &mut nodes);
                        nodes.push(match safe_href(url) {
                            Some(href) => html! {
                                <a href={href.to_owned()} target="_blank" rel="noopener">{ inline(label) }</a>
                            },
                            None => inline(label),
                        });
                        rest = &after[close + 3 + end..];
                        continue;
                    }
                }
            }
            _ => {}
        }
        plain.push(c);
        rest = after;
    }
    flush(&mut plain, &mut nodes);
    nodes.into_iter().collect()
}

fn block_html(block: &Block) -> Html {
    match block {
        Block::Heading(level, text) => {
            // Beats are `##`; prose headings sit below them.
            let tag = format!("h{}", (level + 2).min(6));
            html! { <@{tag} class="prose-heading">{ inline(text) }</@> }
        }
        Block::Paragraph(text) => html! { <p>{ inline(text) }</p> },
        Block::Code { lang, text } => html! {
            <pre class="prose-code" data-lang={lang.clone()}><code>{ text.clone() }</code></pre>
        },
        Block::List { ordered, items } => {
            let items = items.iter().map(|item| html! { <li>{ inline(item) }</li> });
            if *ordered {
                html! { <ol>{ for items }</ol> }
            } else {
                html! { <ul>{ for items }</ul> }
            }
        }
        Block::Quote(text) => html! { <blockquote>{ inline(text) }</blockquote> },
        Block::Table { head, rows } => html! {
            <div class="prose-table-wrap">
                <table class="prose-table">
                    <thead><tr>{ for head.iter().map(|h| html! { <th>{ inline(h) }</th> }) }</tr></thead>
                    <tbody>
                        { for rows.iter().map(|row| html! {
                            <tr>{ for row.iter().map(|c| html! { <td>{ inline(c) }</td> }) }</tr>
                        }) }
                    </tbody>
                </table>
            </div>
        },
    }
}

/// Render one line of inline Markdown (a question, a hint).
pub fn render_inline(text: &str) -> Html {
    inline(text)
}

/// Render `text` (a beat's prose).
pub fn render(text: &str) -> Html {
    blocks(text).iter().map(block_html).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_the_blocks_lessons_use() {
        let text = "Intro `x` line\ncontinues.\n\n```c\nint x;\n\nint y;\n```\n- one\n- two\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n### Sub\n> quoted\n";
        assert_eq!(
            blocks(text),
            vec![
                Block::Paragraph("Intro `x` line continues.".into()),
                Block::Code {
                    lang: "c".into(),
                    text: "int x;\n\nint y;".into()
                },
                Block::List {
                    ordered: false,
                    items: vec!["one".into(), "two".into()]
                },
                Block::Table {
                    head: vec!["a".into(), "b".into()],
                    rows: vec![vec!["1".into(), "2".into()]]
                },
                Block::Heading(3, "Sub".into()),
                Block::Quote("quoted".into()),
            ]
        );
    }

    #[test]
    fn refuses_script_links() {
        assert_eq!(safe_href("javascript:alert(1)"), None);
        assert_eq!(safe_href("JavaScript:alert(1)"), None);
        assert_eq!(
            safe_href("https://elixir.bootlin.com/"),
            Some("https://elixir.bootlin.com/")
        );
        assert_eq!(safe_href("simplifications.md"), Some("simplifications.md"));
    }
}
