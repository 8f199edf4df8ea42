//! The lesson files and their index. `web/build.rs` lists their paths; the texts are data beside the app
//! (trunk copies `lessons/`), fetched once per page load by the lesson pages and the race lab (`load`), so
//! they do not weigh on the wasm. Natively (the unit tests) they are read from the repository.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::OnceLock;

use hmm_lesson::model::LessonKind;
use hmm_sim::KernelVersion;

include!(concat!(env!("OUT_DIR"), "/lessons.rs"));

/// A lesson file: its path as `hmmviz check lessons` names it (its URL beside the app too) and its text.
pub type LessonFile = (&'static str, &'static str);

/// The loaded files, in `PATHS` order; set once (the texts live as long as the page).
static FILES: OnceLock<Vec<LessonFile>> = OnceLock::new();

/// Every lesson file, once loaded (`load`); none before.
#[cfg(target_arch = "wasm32")]
pub fn files() -> &'static [LessonFile] {
    FILES.get().map_or(&[], Vec::as_slice)
}

/// Every lesson file, read from the repository (native builds: the unit tests).
#[cfg(not(target_arch = "wasm32"))]
pub fn files() -> &'static [LessonFile] {
    FILES.get_or_init(|| {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        PATHS
            .iter()
            .filter_map(|&path| {
                let text = std::fs::read_to_string(root.join(path)).ok()?;
                Some((path, &*Box::leak(text.into_boxed_str())))
            })
            .collect()
    })
}

/// Fetch every lesson file (all at once, each its own request) and call `done` when all have arrived, or
/// with the first failure in words. A second call after a success finds them loaded and calls `done` at once.
pub fn load(done: impl FnOnce(Result<(), String>) + 'static) {
    if FILES.get().is_some() {
        return done(Ok(()));
    }
    type Slots = Vec<Option<Result<String, String>>>;
    let slots: Rc<RefCell<Slots>> = Rc::new(RefCell::new(vec![None; PATHS.len()]));
    let done = Rc::new(RefCell::new(Some(done)));
    for (i, &path) in PATHS.iter().enumerate() {
        let slots = slots.clone();
        let done = done.clone();
        yew::platform::spawn_local(async move {
            let text = fetch_text(path).await;
            let mut slots = slots.borrow_mut();
            slots[i] = Some(text);
            if slots.iter().any(Option::is_none) {
                return;
            }
            let mut files = Vec::with_capacity(PATHS.len());
            let mut outcome = Ok(());
            for (&path, slot) in PATHS.iter().zip(slots.drain(..)) {
                match slot {
                    Some(Ok(text)) => files.push((path, &*Box::leak(text.into_boxed_str()))),
                    Some(Err(e)) if outcome.is_ok() => outcome = Err(e),
                    _ => {}
                }
            }
            if outcome.is_ok() {
                let _ = FILES.set(files);
            }
            if let Some(done) = done.borrow_mut().take() {
                done(outcome);
            }
        });
    }
}

async fn fetch_text(path: &str) -> Result<String, String> {
    let failed = |why: String| {
        format!("The lesson file {path} could not be loaded ({why}). The lesson pages read their files from the lessons/ folder served beside this page: serve the site over HTTP, as `cargo xtask serve` or `cargo xtask dist` build it.")
    };
    let response = gloo::net::http::Request::get(path)
        .send()
        .await
        .map_err(|e| failed(e.to_string()))?;
    if !response.ok() {
        return Err(failed(format!("HTTP {}", response.status())));
    }
    response.text().await.map_err(|e| failed(e.to_string()))
}

/// One line of the lesson index: what a reader picks a lesson by.
#[derive(Clone, Debug, PartialEq)]
pub struct IndexEntry {
    pub id: String,
    pub path: &'static str,
    pub title: String,
    pub kind: LessonKind,
    pub kernel: KernelVersion,
    pub audience: Vec<String>,
    pub beats: usize,
    pub predictions: usize,
}

/// Every lesson that parses (the lesson tests keep them all parsing), in `PATHS` order. Parsing is
/// cheap next to running: the index never runs a lesson.
pub fn index() -> Vec<IndexEntry> {
    files()
        .iter()
        .filter_map(|&(path, text)| {
            let lesson = hmm_lesson::parse(path, text).ok()?;
            Some(IndexEntry {
                id: lesson.id.clone(),
                path,
                title: lesson.title.clone(),
                kind: lesson.kind,
                kernel: lesson.kernel,
                audience: lesson.audience.clone(),
                beats: lesson.beats.len(),
                predictions: lesson.prediction_count(),
            })
        })
        .collect()
}

/// Is there a lesson with this id? Answered from the ids listed when the app was built (`web/build.rs`, by
/// hmm-lesson's parser), so a page without the lesson engine and before any fetch can ask.
pub fn is_known(id: &str) -> bool {
    IDS.iter().any(|&(known, _)| known == id)
}

/// The lesson with this id: its path and text.
pub fn find(id: &str) -> Option<LessonFile> {
    files()
        .iter()
        .copied()
        .find(|&(path, text)| hmm_lesson::parse(path, text).is_ok_and(|lesson| lesson.id == id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_lesson_file_is_listed_read_and_indexed() {
        let on_disk = hmm_lesson::collect(&[std::path::PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../lessons"
        ))]);
        assert!(on_disk.files.len() > 20, "{:?}", on_disk.files);
        assert_eq!(PATHS.len(), on_disk.files.len());
        assert_eq!(files().len(), PATHS.len(), "every listed file reads");
        let index = index();
        assert_eq!(index.len(), PATHS.len(), "every lesson parses");
        assert_eq!(IDS.len(), index.len(), "the build lists every lesson's id");
        for (entry, &(id, path)) in index.iter().zip(IDS) {
            assert_eq!(find(&entry.id).map(|(p, _)| p), Some(entry.path));
            assert_eq!((entry.id.as_str(), entry.path), (id, path));
            assert!(is_known(id));
        }
        assert!(!is_known("no-such-lesson"));
        assert!(index.iter().any(|e| e.kind == LessonKind::Selftest));
        assert!(index.iter().any(|e| e.kind == LessonKind::Lesson));
    }
}
