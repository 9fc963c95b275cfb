// connscope capture: reads what this page's own browser measured of its load (the
// navigation entry, every Resource Timing entry, the page's resource hints, whether the
// timing buffer overflowed) and hands it to connscope in a window it opens, by
// postMessage with explicit target origins. Where that cannot work (a popup blocker, a
// page whose Cross-Origin-Opener-Policy cuts the link), it shows the capture on the page
// to copy or save, for connscope's "Paste a capture".
//
// Run it as the bookmarklet connscope offers, or paste it into the browser's console.
// No dependency. connscope builds both from this file (core::capture::bookmarklet): lines
// that start with `//` are dropped and CONNSCOPE_APP becomes connscope's own URL.
(function () {
  "use strict";
  var APP = CONNSCOPE_APP;
  var appOrigin = new URL(APP).origin;
  // Browsers keep 250 resource entries unless the page asks for more.
  var DEFAULT_BUFFER = 250;
  var ANSWER_MS = 15000;
  var FIELDS = ["name", "initiatorType", "startTime", "duration", "workerStart",
    "redirectStart", "redirectEnd", "fetchStart", "domainLookupStart", "domainLookupEnd",
    "connectStart", "connectEnd", "secureConnectionStart", "requestStart",
    "firstInterimResponseStart", "finalResponseHeadersStart", "responseStart", "responseEnd",
    "transferSize", "encodedBodySize", "decodedBodySize", "nextHopProtocol", "responseStatus",
    "deliveryType", "renderBlockingStatus", "contentType", "type", "redirectCount"];

  // One entry as plain data: every field this browser has (toJSON, then the list above for
  // browsers whose toJSON leaves some out), Server-Timing as name, duration, description.
  function plain(e) {
    var o = typeof e.toJSON === "function" ? e.toJSON() : {};
    FIELDS.forEach(function (f) {
      if (o[f] === undefined && e[f] !== undefined) o[f] = e[f];
    });
    o.serverTiming = Array.prototype.map.call(e.serverTiming || [], function (s) {
      return { name: s.name, duration: s.duration, description: s.description };
    });
    return o;
  }

  function hints() {
    var out = [];
    var links = document.querySelectorAll("link[rel]");
    for (var i = 0; i < links.length; i++) {
      var rels = (links[i].getAttribute("rel") || "").toLowerCase().split(/\s+/).filter(function (r) {
        return r === "preconnect" || r === "dns-prefetch" || r === "preload" || r === "modulepreload";
      });
      if (rels.length) {
        out.push({ rel: rels.join(" "), href: links[i].href, as: links[i].getAttribute("as") || "",
          crossorigin: links[i].getAttribute("crossorigin") });
      }
    }
    return out;
  }

  // The clock's resolution (ms): the smallest step performance.now() takes in 20 ms.
  function resolution() {
    var smallest = Infinity, last = performance.now(), until = last + 20, now;
    while ((now = performance.now()) < until) {
      if (now !== last) { smallest = Math.min(smallest, now - last); last = now; }
    }
    return smallest === Infinity ? null : smallest;
  }

  function build(dropped) {
    var resources = performance.getEntriesByType("resource").map(plain);
    var navigation = performance.getEntriesByType("navigation")[0];
    return {
      format: "connscope-capture", version: 1,
      page: { url: location.href, title: document.title },
      userAgent: navigator.userAgent,
      timeOrigin: performance.timeOrigin,
      capturedAt: performance.now(),
      crossOriginIsolated: window.crossOriginIsolated === true,
      clockResolution: resolution(),
      navigation: navigation ? plain(navigation) : null,
      resources: resources,
      buffer: { entries: resources.length, dropped: dropped, defaultSize: DEFAULT_BUFFER },
      hints: hints()
    };
  }

  // Chromium says how many entries a full buffer dropped (droppedEntriesCount), in a
  // buffered observer's first callback; other browsers do not (dropped stays null).
  function collect(done) {
    var over = false;
    function finish(dropped) {
      if (!over) { over = true; done(build(dropped)); }
    }
    try {
      new PerformanceObserver(function (list, observer, options) {
        observer.disconnect();
        finish(options && typeof options.droppedEntriesCount === "number" ? options.droppedEntriesCount : null);
      }).observe({ type: "resource", buffered: true });
    } catch (e) { /* no observer: the entries are read all the same */ }
    setTimeout(function () { finish(null); }, 300);
  }

  // A small panel on the page, in its own styles (set through CSSOM, which a page's CSP allows).
  var panel = null;
  function el(tag, css, text) {
    var n = document.createElement(tag);
    n.style.cssText = "all:initial;box-sizing:border-box;font:14px/1.4 system-ui,sans-serif;color:#111;" + (css || "");
    if (text) n.textContent = text;
    return n;
  }
  function show(state, message) {
    if (panel) panel.remove();
    panel = el("div", "position:fixed;z-index:2147483647;top:12px;right:12px;max-width:min(460px,90vw);" +
      "background:#fff;border:2px solid #1d4ed8;border-radius:8px;padding:12px;display:block;" +
      "box-shadow:0 4px 16px rgba(0,0,0,.3)");
    panel.setAttribute("data-connscope-capture", state);
    panel.setAttribute("role", "status");
    panel.appendChild(el("strong", "display:block;font-weight:700;margin-bottom:4px", "connscope capture"));
    panel.appendChild(el("p", "display:block;margin:0 0 8px", message));
    var close = el("button", "cursor:pointer;border:1px solid #555;border-radius:4px;padding:2px 8px;margin:4px 4px 0 0;background:#eee", "Close");
    close.onclick = function () { panel.remove(); };
    document.body.appendChild(panel);
    return { panel: panel, close: close };
  }

  function offer(json, why, url) {
    var p = show("offer", why + " Copy the capture (or save it), then paste it into connscope's \u201cPaste a capture\u201d.");
    var text = el("textarea", "display:block;width:100%;height:6em;font:12px monospace;border:1px solid #555;padding:4px");
    text.value = json;
    text.readOnly = true;
    text.setAttribute("aria-label", "The capture, as JSON");
    text.setAttribute("data-connscope-capture-json", "");
    p.panel.appendChild(text);
    var button = function (label, action) {
      var b = el("button", "cursor:pointer;border:1px solid #1d4ed8;border-radius:4px;padding:2px 8px;margin:4px 4px 0 0;background:#dbeafe", label);
      b.onclick = action;
      p.panel.appendChild(b);
      return b;
    };
    button("Copy", function () {
      text.select();
      if (navigator.clipboard) navigator.clipboard.writeText(json).catch(function () { document.execCommand("copy"); });
      else document.execCommand("copy");
    });
    button("Save", function () {
      var a = document.createElement("a");
      a.href = URL.createObjectURL(new Blob([json], { type: "application/json" }));
      a.download = "capture-" + location.hostname + ".json";
      document.body.appendChild(a);
      a.click();
      a.remove();
    });
    if (url) button("Open connscope", function () { deliver(json, url); }).setAttribute("data-connscope-open", "");
    p.panel.appendChild(p.close);
  }

  function deliver(json, url) {
    var win = null;
    try { win = window.open(url, "connscope-capture"); } catch (e) { win = null; }
    if (!win) {
      offer(json, "The browser did not let this page open connscope's window (a popup blocker?): press Open connscope, or copy the capture.", url);
      return;
    }
    show("sending", "Sending the capture to connscope\u2026");
    var sent = false;
    function listen(ev) {
      if (ev.origin !== appOrigin || ev.source !== win || !ev.data) return;
      if (ev.data.connscope === "ready" && !sent) {
        sent = true;
        win.postMessage({ connscope: "capture", json: json }, appOrigin);
      } else if (ev.data.connscope === "received") {
        stop();
        show("delivered", "Delivered to connscope.");
        setTimeout(function () { if (panel) panel.remove(); }, 4000);
      }
    }
    function stop() {
      clearTimeout(timer);
      window.removeEventListener("message", listen);
    }
    var timer = setTimeout(function () {
      stop();
      offer(json, win.closed
        ? "connscope's window is closed, or this page's Cross-Origin-Opener-Policy cut it off."
        : "connscope did not answer within " + ANSWER_MS / 1000 + " s.", url);
    }, ANSWER_MS);
    window.addEventListener("message", listen);
  }

  collect(function (capture) {
    var url = APP + (APP.indexOf("?") < 0 ? "?" : "&") + "capture=" + encodeURIComponent(location.origin);
    deliver(JSON.stringify(capture), url);
  });
})();
