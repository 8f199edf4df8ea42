//! Entry point of the app bundle that trunk builds from `web/index.html`.

fn main() {
    // `Renderer::render` also installs yew's default panic hook (`console_error_panic_hook`), so a Rust panic
    // shows up as a `console.error` with its message: the end-to-end tests fail on any console error.
    yew::Renderer::<web::Root>::new().render();
}
