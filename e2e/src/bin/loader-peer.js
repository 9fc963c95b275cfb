// The loader bench's peer: connscope's loading work in plain JavaScript and nothing else —
// fetch() as connscope calls it (CORS, no store, no credentials), DOMParser for the page, a
// regular expression for a stylesheet's url()s — with no view, no timing look-ups. What it
// leaves between a parent's last byte and its references' start is the browser's own floor.
// Run through WebDriver's execute_async: arguments[0] is the page's URL.
const [page, done] = [arguments[0], arguments[arguments.length - 1]];
(async () => {
  const token = '__peer=' + Math.random();
  const get = async (url, keep) => {
    const response = await fetch(url + (url.includes('?') ? '&' : '?') + token, {
      mode: 'cors', cache: 'no-store', credentials: 'omit',
    });
    return keep ? response.text() : response.arrayBuffer();
  };
  const css = async (url) => {
    const text = await get(url, true);
    const refs = [...text.matchAll(/url\(\s*["']?([^"')]+)["']?\s*\)/g)].map(m => new URL(m[1], url).href);
    await Promise.all(refs.map(r => (r.endsWith('.css') ? css(r) : get(r, false))));
  };
  const doc = new DOMParser().parseFromString(await get(page, true), 'text/html');
  const refs = [...doc.querySelectorAll('link[rel=stylesheet][href], script[src], img[src]')].map(e => {
    const url = new URL(e.getAttribute('href') || e.getAttribute('src'), page).href;
    return e.localName === 'link' ? css(url) : get(url, false);
  });
  await Promise.all(refs);
  done(performance.getEntriesByType('resource').filter(e => e.name.includes(token))
    .map(e => ({ name: e.name, start: e.startTime, end: e.responseEnd })));
})().catch(e => done(String(e)));
