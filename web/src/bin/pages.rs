//! Entry point of the pages module that trunk builds from `web/index.html` (`data-bin="pages"`): the race lab
//! and the lesson pages, with the lesson engine (hmm-lesson) and its TOML parser. The app's module starts it
//! only on those pages (`web::pages_module`), so the compare view does not download them.

fn main() {
    // As the app's module: the renderer installs the panic hook that sends a panic to the console.
    yew::Renderer::<web::PagesRoot>::new().render();
}
