//! Which candidate of a `srcset` a browser would fetch.

/// One candidate of a `srcset`.
#[derive(Debug, Clone, PartialEq)]
struct Candidate {
    url: String,
    width: Option<f64>,
    density: f64,
}

fn parse_srcset(srcset: &str) -> Vec<Candidate> {
    srcset
        .split(',')
        .filter_map(|part| {
            let mut words = part.split_whitespace();
            let url = words.next()?.to_string();
            let mut c = Candidate { url, width: None, density: 1.0 };
            if let Some(d) = words.next() {
                if let Some(w) = d.strip_suffix('w').and_then(|w| w.parse::<f64>().ok()) {
                    c.width = Some(w);
                } else if let Some(x) = d.strip_suffix('x').and_then(|x| x.parse::<f64>().ok()) {
                    c.density = x;
                }
            }
            Some(c)
        })
        .collect()
}

/// The `srcset` candidate a browser would choose for an image `slot_px` CSS pixels wide
/// on a screen of `device_pixel_ratio`: the smallest whose density covers the ratio,
/// else the densest. (Browsers may prefer a cached larger one; connscope fetches fresh.)
pub fn pick_srcset(srcset: &str, slot_px: f64, device_pixel_ratio: f64) -> Option<String> {
    let mut cands = parse_srcset(srcset);
    if cands.is_empty() {
        return None;
    }
    let slot = slot_px.max(1.0);
    for c in &mut cands {
        if let Some(w) = c.width {
            c.density = w / slot;
        }
    }
    cands.sort_by(|a, b| a.density.total_cmp(&b.density));
    let dpr = device_pixel_ratio.max(0.1);
    cands.iter().find(|c| c.density >= dpr - 1e-9).or(cands.last()).map(|c| c.url.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn srcset_picks_like_a_browser() {
        assert_eq!(pick_srcset("a.png 1x, b.png 2x", 100.0, 2.0).as_deref(), Some("b.png"));
        assert_eq!(pick_srcset("a.png 1x, b.png 2x", 100.0, 1.0).as_deref(), Some("a.png"));
        assert_eq!(pick_srcset("s.jpg 480w, m.jpg 800w, l.jpg 1600w", 800.0, 1.0).as_deref(), Some("m.jpg"));
        assert_eq!(pick_srcset("s.jpg 480w, m.jpg 800w", 1200.0, 2.0).as_deref(), Some("m.jpg"));
        assert_eq!(pick_srcset("only.png", 10.0, 3.0).as_deref(), Some("only.png"));
        assert_eq!(pick_srcset("  ", 10.0, 1.0), None);
    }
}
