//! The race lab page (`?race=KEY&kernel=V&schedule=t1,t2*3,…`): the reader is the scheduler. One lane per
//! thread with what it holds and waits on, a step button per runnable thread, undo, "run on", round robin,
//! and "find a bad schedule" (hmm-sim's explorer) whose witness becomes the schedule, so a witness is a link.

use std::rc::Rc;

use gloo::timers::callback::Timeout;
use hmm_lesson::model::RunEnd;
use hmm_sim::{narrate, Ev, KernelVersion, ThreadState};
use yew::prelude::*;

use super::builder::{Build, BUILD_PARAMS, BUILT_KEY};
use super::builder_view::RaceBuilder;
use super::model::{self, BadSearch, RaceDef, Search, Stepped, MAX_SEARCH_RUNS, SEARCH_SLICE};
use super::url::{self, RaceRoute};
use crate::picture::held_by;

/// Steps listed in the swimlanes: the latest ones.
pub const MAX_SHOWN_EVENTS: usize = 80;

/// A livelock's repeating cycle is listed whole (plus a few steps before it) up to this many steps.
pub const MAX_SHOWN_CYCLE: usize = 400;

fn search_string() -> String {
    web_sys::window()
        .and_then(|w| w.location().search().ok())
        .unwrap_or_default()
}

/// Write the route (and, for a race built in the page, its build) into the address.
fn write_url(route: &RaceRoute, names: &[String], build: &Build) {
    let Some(window) = web_sys::window() else {
        return;
    };
    // The build's own parameters are rewritten from `build`, or dropped for any other race.
    let others: Vec<String> = search_string()
        .trim_start_matches('?')
        .split('&')
        .filter(|p| !BUILD_PARAMS.contains(&p.split('=').next().unwrap_or("")))
        .map(str::to_owned)
        .collect();
    let mut query = url::format(&others.join("&"), route, names);
    if route.key == BUILT_KEY {
        query = format!("{query}&{}", build.to_query());
    }
    let path = window.location().pathname().unwrap_or_default();
    if let Ok(history) = window.history() {
        let _ = history.replace_state_with_url(
            &wasm_bindgen::JsValue::NULL,
            "",
            Some(&format!("{path}?{query}")),
        );
    }
}

/// A change a button makes to the route, given where the run is now.
type Edit = Rc<dyn Fn(&mut RaceRoute, &Stepped)>;

#[derive(Clone, PartialEq)]
enum Searching {
    Idle,
    /// Schedules tried so far; the search itself is kept beside the state (`use_mut_ref`).
    Running(usize),
    /// Stopped by the reader after this many schedules.
    Cancelled(usize),
    Done(Search),
}

/// The race lab.
#[component]
pub fn RaceLab() -> Html {
    let races = use_memo((), |_| Rc::new(model::builtin()));
    let initial_build = use_memo((), |_| Build::from_query(&search_string()));
    let build = {
        let initial_build = initial_build.clone();
        use_state(move || initial_build.0.clone())
    };
    // The race built in the page, or why it cannot be (on the lab's default kernel; runs use the route's).
    let built = use_memo((*build).clone(), |b| b.race(KernelVersion::V6_14));
    let initial = {
        let races = races.clone();
        let built = built.clone();
        use_memo((), move |_| {
            let mut offered: Vec<RaceDef> = races.to_vec();
            offered.extend(built.as_ref().as_ref().ok().cloned());
            url::resolve(&search_string(), &offered)
        })
    };
    let route = {
        let initial = initial.clone();
        use_state(move || initial.0.clone())
    };
    let notice = use_state(|| {
        // A link to a built race that does not build: the builder, open, says why.
        let unbuilt = url::wants_key(&search_string(), BUILT_KEY) && built.is_err();
        let resolved = if unbuilt {
            Some("The race in this link could not be built (the builder below says why): showing the first race.".to_owned())
        } else {
            initial.1.clone()
        };
        [resolved, initial_build.1.clone()]
            .into_iter()
            .flatten()
            .reduce(|a, b| format!("{a} {b}"))
    });
    let searching = use_state(|| Searching::Idle);

    let def: Option<RaceDef> = if route.key == BUILT_KEY {
        built.as_ref().as_ref().ok().cloned()
    } else {
        races.iter().find(|r| r.key == route.key).cloned()
    };
    let stepped = {
        let def = def.clone();
        use_memo(
            (
                route.key.clone(),
                route.kernel,
                route.choices.clone(),
                route.run_on,
            ),
            move |(_, kernel, choices, run_on)| {
                def.map(|d| {
                    if *run_on {
                        model::run_on(&d.race, *kernel, choices)
                    } else {
                        model::step(&d.race, *kernel, choices)
                    }
                })
            },
        )
    };
    let names = def.as_ref().map(RaceDef::names).unwrap_or_default();
    {
        let names = names.clone();
        use_effect_with(
            ((*route).clone(), stepped.clone(), (*build).clone()),
            move |(route, stepped, build)| {
                // The URL holds the choices actually taken (a cut schedule is written back cut).
                let mut shown = route.clone();
                if let Some(s) = stepped.as_ref() {
                    shown.choices = s.choices.clone();
                    shown.run_on = false;
                }
                write_url(&shown, &names, build);
            },
        );
    }
    // "Find a bad schedule": a slice of schedules per timer tick, the progress painted between slices, so
    // the page stays responsive and "stop" is heard. Leaving `Running` (stop, another race, a kernel) drops
    // the pending tick.
    let search = use_mut_ref(|| None::<BadSearch>);
    {
        let searching = searching.clone();
        let route = route.clone();
        let def = def.clone();
        let search = search.clone();
        use_effect_with((*searching).clone(), move |state| {
            let timeout = matches!(state, Searching::Running(_)).then(|| {
                Timeout::new(0, move || {
                    let Some(d) = def else { return };
                    let mut slot = search.borrow_mut();
                    // No search: it was stopped (or another race picked) after this tick was queued but
                    // before the page re-rendered and dropped it; starting a new one here ignored the stop.
                    let Some(running) = slot.as_mut() else { return };
                    match running.resume(&d.race, route.kernel, SEARCH_SLICE) {
                        None => searching.set(Searching::Running(running.tried())),
                        Some(found) => {
                            *slot = None;
                            if let Some((witness, _)) = &found.witness {
                                route.set(RaceRoute {
                                    choices: witness.clone(),
                                    run_on: false,
                                    ..(*route).clone()
                                });
                            }
                            searching.set(Searching::Done(found));
                        }
                    }
                })
            });
            move || drop(timeout)
        });
    }

    let set = |f: Edit| {
        let route = route.clone();
        let stepped = stepped.clone();
        let searching = searching.clone();
        let search = search.clone();
        Callback::from(move |_: MouseEvent| {
            if let Some(s) = stepped.as_ref() {
                let mut next = (*route).clone();
                next.choices = s.choices.clone();
                next.run_on = false;
                f(&mut next, s);
                route.set(next);
                searching.set(Searching::Idle);
                *search.borrow_mut() = None;
            }
        })
    };

    let on_build = {
        let build = build.clone();
        let route = route.clone();
        let searching = searching.clone();
        let search = search.clone();
        Callback::from(move |next: Build| {
            build.set(next);
            route.set(RaceRoute {
                key: BUILT_KEY.into(),
                kernel: route.kernel,
                choices: vec![],
                run_on: false,
            });
            searching.set(Searching::Idle);
            *search.borrow_mut() = None;
        })
    };
    let builder = html! {
        <RaceBuilder initial={(*build).clone()} open={route.key == BUILT_KEY || built.is_err()}
            error={built.as_ref().as_ref().err().cloned()} lesson={build.lesson_text(route.kernel)}
            {on_build} />
    };
    let Some(def) = def else {
        return html! { <div id="race-lab">{ builder }<p class="placeholder">{ "No race to show." }</p></div> };
    };
    let Some(s) = stepped.as_ref().clone() else {
        return html! {};
    };
    let view = model::view_after(&def.race, &s.events);
    let waiting: Vec<(u8, String)> = view.waiting().map(|(t, w)| (t, w.describe())).collect();
    let exited: Vec<u8> = s
        .events
        .iter()
        .filter_map(|e| match e.decode() {
            Ev::Thread {
                tid,
                state: ThreadState::Exited,
                ..
            } => Some(tid),
            _ => None,
        })
        .collect();

    let race_picker = {
        let handle = route.clone();
        let searching = searching.clone();
        let search = search.clone();
        let onchange = Callback::from(move |e: Event| {
            use wasm_bindgen::JsCast;
            if let Some(select) = e
                .target()
                .and_then(|t| t.dyn_into::<web_sys::HtmlSelectElement>().ok())
            {
                handle.set(RaceRoute {
                    key: select.value(),
                    kernel: handle.kernel,
                    choices: vec![],
                    run_on: false,
                });
                searching.set(Searching::Idle);
                *search.borrow_mut() = None;
            }
        });
        html! {
            <label>{ "Race: " }
                <select id="race-pick" {onchange}>
                    { for races.iter().chain(built.as_ref().as_ref().ok()).map(|r| html! {
                        <option value={r.key.clone()} selected={r.key == route.key}>
                            { format!("{} ({})", r.title, r.key) }
                        </option>
                    }) }
                </select>
            </label>
        }
    };
    let kernel_button = |k: KernelVersion| {
        let selected = route.kernel == k;
        html! {
            <button type="button" id={format!("race-kernel-{}", k.name())}
                class={classes!("view-tab", selected.then_some("selected"))} aria-pressed={selected.to_string()}
                onclick={set(Rc::new(move |r: &mut RaceRoute, _| r.kernel = k))}>
                { format!("kernel {}", k.label()) }
            </button>
        }
    };

    let thread_lane = |(i, name): (usize, &String)| {
        let tid = i as u8;
        let held: Vec<String> = held_by(&view, tid)
            .into_iter()
            .map(|l| l.describe())
            .collect();
        let waits = waiting
            .iter()
            .find(|(t, _)| *t == tid)
            .map(|(_, w)| w.clone());
        let runnable = s.runnable.contains(&tid);
        let status = if exited.contains(&tid) {
            "finished".to_owned()
        } else if runnable {
            "runnable".to_owned()
        } else if let Some(w) = &waits {
            format!("blocked: waits for {w}")
        } else if s.end.is_some() {
            "stopped".to_owned()
        } else {
            "not runnable at this choice".to_owned()
        };
        html! {
            <div class={classes!("race-thread", runnable.then_some("runnable"))} data-thread={name.clone()}>
                <h3>{ name.clone() }</h3>
                <p class="race-status">{ status }</p>
                <p class="race-holds">{ if held.is_empty() { "holds nothing".to_owned() } else { format!("holds {}", held.join(", ")) } }</p>
                if runnable {
                    <button type="button" id={format!("race-step-{name}")} class="race-step"
                        onclick={set(Rc::new(move |r: &mut RaceRoute, _| r.choices.push(tid)))}>
                        { format!("step {name}") }
                    </button>
                }
            </div>
        }
    };

    let livelock = s.end.as_ref().is_some_and(|e| e.how == RunEnd::Livelock);
    // A livelock's last turn: the rows of its repeating cycle, shown whole when it fits MAX_SHOWN_CYCLE.
    let period = livelock.then(|| model::cycle_period(&s.events)).flatten();
    let cycle_from = period.map_or(usize::MAX, |p| s.events.len() - p);
    let shown = match period {
        Some(p) if p <= MAX_SHOWN_CYCLE => MAX_SHOWN_EVENTS.max(p + 8),
        _ => MAX_SHOWN_EVENTS,
    };
    let shown_from = s.events.len().saturating_sub(shown);
    let rows = s.events[shown_from..].iter().enumerate().map(|(k, e)| {
        let in_cycle = shown_from + k >= cycle_from;
        html! {
            <tr class={classes!(in_cycle.then_some("cycle"))}>
                <td class="race-step-no">{ shown_from + k + 1 }</td>
                { for (0..names.len()).map(|t| html! {
                    <td>
                        if e.thread as usize == t {
                            { crate::glossary::linkify(&narrate(e)) }{ crate::lesson::func_link(e.func, route.kernel) }
                            if let Some(why) = crate::why::why(e) { <span class="why">{ " — " }{ why }</span> }
                        }
                    </td>
                }) }
            </tr>
        }
    });

    html! {
        <div id="app" class="app race">
        <header class="topbar">
            <div class="brand">
                <h1>{ "hmmviz race lab" }</h1>
                <p class="tagline">{ "Threads racing on one device page: you pick who runs next" }</p>
            </div>
            <nav class="views" aria-label="Views">
                <a class="view-tab" href="./">{ "Compare lanes" }</a>
                <a class="view-tab" href="?lessons">{ "Lessons" }</a>
                <a class="view-tab selected" href="?race=livelock-6-14">{ "Race lab" }</a>
                <a class="view-tab" href="?glossary">{ "Glossary" }</a>
            </nav>
        </header>
        <div class="race-lab" id="race-lab" data-race={def.key.clone()} data-kernel={route.kernel.name()}
            data-choices={s.choices.len().to_string()}>
            if let Some(text) = &*notice {
                <p id="race-notice" class="notice" role="status">{ text.clone() }</p>
            }
            <section class="race-controls">
                { race_picker }
                <span class="race-kernels">{ for KernelVersion::ALL.into_iter().map(kernel_button) }</span>
                if crate::lesson::bundle::is_known(def.key.split(':').next().unwrap_or("")) {
                    <a href={format!("?lesson={}", def.key.split(':').next().unwrap_or(""))}>{ "the lesson behind it" }</a>
                }
            </section>
            { builder }
            <p class="race-explain">
                { "You are the scheduler. At each point where more than one thread could run, pick one; a thread runs until its next preemption point. " }
                { "“Run on” lets the simulator's scheduler continue (the last thread keeps running until it blocks); “round robin” is the lessons' schedule." }
            </p>
            <section class="race-buttons">
                <button type="button" id="race-undo" disabled={s.choices.is_empty()}
                    onclick={set(Rc::new(|r: &mut RaceRoute, _| { r.choices.pop(); }))}>{ "undo" }</button>
                <button type="button" id="race-reset" onclick={set(Rc::new(|r: &mut RaceRoute, _| r.choices.clear()))}>{ "restart" }</button>
                <button type="button" id="race-run-on" disabled={s.end.is_some()}
                    onclick={set(Rc::new(|r: &mut RaceRoute, _| r.run_on = true))}>{ "run on" }</button>
                <button type="button" id="race-round-robin" onclick={{
                    let def = def.clone();
                    set(Rc::new(move |r: &mut RaceRoute, _| r.choices = model::round_robin(&def.race, r.kernel)))
                }}>{ "round robin" }</button>
                if let Searching::Running(tried) = *searching {
                    <button type="button" id="race-stop" onclick={{
                        let searching = searching.clone();
                        let search = search.clone();
                        Callback::from(move |_: MouseEvent| {
                            *search.borrow_mut() = None;
                            searching.set(Searching::Cancelled(tried));
                        })
                    }}>{ "stop searching" }</button>
                } else {
                    <button type="button" id="race-find"
                        onclick={{
                            let searching = searching.clone();
                            let search = search.clone();
                            Callback::from(move |_: MouseEvent| {
                                *search.borrow_mut() = Some(BadSearch::new(MAX_SEARCH_RUNS));
                                searching.set(Searching::Running(0));
                            })
                        }}>
                        { "find a bad schedule" }
                    </button>
                }
            </section>
            { search_line(&searching) }
            if let Some(cut) = &s.cut {
                <p id="race-cut" class="notice">{ cut.clone() }</p>
            }
            { outcome_banner(&s, &def) }
            if let Some(p) = period {
                <p id="race-cycle" class="race-cycle" data-period={p.to_string()}>{
                    format!("The run repeats every {p} steps: the same kernel functions, thread by thread, again and again. Its last turn, steps {} to {}, is highlighted below{}.",
                        cycle_from + 1, s.events.len(),
                        if p > MAX_SHOWN_CYCLE { format!(" (only its last {shown} steps are listed)") } else { String::new() })
                }</p>
            } else if livelock {
                <p id="race-cycle" class="race-cycle">{ format!("No exact repeat of at most {} steps was found at the end of the run.", model::MAX_CYCLE) }</p>
            }
            <p class="race-schedule">{ format!("{} choices made", s.choices.len()) }
                if !s.choices.is_empty() { { format!(": {}", url::schedule_text(&s.choices, &names)) } }
            </p>
            <div class="race-threads" style={format!("grid-template-columns: repeat({}, minmax(0, 1fr))", names.len().max(1))}>
                { for names.iter().enumerate().map(thread_lane) }
            </div>
            <table class="race-swimlanes" id="race-swimlanes">
                <caption>{
                    if shown_from > 0 { format!("The last {shown} of {} steps, one column per thread", s.events.len()) }
                    else { format!("{} steps, one column per thread", s.events.len()) }
                }</caption>
                <thead><tr><th>{ "step" }</th>{ for names.iter().map(|n| html! { <th>{ n.clone() }</th> }) }</tr></thead>
                <tbody>{ for rows }</tbody>
            </table>
        </div>
        </div>
    }
}

fn search_line(searching: &Searching) -> Html {
    match searching {
        Searching::Idle => html! {},
        Searching::Running(tried) => html! {
            <p id="race-search" class="placeholder" role="status">
                { format!("Searching with hmm-sim's depth-first explorer: {tried} of at most {MAX_SEARCH_RUNS} schedules tried…") }
                <progress max={MAX_SEARCH_RUNS.to_string()} value={tried.to_string()}></progress>
            </p>
        },
        Searching::Cancelled(tried) => html! {
            <p id="race-search" class="notice" role="status">
                { format!("Stopped after {tried} schedules, none of which went wrong.") }
            </p>
        },
        Searching::Done(found) => {
            let text = match &found.witness {
                Some((witness, how)) => format!(
                    "Found a {} after {} schedules: its {} choices are replayed below, and the address is a link to it.",
                    how.name().replace('_', " "),
                    found.tried,
                    witness.len()
                ),
                None if found.exhaustive => format!("Every schedule ({}) completes.", found.tried),
                None => format!(
                    "None of the {} schedules tried went wrong (the search stops at {MAX_SEARCH_RUNS}; it is not a proof).",
                    found.tried
                ),
            };
            html! { <p id="race-search" class="notice" role="status">{ text }</p> }
        }
    }
}

fn outcome_banner(s: &Stepped, def: &RaceDef) -> Html {
    let Some(end) = &s.end else {
        return html! {
            <p id="race-outcome" class="race-outcome paused" data-end="paused">
                { format!("Paused at a choice: {} can run.", s.runnable.iter().map(|t| def.race.threads.get(*t as usize).map_or("?".to_owned(), |x| x.name.clone())).collect::<Vec<_>>().join(", ")) }
            </p>
        };
    };
    let text = match end.how {
        RunEnd::Completed => "Completed: every thread finished its work.".to_owned(),
        RunEnd::Deadlock => format!(
            "Deadlock: no thread can run; each waits for a lock that is never released (a thread may hold the one it waits for). {}",
            end.why.clone().unwrap_or_default()
        ),
        RunEnd::Livelock => format!(
            "Livelock: the threads kept running but made no progress. The step limit ({}) was reached while they were still redoing work: re-faulting, or migration failing with -EAGAIN. ",
            hmm_sim::thousands(def.race.config.limits.max_steps)
        ),
        RunEnd::StepLimit => format!(
            "Step limit: the run did not finish within {} steps, and it was not only redoing work. {}",
            hmm_sim::thousands(def.race.config.limits.max_steps),
            end.why.clone().unwrap_or_default()
        ),
    };
    html! {
        <p id="race-outcome" class={classes!("race-outcome", end.how.name())} data-end={end.how.name()} role="status">{ text }</p>
    }
}
