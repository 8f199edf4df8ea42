//! Presentational components: they take plain data as props and emit callbacks, and hold no app state.

mod page_list;
mod scenario_input;

pub use page_list::PageList;
pub use scenario_input::ScenarioInput;
