//! The app's own origin: the built app from `dist/`, cross-origin isolated, with a strict
//! Content-Security-Policy. No path outside `dist/` is ever served.

use std::path::{Component, Path, PathBuf};

/// Maps a request path to a file under `root`, or None when it is not a plain relative
/// path (`..`, encoded `%2e%2e`, absolute paths, backslashes, NUL are all refused).
pub fn resolve(root: &Path, request_path: &str) -> Option<PathBuf> {
    let decoded = percent_encoding::percent_decode_str(request_path).decode_utf8().ok()?;
    if decoded.contains('\0') || decoded.contains('\\') {
        return None;
    }
    let relative = decoded.strip_prefix('/')?;
    let mut path = root.to_path_buf();
    for component in Path::new(relative).components() {
        match component {
            Component::Normal(part) => path.push(part),
            Component::CurDir => {}
            Component::ParentDir | Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    if relative.is_empty() || relative.ends_with('/') {
        path.push("index.html");
    }
    Some(path)
}

pub fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "wasm" => "application/wasm",
        "css" => "text/css; charset=utf-8",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "txt" => "text/plain; charset=utf-8",
        "har" => "application/json",
        _ => "application/octet-stream",
    }
}

/// Whether a request path names a file whose name Trunk derived from its content
/// (`connscope-<16 hex digits>_bg.wasm`, `app-<…>.css`, `snippets/connscope-<…>/…`): it
/// never changes, so it may be kept as long as a browser likes. The browser keeps more
/// than the bytes: Chromium keeps the WebAssembly compiled (and optimised as it ran) beside
/// a cached module, so a page opened again does not start on cold code.
pub fn is_content_addressed(request_path: &str) -> bool {
    request_path.split('/').any(|segment| {
        segment.match_indices('-').any(|(at, _)| {
            let hash = &segment[at + 1..];
            hash.len() >= 16
                && hash[..16].bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
                && matches!(hash.as_bytes().get(16), None | Some(b'.' | b'_'))
        })
    })
}

/// The CSP for the app: scripts only from this origin (plus the hashes of the inline
/// bootstrap scripts Trunk writes into index.html), wasm compilation allowed, fetches to
/// any origin (that is the app's job), nothing framed, no plugins.
pub fn content_security_policy(index_html: &str) -> String {
    use base64::Engine as _;
    use sha2::{Digest, Sha256};
    let mut hashes = String::new();
    for script in inline_scripts(index_html) {
        let digest = Sha256::digest(script.as_bytes());
        hashes.push_str(&format!(" 'sha256-{}'", base64::engine::general_purpose::STANDARD.encode(digest)));
    }
    format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'{hashes}; style-src 'self' 'unsafe-inline'; \
         img-src 'self' data: blob:; connect-src *; font-src 'self'; object-src 'none'; base-uri 'none'; \
         frame-ancestors 'none'; form-action 'none'"
    )
}

/// The bodies of `<script>` elements without `src`.
fn inline_scripts(html: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find("<script") {
        let after = &rest[start..];
        let Some(tag_end) = after.find('>') else {
            break;
        };
        let tag = &after[..tag_end];
        let body_start = tag_end + 1;
        let Some(close) = after[body_start..].find("</script>") else {
            break;
        };
        if !tag.contains(" src=") {
            out.push(&after[body_start..body_start + close]);
        }
        rest = &after[body_start + close..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traversal_is_refused_in_every_spelling() {
        let root = Path::new("/srv/dist");
        for bad in [
            "/../etc/passwd",
            "/%2e%2e/etc/passwd",
            "/%2E%2E%2Fetc/passwd",
            "/a/../../x",
            "//etc/passwd",
            "/a\\..\\b",
            "/a%00b",
            "relative",
        ] {
            assert_eq!(resolve(root, bad), None, "{bad}");
        }
    }

    #[test]
    fn plain_paths_map_under_the_root() {
        let root = Path::new("/srv/dist");
        assert_eq!(resolve(root, "/"), Some(root.join("index.html")));
        assert_eq!(resolve(root, "/testpage/"), Some(root.join("testpage/index.html")));
        assert_eq!(resolve(root, "/a%20b.js"), Some(root.join("a b.js")));
        assert_eq!(resolve(root, "/./x.wasm"), Some(root.join("x.wasm")));
    }

    #[test]
    fn only_trunks_content_addressed_names_are_kept() {
        for kept in [
            "/connscope-e18a7c9873a0e64b_bg.wasm",
            "/connscope-e18a7c9873a0e64b.js",
            "/app-569e1787ba9f6412.css",
            "/snippets/connscope-1f2e3d4c5b6a7988/src/browser/fetch.js",
        ] {
            assert!(is_content_addressed(kept), "{kept}");
        }
        for fresh in [
            "/",
            "/index.html",
            "/testpage/page.html",
            "/x-e18a7c9873a0e64.js",
            "/x-E18A7C9873A0E64B.js",
            "/x-e18a7c9873a0e64b0.js",
            "/e18a7c9873a0e64b.js",
        ] {
            assert!(!is_content_addressed(fresh), "{fresh}");
        }
    }

    #[test]
    fn wasm_has_its_mime_type() {
        assert_eq!(content_type(Path::new("app_bg.wasm")), "application/wasm");
    }

    #[test]
    fn csp_allows_exactly_the_inline_bootstrap() {
        let html = "<script src=\"/a.js\"></script><script type=\"module\">import x from '/x.js';</script>";
        let csp = content_security_policy(html);
        assert_eq!(csp.matches("'sha256-").count(), 1);
        assert!(csp.contains("'wasm-unsafe-eval'"));
        assert!(!csp.contains("'unsafe-eval'"));
    }
}
