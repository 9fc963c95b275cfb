// What the page itself can say when the app stops without a panic: the last uncaught errors
// and unhandled rejections (for the end-to-end tests' failure messages, and anyone at the
// console), a banner where the WebAssembly engine trapped (below), and a way to ask whether
// the app's futures still run. Everything the app does after start goes through one queue of
// futures (wasm-bindgen's, on the microtask queue; Yew renders through it too): were it to
// lose its tick, the page would go on answering and running timers while nothing of the app
// moved. WebKitGTK runs showed that (a run with no row drawn while its fetches had gone on);
// a later one, its errors kept, showed one cause: a trap inside that queue's tick.

export function watchErrors() {
  const errors = (globalThis.connscopeErrors = []);
  const keep = (what) => {
    errors.push(String(what).slice(0, 500));
    if (errors.length > 10) errors.shift();
  };
  addEventListener('error', (e) => {
    keep(e.message || e.error);
    if (e.error instanceof WebAssembly.RuntimeError) trapped(e.error);
  });
  addEventListener('unhandledrejection', (e) => {
    keep('unhandled rejection: ' + ((e.reason && e.reason.message) || e.reason));
    if (e.reason instanceof WebAssembly.RuntimeError) trapped(e.reason);
  });
}

// A trap (WebAssembly.RuntimeError: an out-of-bounds access, say) ends whatever the app was
// doing mid-step: a RefCell left borrowed, a run's loop gone, with nothing to tell the user,
// who would watch a run that says "running" for ever. WebKitGTK has done so now and then
// (an out-of-bounds access in wasm-bindgen's queue of futures, in this app's code that has
// no `unsafe`), as other Rust apps have reported of it. The page then says so as a panic
// does, from here, since nothing in the module is to be trusted.
function trapped(error) {
  showCrashed('engine', `because the browser's WebAssembly engine ended it mid-step (${error.name}: ${error.message})`);
}

// The one banner that says the app stopped, for a panic (lib.rs's hook: kind 'bug') and a
// trap (above: 'engine'): where the user looks, not only in the console, with what is drawn
// kept and how to start again. `[data-crashed]` lets the end-to-end tests fail at once, with
// the message. A panic ends in a trap too (`unreachable`), after its own banner: the first
// is kept, and no second added.
export function showCrashed(kind, cause) {
  if (document.querySelector('[data-crashed]') || !document.body) return;
  const banner = document.createElement('div');
  banner.setAttribute('role', 'alert');
  banner.className = 'crashed';
  banner.setAttribute('data-crashed', kind);
  banner.textContent =
    `connscope stopped ${cause}, and it will not update any more. What is shown stays as ` +
    'it was; reload the page to start again.';
  document.body.prepend(banner);
}

// `tick` spawns a future that sets globalThis.connscopeFutureRan.
export function exposeFutureTick(tick) {
  globalThis.connscopeFutureTick = tick;
}
