//! The lesson pages' URL parameters (`?lessons`: the index; `?lesson=ID&beat=N`: a beat, N from 1) and the
//! reader's progress, kept in localStorage. Any other parameter in the address is left as it is.

/// Where the lesson pages are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Route {
    Index,
    /// A bundled lesson, at a beat (0-based here; 1-based in the URL and on the page).
    Lesson {
        id: String,
        beat: usize,
    },
}

/// Percent-decoding of one query value (`+` is a space); a malformed escape is kept as written.
pub(crate) fn decode(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                match u8::from_str_radix(value.get(i + 1..i + 3).unwrap_or(""), 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn pairs(search: &str) -> impl Iterator<Item = (&str, &str)> {
    search
        .trim_start_matches('?')
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| p.split_once('=').unwrap_or((p, "")))
}

/// The lesson route of a query string, if it asks for the lesson pages at all; a notice for a `beat` that is
/// not a number (the lesson then opens at its first beat).
pub fn parse(search: &str) -> Option<(Route, Option<String>)> {
    let mut lesson = None;
    let mut index = false;
    let mut beat = None;
    for (key, value) in pairs(search) {
        match key {
            "lessons" => index = true,
            "lesson" => lesson = Some(decode(value)),
            "beat" => beat = Some(decode(value)),
            _ => {}
        }
    }
    match lesson {
        Some(id) if !id.is_empty() => {
            let (beat, notice) = match beat.as_deref().map(str::parse::<usize>) {
                None => (0, None),
                Some(Ok(n)) if n >= 1 => (n - 1, None),
                Some(_) => (
                    0,
                    Some(format!(
                        "beat={} is not a beat number (1, 2, …): showing the first beat",
                        beat.unwrap_or_default()
                    )),
                ),
            };
            Some((Route::Lesson { id, beat }, notice))
        }
        _ if index || lesson.is_some() => Some((Route::Index, None)),
        _ => None,
    }
}

fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The query for `route`, keeping every parameter of `search` that is not the lesson pages' own.
pub fn format(search: &str, route: &Route) -> String {
    let mut parts: Vec<String> = match route {
        Route::Index => vec!["lessons".into()],
        Route::Lesson { id, beat } => vec![
            format!("lesson={}", encode(id)),
            format!("beat={}", beat + 1),
        ],
    };
    parts.extend(
        pairs(search)
            .filter(|(k, _)| !matches!(*k, "lessons" | "lesson" | "beat"))
            .map(|(k, v)| {
                if v.is_empty() {
                    k.to_owned()
                } else {
                    format!("{k}={v}")
                }
            }),
    );
    parts.join("&")
}

const PROGRESS_PREFIX: &str = "hmmviz-lesson-beat:";

/// The furthest beat (0-based) the reader has opened in lesson `id`, from localStorage.
pub fn progress(id: &str) -> Option<usize> {
    use gloo::storage::Storage;
    gloo::storage::LocalStorage::get::<String>(format!("{PROGRESS_PREFIX}{id}"))
        .ok()?
        .parse()
        .ok()
}

/// Remember that the reader reached `beat` of `id` (only ever moves forward). Storage may be unavailable
/// (private mode, embedded frames): progress then lasts for the page only.
pub fn record_progress(id: &str, beat: usize) {
    use gloo::storage::Storage;
    if progress(id).is_some_and(|seen| seen >= beat) {
        return;
    }
    let _ = gloo::storage::LocalStorage::set(format!("{PROGRESS_PREFIX}{id}"), beat.to_string());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_lesson_routes() {
        assert_eq!(parse("?pages=PPP"), None);
        assert_eq!(parse("?lessons"), Some((Route::Index, None)));
        assert_eq!(parse("?lesson="), Some((Route::Index, None)));
        assert_eq!(
            parse("?lesson=livelock-6-14&beat=2"),
            Some((
                Route::Lesson {
                    id: "livelock-6-14".into(),
                    beat: 1
                },
                None
            ))
        );
        let (route, notice) = parse("?lesson=x&beat=zero").unwrap();
        assert_eq!(
            route,
            Route::Lesson {
                id: "x".into(),
                beat: 0
            }
        );
        assert!(notice.unwrap().contains("beat=zero"));
        assert!(parse("?lesson=x&beat=0").unwrap().1.is_some());
        assert_eq!(decode("a%20b+c%zz%"), "a b c%zz%");
    }

    #[test]
    fn writes_its_own_parameters_and_keeps_the_others() {
        let route = Route::Lesson {
            id: "a b".into(),
            beat: 2,
        };
        assert_eq!(
            format("?lesson=x&beat=9&theme=dark", &route),
            "lesson=a%20b&beat=3&theme=dark"
        );
        assert_eq!(format("?lesson=x", &Route::Index), "lessons");
        assert_eq!(parse(&format("", &route)).unwrap().0, route);
    }
}
