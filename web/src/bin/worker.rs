//! Entry point of the compute worker that trunk builds from `web/index.html` (`data-type="worker"`): the
//! simulator, off the page's main thread (`web::compute`).

fn main() {
    // A panic reaches the page as the worker's `error` event (`web::compute::client`), and the console.
    console_error_panic_hook_set();
    web::compute::worker::serve();
}

/// The panic hook yew's renderer installs on the page; the worker has no renderer, so it sets its own.
fn console_error_panic_hook_set() {
    std::panic::set_hook(Box::new(|info| {
        web_sys::console::error_1(&info.to_string().into());
    }));
}
