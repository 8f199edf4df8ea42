//! The lesson pages: the index (and a box to paste or drop a lesson file), and the player, one beat at a time.
//!
//! A beat shows its prose, then its actions; a beat with predictions asks them first and shows what the
//! actions did (each world's events narrated by hmm-sim, its pages after the beat, the results) and the
//! beat's assertions only once every question is answered. Verdicts are the lesson's report from
//! `hmm_lesson::check` (`PlayedLesson`), the very one `hmmviz check` prints.

use std::collections::BTreeMap;
use std::rc::Rc;

use gloo::timers::callback::Timeout;
use hmm_lesson::check::AssertionReport;
use hmm_lesson::model::{LessonKind, Prediction};
use hmm_lesson::observe::{PageObs, ResultObs};
use wasm_bindgen::JsCast;
use yew::prelude::*;

use super::bundle::{self, IndexEntry};
use super::markdown;
use super::play::{PlayedLesson, WorldChange};
use super::route::{self, Route};
use crate::embed::commands::LessonPlan;
use crate::embed::protocol::LessonPosition;
use crate::embed::Display;

/// Pages listed per world in a beat's page table; the rest are counted.
pub const MAX_TABLE_PAGES: usize = 64;

/// The name a pasted lesson's diagnostics carry (a dropped file keeps its own name).
const PASTED_NAME: &str = "pasted.md";

fn search() -> String {
    web_sys::window()
        .and_then(|w| w.location().search().ok())
        .unwrap_or_default()
}

/// Put the route in the address bar without navigating: a new history entry when it names another lesson
/// or beat than the address does (Back undoes a beat), in place of the address otherwise (a beat number the
/// lesson does not have, shown as its last beat, is corrected, not stacked).
fn write_route(route: &Route, beats: usize) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let current = search();
    let query = route::format(&current, route);
    if current.strip_prefix('?') == Some(query.as_str()) {
        return;
    }
    let push = match (route::parse(&current).map(|(r, _)| r), route) {
        (Some(Route::Lesson { id: was, beat: at }), Route::Lesson { id, .. }) => {
            was != *id || at < beats
        }
        (_, Route::Lesson { .. }) => true,
        (_, Route::Index) => false,
    };
    let path = window.location().pathname().unwrap_or_default();
    let url = format!("{path}?{query}");
    if let Ok(history) = window.history() {
        let _ = if push {
            history.push_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url))
        } else {
            history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url))
        };
    }
}

/// What the lesson pages are showing.
#[derive(Clone, PartialEq)]
enum Screen {
    Index,
    /// Running a lesson (painted first: a large selftest takes a moment).
    Running {
        id: Option<String>,
        beat: usize,
        name: String,
        text: Rc<str>,
    },
    /// A bundled lesson (`id`) or a pasted one (None), checked and run.
    Playing {
        id: Option<String>,
        beat: usize,
        played: Rc<PlayedLesson>,
    },
}

impl Screen {
    /// The screen a route names: a bundled lesson is run first; an unknown one shows the index.
    fn of(route: Route) -> Screen {
        match route {
            Route::Index => Screen::Index,
            Route::Lesson { id, beat } => match bundle::find(&id) {
                Some((path, text)) => Screen::Running {
                    id: Some(id),
                    beat,
                    name: path.to_owned(),
                    text: text.into(),
                },
                None => Screen::Index,
            },
        }
    }

    /// Where the page is, for the embedding protocol: None while a lesson runs.
    fn position(&self) -> Option<LessonPosition> {
        match self {
            Screen::Index => Some(LessonPosition {
                lesson: None,
                beat: 0,
                beats: 0,
                title: String::new(),
            }),
            Screen::Running { .. } => None,
            Screen::Playing { beat, played, .. } => {
                let lesson = played.lesson.as_ref();
                let beats = lesson.map_or(0, |l| l.beats.len());
                let beat = (*beat).min(beats.saturating_sub(1));
                Some(LessonPosition {
                    lesson: lesson.map(|l| l.id.clone()),
                    beat,
                    beats,
                    title: lesson
                        .and_then(|l| l.beats.get(beat))
                        .map(|b| beat_title(&b.title))
                        .unwrap_or_default(),
                })
            }
        }
    }

    /// The same screen at another beat of the lesson it plays (clamped to its beats).
    fn at_beat(&self, to: usize) -> Option<Screen> {
        match self {
            Screen::Playing { id, played, .. } => {
                let beats = played.lesson.as_ref().map_or(1, |l| l.beats.len().max(1));
                Some(Screen::Playing {
                    id: id.clone(),
                    beat: to.min(beats - 1),
                    played: played.clone(),
                })
            }
            _ => None,
        }
    }
}

/// A beat's heading as the page shows it (a lesson's first beat often has none).
fn beat_title(title: &str) -> String {
    if title.is_empty() {
        "Introduction".to_owned()
    } else {
        title.to_owned()
    }
}

/// The lesson pages' root: `?lessons` or `?lesson=ID&beat=N`, embedded or not.
#[component]
pub fn LessonApp() -> Html {
    let screen = use_state(|| Screen::of(route::parse(&search()).map_or(Route::Index, |(r, _)| r)));
    // The layout parameters (`embed`, `theme`, `origin`, …) the compare page reads too; read once.
    let display = use_memo((), |_| Display::parse(&search()));
    let notice = use_state(|| {
        let (route, notice) = route::parse(&search()).unwrap_or((Route::Index, None));
        match route {
            Route::Lesson { id, .. } if bundle::find(&id).is_none() => {
                Some(format!("There is no lesson called “{id}”: pick one below."))
            }
            _ => notice,
        }
    });
    let (display, display_notices) = (&display.0, &display.1);
    // The latest screen, for listeners made once (the host page's commands, Back and Forward).
    let latest = use_mut_ref(|| (*screen).clone());
    *latest.borrow_mut() = (*screen).clone();

    // Run the lesson after "Running…" is painted.
    {
        let screen = screen.clone();
        use_effect_with((*screen).clone(), move |current| {
            let timeout = match current.clone() {
                Screen::Running {
                    id,
                    beat,
                    name,
                    text,
                } => Some(Timeout::new(30, move || {
                    let played = PlayedLesson::check(&name, &text);
                    let beats = played.beats.len().max(1);
                    screen.set(Screen::Playing {
                        id,
                        beat: beat.min(beats - 1),
                        played,
                    });
                })),
                _ => None,
            };
            move || drop(timeout)
        });
    }
    // The address bar (a history entry per lesson and beat) and the stored progress follow the screen.
    use_effect_with((*screen).clone(), |current| match current {
        Screen::Index => write_route(&Route::Index, 0),
        // A lesson opened here (not by the address) is a new entry from the start.
        Screen::Running { id: Some(id), .. }
            if route::parse(&search()).is_none_or(
                |(r, _)| !matches!(r, Route::Lesson { id: ref was, .. } if was == id),
            ) =>
        {
            write_route(
                &Route::Lesson {
                    id: id.clone(),
                    beat: 0,
                },
                usize::MAX,
            );
        }
        Screen::Playing {
            id: Some(id),
            beat,
            played,
        } => {
            let beats = played.lesson.as_ref().map_or(0, |l| l.beats.len());
            write_route(
                &Route::Lesson {
                    id: id.clone(),
                    beat: *beat,
                },
                beats,
            );
            route::record_progress(id, *beat);
        }
        _ => {}
    });
    // Back and Forward: show what the address now names.
    {
        let screen = screen.clone();
        let latest = latest.clone();
        use_effect_with((), move |_| {
            let listener = web_sys::window().map(|window| {
                gloo::events::EventListener::new(&window, "popstate", move |_| {
                    match route::parse(&search()) {
                        // The compare page or another: the page's root is chosen at load.
                        None => {
                            if let Some(w) = web_sys::window() {
                                let _ = w.location().reload();
                            }
                        }
                        Some((route, _)) => {
                            let now = latest.borrow().clone();
                            let next = match (&now, route) {
                                (
                                    Screen::Playing {
                                        id: Some(playing), ..
                                    },
                                    Route::Lesson { id, beat },
                                ) if *playing == id => now.at_beat(beat).unwrap_or(now.clone()),
                                (_, route) => Screen::of(route),
                            };
                            screen.set(next);
                        }
                    }
                })
            });
            move || drop(listener)
        });
    }

    // The host page's commands, when embedded; and the events it hears.
    let on_plan = {
        let screen = screen.clone();
        let latest = latest.clone();
        Callback::from(move |plan: LessonPlan| match plan {
            LessonPlan::Open(id) => screen.set(Screen::of(Route::Lesson { id, beat: 0 })),
            LessonPlan::Beat(to) => {
                if let Some(next) = latest.borrow().at_beat(to) {
                    screen.set(next);
                }
            }
            // The compare page: the protocol's browser side leaves for it itself.
            LessonPlan::Compare(_) => {}
        })
    };
    let position = screen.position();
    crate::embed::host::use_lesson_host_commands(position.clone(), display.clone(), on_plan);
    let mut notices: Vec<String> = display_notices.iter().map(|n| n.0.clone()).collect();
    notices.extend((*notice).clone());
    crate::embed::host::use_lesson_host_events(position, display.origin.clone(), notices);

    let go_beat = {
        let screen = screen.clone();
        Callback::from(move |beat: usize| {
            if let Some(next) = screen.at_beat(beat) {
                screen.set(next);
            }
        })
    };
    // Presenting: the clicker's beat (or the other window's), blanking.
    let blanked = use_state(|| false);
    {
        let go = {
            let screen = screen.clone();
            let latest = latest.clone();
            Callback::from(move |(id, beat): (String, usize)| {
                let now = latest.borrow().clone();
                match &now {
                    Screen::Playing {
                        id: Some(playing), ..
                    } if *playing == id => {
                        if let Some(next) = now.at_beat(beat) {
                            if next != now {
                                screen.set(next);
                            }
                        }
                    }
                    // Still running this lesson: the beat is taken when it has run.
                    Screen::Running {
                        id: Some(running), ..
                    } if *running == id => {}
                    _ => screen.set(Screen::of(Route::Lesson { id, beat })),
                }
            })
        };
        let blank = {
            let blanked = blanked.clone();
            Callback::from(move |()| blanked.set(!*blanked))
        };
        let at = match &*screen {
            Screen::Playing {
                id: Some(id), beat, ..
            } => Some((id.clone(), *beat)),
            _ => None,
        };
        crate::present::use_lesson_present(display, at, go, blank);
    }
    let play_text = {
        let screen = screen.clone();
        Callback::from(move |(name, text): (String, String)| {
            screen.set(Screen::Running {
                id: None,
                beat: 0,
                name,
                text: text.into(),
            });
        })
    };

    // What the share buttons copy: this lesson at this beat, as a link and as an embedded frame.
    let share = match &*screen {
        Screen::Playing {
            id: Some(id), beat, ..
        } => {
            let route = route::format(
                "",
                &Route::Lesson {
                    id: id.clone(),
                    beat: *beat,
                },
            );
            let mut link = display.clone();
            link.embed = false;
            link.speaker = false;
            let mut embed = link.clone();
            embed.present = false;
            embed.embed = true;
            Some((
                AttrValue::from(format!("{route}{}", link.format_suffix())),
                AttrValue::from(format!("{route}{}", embed.format_suffix())),
            ))
        }
        _ => None,
    };

    let embed = display.embed || display.present;
    if display.present && *blanked {
        return crate::present::blank();
    }
    if display.speaker {
        return html! {
            <div id="app" class={classes!("app", "lessons", "speaker")}>
                { match &*screen {
                    Screen::Playing { beat, played, .. } => speaker_notes(played, *beat),
                    _ => html! { <p class="placeholder">{ "Running the lesson…" }</p> },
                } }
            </div>
        };
    }
    let body = match &*screen {
        Screen::Index => html! { <LessonIndex on_play={play_text} /> },
        Screen::Running { name, .. } => html! {
            <p id="lesson-running" class="placeholder">{ format!("Running {name}…") }</p>
        },
        Screen::Playing { id, beat, played } => html! {
            <Player played={played.clone()} beat={*beat} bundled={id.is_some()} on_beat={go_beat}
                share={share.clone()} {embed} />
        },
    };
    // A theme the URL names (a docs page matching its own); else the reader's system theme.
    let theme = display.theme.and_then(|t| match t {
        crate::state::Theme::Light => Some("theme-light"),
        crate::state::Theme::Dark => Some("theme-dark"),
        crate::state::Theme::System => None,
    });
    html! {
        <div id="app" class={classes!("app", "lessons", embed.then_some("embed"), display.present.then_some("present"), theme)}>
            if !embed {
                <header class="topbar">
                    <div class="brand">
                        <h1><a href="?lessons">{ "hmmviz lessons" }</a></h1>
                        <p class="tagline">{ "Lessons and the kernel's HMM selftests, beat by beat, checked by the simulator" }</p>
                    </div>
                    <nav class="views" aria-label="Views">
                        <a class="view-tab" id="to-compare" href="./">{ "Compare lanes" }</a>
                        <a class="view-tab selected" id="to-lessons" href="?lessons">{ "Lessons" }</a>
                        <a class="view-tab" id="to-race" href="?race=livelock-6-14">{ "Race lab" }</a>
                        <a class="view-tab" id="to-glossary" href="?glossary">{ "Glossary" }</a>
                    </nav>
                </header>
            }
            if let Some(text) = &*notice {
                <p id="lesson-notice" class="notice" role="status">{ text.clone() }</p>
            }
            { for display_notices.iter().map(|n| html! { <p class="notice" role="status">{ n.0.clone() }</p> }) }
            <main id="lesson-main" class="lesson-main">{ body }</main>
        </div>
    }
}

/// The speaker window of a presented lesson: the beat's prose as notes (all of it, the part after the
/// questions too), the answers to its questions, and what the next beat is about.
fn speaker_notes(played: &PlayedLesson, beat: usize) -> Html {
    let Some(lesson) = &played.lesson else {
        return html! { <p>{ "This lesson does not parse." }</p> };
    };
    let beats = lesson.beats.len();
    let beat = beat.min(beats.saturating_sub(1));
    let Some(b) = lesson.beats.get(beat) else {
        return html! { <p>{ "This lesson has no beats." }</p> };
    };
    let (before, after) = played.prose_parts(beat);
    let next = lesson.beats.get(beat + 1).map(|n| {
        let (prose, _) = played.prose_parts(beat + 1);
        let first = prose
            .split("\n\n")
            .map(str::trim)
            .find(|p| !p.is_empty())
            .unwrap_or("")
            .to_owned();
        (beat_title(&n.title), first)
    });
    html! {
        <>
            <header class="speaker-head">
                <h1>{ "Speaker notes" }</h1>
                <span id="speaker-beat" class="step-label">{ format!("beat {} / {}", beat + 1, beats) }</span>
                <span class="muted">{ lesson.title.clone() }</span>
            </header>
            <section class="speaker-now" aria-label="Now">
                <h2 id="speaker-title">{ beat_title(&b.title) }</h2>
                <div id="speaker-notes" class="prose">{ markdown::render(&before) }{ markdown::render(&after) }</div>
                if !b.predictions.is_empty() {
                    <ul class="speaker-answers">
                        { for b.predictions.iter().map(|p| html! {
                            <li>{ markdown::render_inline(&p.question) }{ " — answer: " }<strong>{ p.answer.clone() }</strong></li>
                        }) }
                    </ul>
                }
            </section>
            <section class="speaker-next" aria-label="Next">
                <h2>{ "Next" }</h2>
                if let Some((title, first)) = next {
                    <p id="speaker-next-beat"><strong>{ format!("beat {}: {title}", beat + 2) }</strong></p>
                    <div class="prose muted">{ markdown::render(&first) }</div>
                } else {
                    <p id="speaker-next-beat">{ "The end of the lesson." }</p>
                }
            </section>
            <table class="speaker-keys">
                <tbody>
                    { for crate::present::KEYS.iter().map(|(k, what)| {
                        let what = what.replace("milestone", "beat").replace("one step forward / back", "one beat forward / back");
                        html! { <tr><th scope="row"><kbd>{ *k }</kbd></th><td>{ what }</td></tr> }
                    }) }
                </tbody>
            </table>
            <p class="muted">{ "This window and the audience window follow each other: a key pressed in either moves both." }</p>
        </>
    }
}

#[derive(Properties, PartialEq)]
struct IndexProps {
    on_play: Callback<(String, String)>,
}

/// The lesson index and the paste/drop box.
#[component]
fn LessonIndex(props: &IndexProps) -> Html {
    let entries = use_memo((), |_| bundle::index());
    let row = |e: &IndexEntry| {
        let reached = route::progress(&e.id);
        let kind = match e.kind {
            LessonKind::Lesson => "lesson",
            LessonKind::Selftest => "selftest",
        };
        html! {
            <tr key={e.id.clone()} class={classes!("lesson-row", kind)} data-id={e.id.clone()}>
                <td><a class="lesson-link" href={format!("?lesson={}&beat=1", e.id)}>{ e.title.clone() }</a></td>
                <td>{ kind }</td>
                <td>{ e.kernel.label() }</td>
                <td>{ if e.audience.is_empty() { "—".to_owned() } else { e.audience.join(", ") } }</td>
                <td>{ e.beats }</td>
                <td>{ e.predictions }</td>
                <td class="progress">{
                    match reached {
                        Some(b) => html! { <a href={format!("?lesson={}&beat={}", e.id, b + 1)}>{ format!("beat {} of {}", b + 1, e.beats) }</a> },
                        None => html! { "not started" },
                    }
                }</td>
            </tr>
        }
    };
    let table = |kind: LessonKind, caption: &str, id: &str| {
        html! {
            <table class="lesson-index" id={id.to_owned()}>
                <caption>{ caption.to_owned() }</caption>
                <thead><tr>
                    <th>{ "title" }</th><th>{ "kind" }</th><th>{ "kernel" }</th><th>{ "audience" }</th>
                    <th>{ "beats" }</th><th>{ "questions" }</th><th>{ "your progress" }</th>
                </tr></thead>
                <tbody>{ for entries.iter().filter(|e| e.kind == kind).map(row) }</tbody>
            </table>
        }
    };
    html! {
        <>
            { table(LessonKind::Lesson, "Lessons", "lesson-index") }
            { table(LessonKind::Selftest, "The kernel's HMM selftests (hmm-tests.c), replayed", "selftest-index") }
            <p class="more">{ "The selftests' source: " }
                <a href={format!("https://elixir.bootlin.com/linux/{}/source/tools/testing/selftests/mm/hmm-tests.c", crate::glossary::KERNEL_REF)}
                    target="_blank" rel="noopener">{ format!("tools/testing/selftests/mm/hmm-tests.c in Linux {}", crate::glossary::KERNEL_REF) }</a>{ "." }</p>
            <PasteBox on_play={props.on_play.clone()} />
        </>
    }
}

/// Paste or drop a lesson file: the CLI's diagnostics, or the lesson played.
#[component]
fn PasteBox(props: &IndexProps) -> Html {
    let text = use_state(String::new);
    let name = use_state(|| PASTED_NAME.to_owned());
    let diagnostics = use_state(|| None::<String>);
    let reader = use_mut_ref(|| None::<gloo::file::callbacks::FileReader>);

    let oninput = {
        let text = text.clone();
        let name = name.clone();
        Callback::from(move |e: InputEvent| {
            if let Some(area) = e
                .target()
                .and_then(|t| t.dyn_into::<web_sys::HtmlTextAreaElement>().ok())
            {
                text.set(area.value());
                name.set(PASTED_NAME.to_owned());
            }
        })
    };
    let ondragover = Callback::from(|e: DragEvent| e.prevent_default());
    let ondrop = {
        let text = text.clone();
        let name = name.clone();
        let reader = reader.clone();
        Callback::from(move |e: DragEvent| {
            e.prevent_default();
            let Some(file) = e
                .data_transfer()
                .and_then(|d| d.files())
                .and_then(|f| f.get(0))
            else {
                return;
            };
            if file.size() > hmm_lesson::limits::MAX_FILE_BYTES as f64 {
                text.set(String::new());
                name.set(file.name());
                return;
            }
            let file_name = file.name();
            let file = gloo::file::File::from(file);
            let text = text.clone();
            let name = name.clone();
            *reader.borrow_mut() = Some(gloo::file::callbacks::read_as_text(&file, move |read| {
                if let Ok(read) = read {
                    text.set(read);
                    name.set(file_name);
                }
            }));
        })
    };
    let onclick = {
        let text = text.clone();
        let name = name.clone();
        let diagnostics = diagnostics.clone();
        let on_play = props.on_play.clone();
        Callback::from(move |_: MouseEvent| {
            // Parse and validate first (cheap): errors are shown as `hmmviz check` prints them.
            match hmm_lesson::parse(&name, &text) {
                Ok(_) => {
                    diagnostics.set(None);
                    on_play.emit(((*name).clone(), (*text).clone()));
                }
                Err(diags) => diagnostics.set(Some(
                    diags
                        .iter()
                        .map(|d| d.to_string())
                        .collect::<Vec<_>>()
                        .join("\n"),
                )),
            }
        })
    };
    html! {
        <section id="lesson-paste-box" class="paste-box" {ondragover} {ondrop}>
            <h2>{ "Check and play your own lesson" }</h2>
            <p>{ "Paste a lesson file here, or drop one on this box. Problems are reported as " }<code>{ "hmmviz check" }</code>
               { " reports them (file:line:column), and a lesson without problems plays here. The format is described in " }
               <a href="lessons.md" target="_blank">{ "the lesson author's guide" }</a>{ "." }</p>
            <textarea id="lesson-paste" rows="10" spellcheck="false" value={(*text).clone()} {oninput}
                placeholder="+++\nid = \"my-lesson\"\n…" aria-label="Lesson file" />
            <p>
                <button id="lesson-paste-run" type="button" {onclick}>{ "Check and play" }</button>
                { format!(" ({})", *name) }
            </p>
            if let Some(d) = &*diagnostics {
                <pre id="lesson-diagnostics" class="diagnostics" role="alert">{ d.clone() }</pre>
            }
        </section>
    }
}

#[derive(Properties, PartialEq)]
struct PlayerProps {
    played: Rc<PlayedLesson>,
    beat: usize,
    /// A bundled lesson (its link reopens this beat); a pasted one lives in this page only.
    bundled: bool,
    on_beat: Callback<usize>,
    /// What "copy link" and "copy embed code" copy (queries of this lesson at this beat); None for a pasted
    /// lesson, which has no link.
    share: Option<(AttrValue, AttrValue)>,
    /// Embedded in another page: the beat alone, with a link to open it in hmmviz.
    embed: bool,
}

/// How the reader has answered one prediction.
#[derive(Clone, Debug, Default, PartialEq)]
struct Answer {
    /// Wrong choices tried, in order (each shows its hint).
    wrong: Vec<String>,
    /// Answered rightly, or the answer was asked for.
    done: bool,
    gave_up: bool,
}

/// One lesson, one beat at a time.
#[component]
fn Player(props: &PlayerProps) -> Html {
    let answers = use_state(BTreeMap::<(usize, usize), Answer>::new);
    let played = &props.played;
    let report = &played.report;
    let Some(lesson) = &played.lesson else {
        return html! {
            <section class="lesson-failed">
                <h2>{ "This lesson does not parse" }</h2>
                <pre id="lesson-diagnostics" class="diagnostics">{
                    report.diagnostics.iter().map(|d| d.to_string()).collect::<Vec<_>>().join("\n")
                }</pre>
            </section>
        };
    };
    let beat_count = lesson.beats.len();
    let beat = props.beat.min(beat_count.saturating_sub(1));
    let Some(b) = lesson.beats.get(beat) else {
        return html! { <p>{ "This lesson has no beats." }</p> };
    };
    let claims = played.beat_claims(beat);
    let verify_count = b.predictions.iter().filter(|p| p.verify.is_some()).count();
    let (verify_claims, assertion_claims) = claims.split_at(verify_count.min(claims.len()));
    let unlocked =
        (0..b.predictions.len()).all(|p| answers.get(&(beat, p)).is_some_and(|a| a.done));
    let ran = beat < played.beats.len();

    let answer = {
        let answers = answers.clone();
        let predictions = b.predictions.clone();
        Callback::from(move |(p, choice, give_up): (usize, String, bool)| {
            let Some(pred) = predictions.get(p) else {
                return;
            };
            let mut all = (*answers).clone();
            let a = all.entry((beat, p)).or_default();
            if give_up {
                a.done = true;
                a.gave_up = true;
            } else if choice == pred.answer {
                a.done = true;
            } else if !a.wrong.contains(&choice) {
                a.wrong.push(choice);
            }
            answers.set(all);
        })
    };

    // Verify claims in the report's order: the predictions that have one.
    let mut verify_iter = verify_claims.iter();
    let predictions = b.predictions.iter().enumerate().map(|(p, pred)| {
        let verdict = pred.verify.as_ref().and_then(|_| verify_iter.next()).map(|v| VerifyLine {
            text: v.text.clone(),
            passed: v.passed,
            detail: v.detail.clone(),
        });
        html! {
            <PredictionBox key={p.to_string()} index={p} prediction={pred.clone()} {verdict}
                answer={answers.get(&(beat, p)).cloned().unwrap_or_default()} on_answer={answer.clone()} />
        }
    });

    let (prose_before, prose_after) = played.prose_parts(beat);
    let title = beat_title(&b.title);
    let action_lines: Vec<String> = b
        .actions
        .iter()
        .filter_map(|a| played.text.get(a.span.clone()).map(|s| s.trim().to_owned()))
        .collect();
    let go = |to: usize| {
        let on_beat = props.on_beat.clone();
        Callback::from(move |_: MouseEvent| on_beat.emit(to))
    };

    html! {
        <div class="lesson-player" data-lesson={lesson.id.clone()} data-beat={(beat + 1).to_string()}>
            if !props.embed {
                <nav class="beat-list" aria-label="Beats">
                    <h2 id="lesson-title">{ lesson.title.clone() }</h2>
                    <p class="lesson-meta">
                        { format!("{} · kernel {} · ", match lesson.kind { LessonKind::Lesson => "lesson", LessonKind::Selftest => "selftest" }, lesson.kernel.label()) }
                        if let Some(source) = &lesson.source { <span class="source">{ "from " }{ source_link(source) }{ " · " }</span> }
                        if props.bundled {
                            <a href={lesson.path.clone()} target="_blank">{ "lesson file" }</a>
                        } else {
                            <span>{ "pasted: this page only (no link)" }</span>
                        }
                    </p>
                    <ol>
                        { for lesson.beats.iter().enumerate().map(|(i, beat_i)| html! {
                            <li class={classes!((i == beat).then_some("current"))}>
                                <button type="button" class="beat-link" onclick={go(i)}>
                                    { if beat_i.title.is_empty() { "Introduction".to_owned() } else { beat_i.title.clone() } }
                                </button>
                            </li>
                        }) }
                    </ol>
                </nav>
            }
            <article class="beat" id="beat">
                <p class="beat-number">{ format!("Beat {} of {}", beat + 1, beat_count) }</p>
                <h2 id="beat-title">{ title }</h2>
                <div class="prose">{ markdown::render(&prose_before) }</div>
                if !action_lines.is_empty() {
                    <section class="beat-actions">
                        <h3>{ "What the lesson does" }</h3>
                        <pre class="prose-code actions"><code>{ action_lines.join("\n") }</code></pre>
                    </section>
                }
                if !b.predictions.is_empty() {
                    <section class="predictions">
                        <h3>{ "Predict first" }</h3>
                        { for predictions }
                    </section>
                }
                if !ran {
                    <p id="beat-not-run" class="notice error">{ "The lesson stopped before this beat: see the check below." }</p>
                } else if unlocked {
                    if !prose_after.trim().is_empty() {
                        <div class="prose prose-after">{ markdown::render(&prose_after) }</div>
                    }
                    { beat_outcome(played, beat) }
                    if !assertion_claims.is_empty() {
                        <section class="assertions" id="beat-assertions">
                            <h3>{ "What the simulator says" }</h3>
                            <ul>{ for assertion_claims.iter().map(claim_item) }</ul>
                        </section>
                    }
                } else {
                    <p id="beat-locked" class="placeholder">{ "Answer the question above to run this beat." }</p>
                }
                <p class="beat-nav">
                    <button id="beat-prev" type="button" disabled={beat == 0} onclick={go(beat.saturating_sub(1))}>{ "← previous beat" }</button>
                    <button id="beat-next" type="button" disabled={beat + 1 >= beat_count} onclick={go(beat + 1)}>{ "next beat →" }</button>
                </p>
                if let Some((link, embed)) = &props.share {
                    if props.embed {
                        <p class="open-row"><a id="open-full" class="open-full" href={format!("?{link}")} target="_blank"
                            rel="noopener">{ "open in hmmviz ↗" }</a></p>
                    } else {
                        <crate::share::Share link_query={link.clone()} embed_query={embed.clone()} />
                    }
                }
            </article>
            if !props.embed { { check_panel(played.clone()) } }
        </div>
    }
}

/// A prediction's `verify` claim as the report judged it.
#[derive(Clone, Debug, PartialEq)]
struct VerifyLine {
    text: String,
    passed: bool,
    detail: String,
}

#[derive(Properties, PartialEq)]
struct PredictionProps {
    index: usize,
    prediction: Prediction,
    /// The report line of its `verify` claim.
    verdict: Option<VerifyLine>,
    answer: Answer,
    on_answer: Callback<(usize, String, bool)>,
}

/// One question: its choices, a hint per wrong choice tried, then the reveal and the simulator's check.
#[component]
fn PredictionBox(props: &PredictionProps) -> Html {
    let p = &props.prediction;
    let index = props.index;
    let choice_button = |choice: &String| {
        let on_answer = props.on_answer.clone();
        let chosen = choice.clone();
        let tried = props.answer.wrong.contains(choice);
        let right = props.answer.done && *choice == p.answer;
        html! {
            <button type="button" class={classes!("choice", tried.then_some("wrong"), right.then_some("right"))}
                disabled={props.answer.done} data-choice={choice.clone()}
                onclick={Callback::from(move |_: MouseEvent| on_answer.emit((index, chosen.clone(), false)))}>
                { choice.clone() }
            </button>
        }
    };
    let hint = |choice: &String| {
        let text = p
            .hints
            .iter()
            .find(|(c, _)| c == choice)
            .map(|(_, h)| h.clone())
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "Not quite: think again.".to_owned());
        html! { <p class="hint" role="status"><strong>{ format!("Not “{choice}”. ") }</strong>{ markdown::render_inline(&text) }</p> }
    };
    let give_up = {
        let on_answer = props.on_answer.clone();
        Callback::from(move |_: MouseEvent| on_answer.emit((index, String::new(), true)))
    };
    html! {
        <div class="prediction" data-index={index.to_string()}>
            <p class="question">{ markdown::render_inline(&p.question) }</p>
            <div class="choices">{ for p.choices.iter().map(choice_button) }</div>
            if !props.answer.done {
                { for props.answer.wrong.iter().map(hint) }
                if !props.answer.wrong.is_empty() {
                    <button type="button" class="give-up" onclick={give_up}>{ "Show me the answer" }</button>
                }
            } else {
                <div class="reveal" role="status">
                    <p>
                        <strong>{ if props.answer.gave_up { "The answer: " } else { "Right: " } }</strong>
                        { p.answer.clone() }
                    </p>
                    if let Some(v) = &props.verdict {
                        <p class={classes!("verify", if v.passed { "pass" } else { "fail" })}>
                            { "Checked against the simulator: " }<code>{ v.text.clone() }</code>
                            { if v.passed { " holds." } else { " does NOT hold: the lesson's answer is wrong for this model." } }
                            <span class="detail">{ format!(" ({})", v.detail) }</span>
                        </p>
                    }
                </div>
            }
        </div>
    }
}

/// One claim with its verdict, as the report has it.
fn claim_item(a: &AssertionReport) -> Html {
    let mark = if a.passed { "✓" } else { "✗" };
    let why = if a.internal_error {
        " (could not be evaluated: a bug in hmmviz)"
    } else if a.expect_fail && !a.holds {
        " (expected not to hold, and it does not)"
    } else if a.expect_fail {
        " (expected not to hold, but it does)"
    } else {
        ""
    };
    html! {
        <li class={classes!("claim", if a.passed { "pass" } else { "fail" })} data-line={a.line.to_string()}
            data-col={a.col.to_string()} data-passed={a.passed.to_string()} data-holds={a.holds.to_string()}>
            <span class="mark" aria-label={if a.passed { "passes" } else { "fails" }}>{ mark }</span>
            { " " }
            if a.expect_fail { <span class="expect-fail">{ "expect_fail: " }</span> }
            <code>{ a.text.clone() }</code>{ why }
            <span class="detail">{ format!(" — {}", a.detail) }</span>
        </li>
    }
}

fn result_text(r: &ResultObs) -> String {
    match r {
        ResultObs::Dmirror {
            ret,
            cpages,
            faults,
            ..
        } => format!(
            "returned {}, cpages {cpages}, faults {faults}",
            hmm_sim::describe_errno((*ret).clamp(i32::MIN as i64, i32::MAX as i64) as i32)
        ),
        ResultObs::CpuRead { data } => {
            let failed = data.values().filter(|v| v.is_none()).count();
            format!(
                "read {} pages{}",
                data.len(),
                if failed > 0 {
                    format!(", {failed} faulted (SIGSEGV)")
                } else {
                    String::new()
                }
            )
        }
        ResultObs::Run {
            outcome,
            ret,
            stopped,
        } => {
            let mut s = format!("ended: {}", outcome.name().replace('_', " "));
            if let Some(ret) = ret {
                s.push_str(&format!(
                    ", returned {}",
                    hmm_sim::describe_errno((*ret).clamp(i32::MIN as i64, i32::MAX as i64) as i32)
                ));
            }
            if let Some(why) = stopped {
                s.push_str(&format!(" ({why})"));
            }
            s
        }
        ResultObs::Syscall { ret } => format!(
            "returned {}",
            hmm_sim::describe_errno((*ret).clamp(i32::MIN as i64, i32::MAX as i64) as i32)
        ),
    }
}

fn page_cells(p: &PageObs) -> String {
    let mut s = p.pte.clone();
    if let Some(r) = p.refcount {
        s.push_str(&format!(" · ref {r}"));
    }
    if let Some(m) = p.mapcount {
        s.push_str(&format!(" · map {m}"));
    }
    if p.locked {
        s.push_str(" · locked");
    }
    s
}

/// What the beat's actions did: its results, and per world it changed the events (narrated) and the pages.
fn beat_outcome(played: &PlayedLesson, beat: usize) -> Html {
    let Some(obs) = played.beats.get(beat) else {
        return html! {};
    };
    let before = beat.checked_sub(1).and_then(|b| played.beats.get(b));
    let results: Vec<(String, String)> = obs
        .results
        .iter()
        .filter(|(name, r)| before.is_none_or(|b| b.results.get(*name) != Some(*r)))
        .map(|(name, r)| (name.clone(), result_text(r)))
        .collect();
    let worlds = played.changed_worlds(beat);
    if results.is_empty() && worlds.is_empty() {
        return html! {};
    }
    html! {
        <section class="beat-outcome" id="beat-outcome">
            <h3>{ "What happened" }</h3>
            if !results.is_empty() {
                <ul class="results">
                    { for results.iter().map(|(name, text)| html! { <li><code>{ name.clone() }</code>{ format!(": {text}") }</li> }) }
                </ul>
            }
            { for worlds.iter().map(|w| world_html(w, played.lesson.as_ref().map_or(hmm_sim::KernelVersion::V6_15, |l| l.kernel))) }
        </section>
    }
}

fn world_html(w: &WorldChange, kernel: hmm_sim::KernelVersion) -> Html {
    let (lines, left) = w.narration();
    let title = if w.name == "main" {
        "the test process".to_owned()
    } else {
        format!("lane {}", w.name)
    };
    let pages = &w.world.pages;
    let changed = |i: usize| {
        w.before
            .as_ref()
            .and_then(|b| b.pages.get(i))
            .is_none_or(|b| b.pte != pages[i].pte)
    };
    html! {
        <div class="world" data-world={w.name.clone()}>
            <h4>{ title }</h4>
            <WorldSteps {lines} {left} {kernel} />
            <table class="world-pages">
                <thead><tr><th>{ "page" }</th><th>{ "PTE and folio after this beat" }</th></tr></thead>
                <tbody>
                    { for pages.iter().enumerate().take(MAX_TABLE_PAGES).map(|(i, p)| html! {
                        <tr class={classes!(changed(i).then_some("changed"))}>
                            <td>{ i }</td><td>{ page_cells(p) }</td>
                        </tr>
                    }) }
                </tbody>
            </table>
            if pages.len() > MAX_TABLE_PAGES {
                <p class="more">{ format!("… {} more pages (the table lists the first {MAX_TABLE_PAGES})", pages.len() - MAX_TABLE_PAGES) }</p>
            }
        </div>
    }
}

/// How long each step stays on screen while a beat's steps play, in milliseconds: `STEP_MS`, shorter for a
/// long beat so that the whole plays in about `PLAY_MS`, never under `MIN_STEP_MS`.
pub const STEP_MS: u32 = 150;
pub const PLAY_MS: u32 = 12_000;
pub const MIN_STEP_MS: u32 = 20;

fn step_ms(total: usize) -> u32 {
    (PLAY_MS / (total.max(1) as u32)).clamp(MIN_STEP_MS, STEP_MS)
}

#[derive(Properties, PartialEq)]
struct WorldStepsProps {
    lines: Vec<super::play::Narrated>,
    left: usize,
    kernel: hmm_sim::KernelVersion,
}

/// A world's steps in one beat: listed whole, or played one at a time ("play the steps": the steps the beat's
/// actions produced appear in order, the latest highlighted; ◀ / ▶ step by hand), so a reader sees the
/// actions unfold rather than only their end.
#[component]
fn WorldSteps(props: &WorldStepsProps) -> Html {
    let total = props.lines.len();
    // (None: every step listed, or Some(n): the first n steps shown; moving on by itself).
    let at = use_state(|| (None::<usize>, false));
    {
        let at = at.clone();
        use_effect_with(*at, move |&(shown, playing)| {
            let tick = shown.filter(|&n| playing && n < total).map(|n| {
                Timeout::new(step_ms(total), move || at.set((Some(n + 1), n + 1 < total)))
            });
            move || drop(tick)
        });
    }
    // The list scrolls itself (not the page) to keep the latest step in sight.
    let list = use_node_ref();
    {
        let list = list.clone();
        use_effect_with(*at, move |_| {
            let Some(ol) = list.cast::<web_sys::HtmlElement>() else {
                return;
            };
            if let Some(li) = ol
                .query_selector("li.current")
                .ok()
                .flatten()
                .and_then(|li| li.dyn_into::<web_sys::HtmlElement>().ok())
            {
                ol.set_scroll_top(li.offset_top() - ol.offset_top() - ol.client_height() / 2);
            }
        });
    }
    let set = |to: Option<usize>, play: bool| {
        let at = at.clone();
        Callback::from(move |_: MouseEvent| at.set((to, play)))
    };
    let (shown, playing) = *at;
    let count = shown.unwrap_or(total);
    html! {
        <>
        <p class="step-player" data-shown={count.to_string()} data-total={total.to_string()}>
                if total > 0 {
                    <button type="button" class="steps-play" disabled={playing} onclick={set(Some(1), true)}>{ "play the steps" }</button>
                    <button type="button" class="steps-back" disabled={count <= 1} onclick={set(Some(count.saturating_sub(1).max(1)), false)}>{ "◀" }</button>
                    <button type="button" class="steps-next" disabled={count >= total} onclick={set(Some((count + 1).min(total)), false)}>{ "▶" }</button>
                    <button type="button" class="steps-all" disabled={shown.is_none()} onclick={set(None, false)}>{ "all" }</button>
                    { format!(" step {count} of {total}") }
                    if props.left > 0 { { format!(" (the first {total} of {})", total + props.left) } }
                }
        </p>
        <details class="events" open={total <= 40 || shown.is_some()}>
            <summary>{ format!("{} steps", total + props.left) }</summary>
            <ol class="event-lines" ref={list}>
                { for props.lines.iter().take(count).enumerate().map(|(i, n)| html! {
                    <li class={classes!((shown.is_some() && i + 1 == count).then_some("current"))}>
                        <span class="thread">{ n.thread.clone() }</span>{ " " }{ crate::glossary::linkify(&n.line) }{ func_link(n.func, props.kernel) }
                        if let Some(why) = n.why { <span class="why">{ " — " }{ crate::glossary::linkify(why) }</span> }
                    </li>
                }) }
            </ol>
            if props.left > 0 && shown.is_none() {
                <p class="more">{ format!("… and {} more steps (the page shows at most {MAX} per world and beat)", props.left, MAX = super::play::MAX_NARRATED_EVENTS) }</p>
            }
        </details>
        </>
    }
}

/// A selftest's `source` (`tools/testing/…/hmm-tests.c: TEST_F(…)`): its file links to the kernel source.
fn source_link(source: &str) -> Html {
    let file = source.split(':').next().unwrap_or("").trim();
    if !crate::glossary::is_kernel_file(file) {
        return html! { { source.to_owned() } };
    }
    html! {
        <a href={format!("https://elixir.bootlin.com/linux/{}/source/{file}", crate::glossary::KERNEL_REF)}
            target="_blank" rel="noopener">{ source.to_owned() }</a>
    }
}

/// A link to where `kernel`'s source defines `func` (`crate::kernel_refs`: its line on Elixir when verified,
/// else Elixir's identifier search for that version, said in the title), and where hmm-sim models it.
pub fn func_link(func: hmm_sim::Func, kernel: hmm_sim::KernelVersion) -> Html {
    let Some(link) = crate::kernel_refs::link(func, kernel) else {
        return html! {};
    };
    let title = match &link.sim {
        Some(sim) => format!("{}; modelled in {sim}", link.title),
        None => link.title.clone(),
    };
    match link.url {
        Some(url) => html! {
            <a class="func-link" href={url} target="_blank" rel="noopener" {title}
                data-verified={link.verified.to_string()}>
                { " ↗" }
            </a>
        },
        None => {
            html! { <span class="func-link" {title}>{ format!(" ({})", hmm_sim::RFC_MARK) }</span> }
        }
    }
}

/// Every verdict of the lesson, as `hmmviz check` reports it: collapsed, so it does not give answers away.
fn check_panel(played: Rc<PlayedLesson>) -> Html {
    let download = {
        let played = played.clone();
        Callback::from(move |_: MouseEvent| {
            let r = &played.report;
            let page = hmm_lesson::report_html::report_html(r, "the hmmviz web app");
            let name = format!(
                "{}-report.html",
                crate::export::safe_name(r.id.as_deref().unwrap_or("lesson"))
            );
            // A refused download (a sandboxed frame) leaves nothing to show: the panel is still there.
            let _ = crate::export::menu::download_text(&page, "text/html", &name);
        })
    };
    let r = &played.report;
    html! {
        <details id="lesson-check" class="lesson-check" data-passed={r.passed().to_string()}>
            <summary>{
                format!("Check this lesson as hmmviz check does: {} ({} claims, {} failing{})",
                    if r.passed() { "PASS" } else { "FAIL" },
                    r.assertions.len(),
                    r.failures().count(),
                    if r.not_run > 0 { format!(", {} not run", r.not_run) } else { String::new() })
            }</summary>
            if !r.diagnostics.is_empty() {
                <pre class="diagnostics">{ r.diagnostics.iter().map(|d| d.to_string()).collect::<Vec<_>>().join("\n") }</pre>
            }
            <ul>{ for r.assertions.iter().map(claim_item) }</ul>
            <p><button id="lesson-report-download" type="button" onclick={download}>{ "download this report (one HTML page)" }</button></p>
        </details>
    }
}
