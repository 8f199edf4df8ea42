//! Starting the pages module (`src/bin/pages.rs`: the race lab and the lesson pages, `root::PagesRoot`) from
//! the app's: trunk builds it from `web/index.html`'s second `data-type="worker"` link as an ES module
//! (`data-bindgen-target="web"`) with a loader shim, `pages_loader.js`, that loads `pages.js` and
//! `pages_bg.wasm` and runs its `main`. The page imports the shim only when it shows one of those pages.

use wasm_bindgen::prelude::*;

/// The loader shim trunk writes beside the app, relative to the document's base (trunk's public URL).
pub const PAGES_LOADER: &str = "./pages_loader.js";

// A dynamic `import()` resolves a relative specifier against the importing script (here a wasm-bindgen
// snippet under `snippets/`), so the URL is made absolute against the document's base first. Until the module
// has drawn its page, a placeholder says what is happening; if it cannot load, an alert says why (the
// module that would say it is the one missing).
#[wasm_bindgen(inline_js = r#"
export function load_pages_module(loader) {
  const wait = document.createElement('p');
  wait.id = 'loading-pages';
  wait.className = 'placeholder';
  wait.textContent = 'Loading the lesson pages…';
  document.body.prepend(wait);
  import(new URL(loader, document.baseURI).href).then(
    () => wait.remove(),
    (error) => {
      wait.remove();
      const box = document.createElement('p');
      box.id = 'pages-failed';
      box.className = 'notice error';
      box.setAttribute('role', 'alert');
      box.textContent = `The lesson pages could not be loaded (${error}). Reload to try again.`;
      document.body.prepend(box);
    });
}
"#)]
extern "C" {
    fn load_pages_module(loader: &str);
}

/// Load and start the pages module; it draws the page itself.
pub fn start() {
    load_pages_module(PAGES_LOADER);
}
