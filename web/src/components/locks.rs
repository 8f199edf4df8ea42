//! Locks with their holders, threads with their call stacks (and what a sleeping thread waits on), and the MMU
//! notifier state: sequence counters and open invalidations.

use std::rc::Rc;

use yew::prelude::*;

use hmm_sim::{LockId, SeqId};

use crate::decode;
use crate::picture::deep::{LockRow, ThreadRow};

#[derive(Properties, PartialEq)]
pub struct LocksProps {
    pub locks: Rc<Vec<LockRow>>,
    /// Folio locks held in all; `locks` lists only some of them when there are many.
    pub folio_locks: usize,
    pub threads: Rc<Vec<ThreadRow>>,
    pub seqs: Rc<Vec<(SeqId, u32, bool)>>,
    pub notifiers: Rc<Vec<String>>,
}

#[component]
pub fn Locks(props: &LocksProps) -> Html {
    let listed = props
        .locks
        .iter()
        .filter(|l| matches!(l.lock, LockId::Folio(_)))
        .count();
    let folios = props.folio_locks;
    html! {
        <>
            <section id="threads" class="panel threads" aria-label="Threads">
                <h3>{ "Threads" }</h3>
                { for props.threads.iter().map(|t| html! {
                    <div key={t.tid} class="thread">
                        <p class="thread-name">{ &t.name }
                            { match &t.waiting {
                                Some(w) => html! { <span class="waiting">{ format!(" sleeps, waiting for {w}") }</span> },
                                None => html! {},
                            } }
                        </p>
                        <ol class="stack" reversed=true aria-label="call stack, innermost first">
                            { for t.stack.iter().rev().map(|f| html! {
                                <li title={format!("{}: {}", f.file(), f.what())}><code>{ f.name() }</code></li>
                            }) }
                        </ol>
                    </div>
                }) }
            </section>
            <section id="locks" class="panel locks" aria-label="Locks held">
                <h3>{ "Locks held" }</h3>
                if props.locks.is_empty() {
                    <p class="none">{ "none" }</p>
                } else {
                    <ul>
                        { for props.locks.iter().map(|l| html! {
                            <li key={format!("{:?}", l.lock)} class={classes!(l.changed.then_some("changed"))}>
                                { l.lock.describe() }{ " — " }
                                { l.holders.iter().map(|t| format!("T{t}")).collect::<Vec<_>>().join(", ") }
                            </li>
                        }) }
                        if folios > listed {
                            <li>{ format!("… and PG_locked of {} more folios ({folios} in all; see the frames' PG_locked column)", folios - listed) }</li>
                        }
                    </ul>
                }
            </section>
            <section id="notifiers" class="panel notifiers" aria-label="MMU notifiers">
                <h3>{ "MMU notifiers" }</h3>
                <ul>
                    { for props.seqs.iter().map(|&(id, v, changed)| {
                        let name = decode::seq_name(id);
                        html! {
                            <li key={name.clone()} class={classes!(changed.then_some("changed"))}>
                                { name }{ ": " }<b>{ v }</b>
                                { if matches!(id, SeqId::Mm(_)) && v % 2 == 1 { " (odd: an invalidation is running)" } else { "" } }
                            </li>
                        }
                    }) }
                </ul>
                if props.notifiers.is_empty() {
                    <p class="none">{ "no invalidation open" }</p>
                } else {
                    <ul class="open-invalidations">
                        { for props.notifiers.iter().map(|n| html! { <li>{ "open: " }{ n }</li> }) }
                    </ul>
                }
            </section>
        </>
    }
}
