//! The browser test of `/memory` (issue 15): chromium loads the picture
//! through the host-forwarded port; the number of cells and the per-owner
//! counts in its DOM must equal `/status.json`'s, before and after the
//! monitor allocates (`alloc 9`: 512 pages, `cma alloc 64`: 64 CMA pages,
//! both owned by `monitor`), and the monitor's counts in the picture must
//! grow by exactly that. Screenshots: `target/test-artefacts/
//! memory-monitor-before.png` and `-after.png`. Runs in the sessions with
//! the 21143 (the HTTP server); skipped, and counted so, only when
//! chromium is not on `PATH`.

use super::{Options, When};
use crate::picture::{self, owner_pages};
use crate::session::Session;

/// Pages `alloc 9` and `cma alloc 64` take.
const ALLOC_ORDER: u32 = 9;
const CMA_PAGES: u64 = 64;

/// Runs where the kernel serves HTTP, if chromium is there.
pub fn when(s: &Session) -> When {
    match (s.http_port, picture::find_chromium()) {
        (None, _) => When::NotHere,
        (Some(_), None) => When::Skip("chromium not found on PATH (tools/bootstrap.sh installs it)".into()),
        (Some(_), Some(_)) => When::Run,
    }
}

/// The number after `key` in `text` (hex with `0x`).
fn addr_after(text: &str, key: &str) -> Result<u64, String> {
    let at = text.find(key).ok_or_else(|| format!("no {key:?} in {:?}", text.trim()))?;
    let word: String = text[at + key.len()..].chars().take_while(|c| c.is_ascii_alphanumeric()).collect();
    word.strip_prefix("0x").and_then(|h| u64::from_str_radix(h, 16).ok()).ok_or_else(|| format!("no address after {key:?} in {:?}", text.trim()))
}

pub fn memory(s: &mut Session, _: &Options) -> Result<String, String> {
    let port = s.http_port.ok_or("no HTTP port")?;
    let bin = picture::find_chromium().ok_or("chromium not found on PATH")?;
    println!("     chromium: {}", picture::invocation(&bin, port));
    let (before, sum_before) = picture::check(&bin, port, "monitor-before").map_err(|e| format!("before: {e}"))?;
    let a = s.command(&format!("alloc {ALLOC_ORDER}"))?;
    let pa = addr_after(&a, " at ").map_err(|e| format!("alloc {ALLOC_ORDER}: {e}"))?;
    let c = s.command(&format!("cma alloc {CMA_PAGES}"));
    let after = match &c {
        Ok(c) => match addr_after(c, " at ") {
            Ok(cma) => {
                let r = picture::check(&bin, port, "monitor-after").map_err(|e| format!("after: {e}"));
                s.command(&format!("cma free {cma:#x}"))?;
                r
            }
            Err(e) => Err(format!("cma alloc {CMA_PAGES}: {e}")),
        },
        Err(e) => Err(e.clone()),
    };
    s.command(&format!("free {pa:#x}"))?;
    let (after, sum_after) = after?;
    let (b, a) = (owner_pages(&before, "monitor"), owner_pages(&after, "monitor"));
    if a != (b.0 + (1 << ALLOC_ORDER), b.1 + CMA_PAGES) {
        return Err(format!(
            "monitor holds {a:?} (buddy, CMA) pages in the picture after alloc {ALLOC_ORDER} and cma alloc {CMA_PAGES}, {b:?} before: expected +{} buddy, +{CMA_PAGES} CMA",
            1u64 << ALLOC_ORDER
        ));
    }
    Ok(format!("before: {sum_before}; after alloc {ALLOC_ORDER} and cma alloc {CMA_PAGES}: monitor {b:?} -> {a:?} (buddy, CMA) pages; {sum_after}"))
}
