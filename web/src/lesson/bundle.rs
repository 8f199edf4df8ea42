//! The lesson files bundled into the app at build time (`web/build.rs`), and their index.

use hmm_lesson::model::LessonKind;
use hmm_sim::KernelVersion;

include!(concat!(env!("OUT_DIR"), "/lessons.rs"));

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

/// Every bundled lesson that parses (the lesson tests keep them all parsing), in bundle order. Parsing is
/// cheap next to running: the index never runs a lesson.
pub fn index() -> Vec<IndexEntry> {
    BUNDLED
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

/// The bundled lesson with this id: its path and text.
pub fn find(id: &str) -> Option<(&'static str, &'static str)> {
    BUNDLED
        .iter()
        .copied()
        .find(|&(path, text)| hmm_lesson::parse(path, text).is_ok_and(|lesson| lesson.id == id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_lesson_file_is_bundled_and_indexed() {
        let on_disk = hmm_lesson::collect(&[std::path::PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../lessons"
        ))]);
        assert!(on_disk.files.len() > 20, "{:?}", on_disk.files);
        assert_eq!(BUNDLED.len(), on_disk.files.len());
        let index = index();
        assert_eq!(index.len(), BUNDLED.len(), "every bundled lesson parses");
        for entry in &index {
            assert_eq!(find(&entry.id).map(|(p, _)| p), Some(entry.path));
        }
        assert!(index.iter().any(|e| e.kind == LessonKind::Selftest));
        assert!(index.iter().any(|e| e.kind == LessonKind::Lesson));
    }
}
