// One request as connscope's crawl asks for it, in one promise: fetch() (CORS, no cache, no
// credentials, redirects followed), its body read as asked, aborted by the request's timeout
// or by the run's Cancel. It is JavaScript because it runs for every request of a run, on
// the thread whose gaps the run measures: each step taken from WebAssembly (a promise turned
// into a future, a header read, a chunk copied) costs a crossing, and together they put
// milliseconds between a parent's last byte and its references' start
// (`cargo xtask bench loader`). What to fetch, and what the outcome means, stay in Rust.
//
// keep = 0: the body is read to its end (so the timing entry is whole) and kept nowhere;
// keep = n: its first n bytes are kept, and it is read on up to 10 n, then cancelled.
// Resolves to { status, type, url, redirected, bytes (Uint8Array or null), cut };
// rejects with { kind: 'timeout' | 'cancelled' | 'rejected' | 'body', detail }.

// The largest discarded body read whole, as sent (bytes).
const WHOLE_BYTES = 1 << 20;

const describe = (e) => (e instanceof Error ? `${e.name}: ${e.message}` : String(e));

export async function load(url, keep, timeoutMs, run) {
  if (run.aborted) throw { kind: 'cancelled', detail: '' };
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, timeoutMs);
  const cancel = () => controller.abort();
  run.addEventListener('abort', cancel);
  // Every wait (for the response, then on the body) races this, so an engine that leaves
  // a fetch or a read pending after an abort cannot hang a run.
  const aborted = new Promise((_, reject) => {
    controller.signal.addEventListener('abort', () => reject(new Error('aborted')));
  });
  aborted.catch(() => {});
  const failure = (kind, e) => ({
    kind: timedOut ? 'timeout' : run.aborted ? 'cancelled' : kind,
    detail: describe(e),
  });
  let reader = null;
  try {
    let response;
    try {
      response = await Promise.race([
        fetch(url, {
          method: 'GET',
          mode: 'cors',
          cache: 'no-store',
          credentials: 'omit',
          redirect: 'follow',
          signal: controller.signal,
        }),
        aborted,
      ]);
    } catch (e) {
      throw failure('rejected', e);
    }
    const out = {
      status: response.status,
      type: response.headers.get('content-type') || '',
      url: response.url,
      redirected: response.redirected,
      bytes: null,
      cut: false,
    };
    try {
      if (!response.body) return out;
      if (keep === 0) {
        // Read to its end and kept nowhere. A body that says it is small is read whole, in
        // one step (as a Blob, which the browser fills without JavaScript per chunk): while a
        // page's images arrive, a pipe into a sink took the page's main thread for several
        // hops per body, and the stylesheet whose references were due next got its response
        // and its body about 2 ms later (`cargo xtask bench loader`, import.css → fonts: 4.6 ms
        // median over 15 runs with the pipe, 3.0 ms read whole). Any other body (no length, or
        // a large one) is piped into a sink that keeps nothing, so no size is ever held. The
        // length is the one sent, before decoding: a compressed body is larger once decoded,
        // held only until it is read, then dropped.
        const length = response.headers.get('content-length');
        const whole = length !== null && Number(length) <= WHOLE_BYTES;
        await Promise.race([whole ? response.blob() : response.body.pipeTo(new WritableStream()), aborted]);
        return out;
      }
      reader = response.body.getReader();
      const chunks = [];
      let kept = 0;
      let seen = 0;
      for (;;) {
        const { done, value } = await Promise.race([reader.read(), aborted]);
        if (done) break;
        if (kept < keep) {
          const part = value.subarray(0, Math.min(value.length, keep - kept));
          chunks.push(part);
          kept += part.length;
        }
        seen += value.length;
        if (seen > keep * 10) {
          await reader.cancel();
          break;
        }
      }
      const bytes = new Uint8Array(kept);
      let at = 0;
      for (const c of chunks) {
        bytes.set(c, at);
        at += c.length;
      }
      out.bytes = bytes;
      out.cut = seen > keep;
      return out;
    } catch (e) {
      if (reader) reader.cancel().catch(() => {});
      throw failure('body', e);
    }
  } finally {
    clearTimeout(timer);
    run.removeEventListener('abort', cancel);
  }
}
