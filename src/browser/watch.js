// What the page itself can say when the app stops without a panic, for the end-to-end
// tests' failure messages (and anyone at the console): the last uncaught errors and
// unhandled rejections, and a way to ask whether the app's futures still run. Everything
// the app does after start goes through one queue of futures (wasm-bindgen's, on the
// microtask queue; Yew renders through it too): were it to lose its tick, the page would go
// on answering and running timers while nothing of the app moved, as WebKitGTK runs showed
// (a run with no row drawn while its fetches had gone on).

export function watchErrors() {
  const errors = (globalThis.connscopeErrors = []);
  const keep = (what) => {
    errors.push(String(what).slice(0, 500));
    if (errors.length > 10) errors.shift();
  };
  addEventListener('error', (e) => keep(e.message || e.error));
  addEventListener('unhandledrejection', (e) =>
    keep('unhandled rejection: ' + ((e.reason && e.reason.message) || e.reason)),
  );
}

// `tick` spawns a future that sets globalThis.connscopeFutureRan.
export function exposeFutureTick(tick) {
  globalThis.connscopeFutureTick = tick;
}
