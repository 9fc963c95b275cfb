// Reads a page's HTML with the browser's inert DOMParser into the elements that can name a
// subresource, as one string (`connscope_core::crawl::html::HtmlDocument::from_flat` reads
// it back). It is JavaScript because it runs between a parent's last byte and its
// references' start: from WebAssembly, each element's attributes cost a crossing apiece
// (and a string copy each way), which came to 0.2–1.1 ms for the default test page
// (`cargo xtask bench loader`); here it is one crossing for the whole page.
//
// The string: fields separated by U+0000 (which the HTML parser never leaves in an
// attribute or in <style> text; any other source is replaced all the same). A record is its
// kind and then its fields; a field that may be absent is "" when absent and "=" + the value
// when present. Records, in this order (the crawl's order):
//   B =href?                                  the first <base href>
//   L rel as href                             <link href>
//   S src                                     <script src>
//   I =src? =srcset? =width? n, then n × (=srcset? matches(1|0))
//                                             <img>, with its <picture>'s <source>s
//   P src                                     <video poster>
//   M src                                     <video src>, <audio src>, their <source src>
//   T css                                     a style attribute, then each <style>'s text

const clean = (v) => (v.includes('\0') ? v.replaceAll('\0', '\uFFFD') : v);
const present = (v) => (v === null ? '' : '=' + clean(v));

export function readHtml(html) {
  const doc = new DOMParser().parseFromString(html, 'text/html');
  const out = [];
  const all = (selector) => doc.querySelectorAll(selector);
  const base = doc.querySelector('base[href]');
  out.push('B', present(base && base.getAttribute('href')));
  for (const l of all('link[href]')) {
    out.push('L', clean(l.getAttribute('rel') || ''), clean(l.getAttribute('as') || ''), clean(l.getAttribute('href')));
  }
  for (const s of all('script[src]')) out.push('S', clean(s.getAttribute('src')));
  for (const img of all('img')) {
    const picture = img.parentElement && img.parentElement.localName === 'picture' ? img.parentElement : null;
    const sources = picture ? [...picture.children].filter((c) => c.localName === 'source') : [];
    out.push('I', present(img.getAttribute('src')), present(img.getAttribute('srcset')), present(img.getAttribute('width')));
    out.push(String(sources.length));
    for (const s of sources) {
      const media = s.getAttribute('media');
      out.push(present(s.getAttribute('srcset')), media === null || matchMedia(media).matches ? '1' : '0');
    }
  }
  for (const v of all('video[poster]')) out.push('P', clean(v.getAttribute('poster')));
  for (const m of all('video[src], audio[src], video > source[src], audio > source[src]')) {
    out.push('M', clean(m.getAttribute('src')));
  }
  for (const e of all('[style]')) out.push('T', clean(e.getAttribute('style')));
  for (const s of all('style')) out.push('T', clean(s.textContent));
  return out.join('\0');
}
