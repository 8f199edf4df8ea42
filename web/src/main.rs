//! Entry point of the app bundle that trunk builds from `web/index.html`: the compare app and the glossary;
//! the race lab and the lesson pages are the pages module's (`web::pages_module`), started from here.

fn main() {
    if web::Page::current().in_pages_module() {
        web::pages_module::start();
    } else {
        // `Renderer::render` also installs yew's default panic hook (`console_error_panic_hook`), so a Rust
        // panic shows up as a `console.error` with its message: the end-to-end tests fail on any console error.
        // The first render runs in a task of its own: together with the module's start it was one main-thread
        // task of 50-60 ms on the project's machine (a first call of each wasm function compiles it), past
        // the 50 ms after which input waits.
        gloo::timers::callback::Timeout::new(0, || {
            yew::Renderer::<web::Root>::new().render();
        })
        .forget();
    }
}
