//! Reading the picture of memory in a browser: Debian's `chromium`,
//! headless, loads `GET /memory` through the host-forwarded port
//! (127.0.0.1 only), saves a screenshot as a test artefact
//! (`target/test-artefacts/memory-*.png`) and dumps the DOM it built; the
//! cells and the per-class page counts found there must equal
//! `/status.json`'s numbers, read just before and just after (and equal to
//! each other, else the snapshot is taken again). The check that uses it
//! (before and after the monitor allocates) is `checks/picture.rs`.

use serde_json::Value;
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// The chromium binary on `PATH` (`chromium`, as Debian calls it, or
/// `chromium-browser`), if any.
pub fn find_chromium() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    for dir in std::env::split_paths(&path) {
        for name in ["chromium", "chromium-browser"] {
            let p = dir.join(name);
            if p.is_file() {
                return Some(p);
            }
        }
    }
    None
}

/// Where screenshots go: `target/test-artefacts` of the workspace.
pub fn artefacts() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/test-artefacts")
}

/// Runs chromium headless on `url` with `args` before it; its stdout.
fn chromium(bin: &Path, args: &[&str], url: &str) -> Result<String, String> {
    let profile = std::env::temp_dir().join(format!("monitor-test-chromium-{}", std::process::id()));
    let mut cmd = Command::new(bin);
    cmd.args(["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run"])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(url);
    let out = cmd.output().map_err(|e| format!("{}: {e}", bin.display()))?;
    let _ = std::fs::remove_dir_all(&profile);
    if !out.status.success() {
        return Err(format!(
            "{} exited with {}: {}",
            bin.display(),
            out.status,
            String::from_utf8_lossy(&out.stderr).lines().last().unwrap_or("")
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The exact chromium invocations (for the report and the docs).
pub fn invocation(bin: &Path, port: u16) -> String {
    format!(
        "{0} --headless --no-sandbox --disable-gpu --hide-scrollbars --no-first-run --user-data-dir=TMP --dump-dom http://127.0.0.1:{port}/memory; \
         {0} ... --screenshot=target/test-artefacts/memory-NAME.png --window-size=800,1700 http://127.0.0.1:{port}/memory",
        bin.display()
    )
}

fn attr<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let k = format!("{name}=\"");
    let at = if tag.starts_with(&k) { Some(0) } else { tag.find(&format!(" {k}")).map(|i| i + 1) }?;
    let rest = &tag[at + k.len()..];
    Some(&rest[..rest.find('"')?])
}

fn num(tag: &str, name: &str) -> Result<u64, String> {
    attr(tag, name).and_then(|v| v.parse().ok()).ok_or_else(|| format!("no number {name} in <{}...>", &tag[..tag.len().min(80)]))
}

/// What the DOM shows.
#[derive(Debug, Default)]
pub struct Picture {
    pub pages_per_cell: u64,
    pub cells: u64,
    /// Cells the map's rectangles cover.
    pub drawn: u64,
    /// Cells per class key, from the map's rectangles.
    pub drawn_by_key: BTreeMap<String, u64>,
    /// Pages per class key, from the legend.
    pub legend: BTreeMap<String, u64>,
    /// Owner name of each `own-N`/`cma-N` key.
    pub names: BTreeMap<String, String>,
}

/// Reads the picture out of a dumped DOM.
pub fn parse(dom: &str) -> Result<Picture, String> {
    let mut p = Picture::default();
    let start = dom.find("<svg id=\"map\"").ok_or("no <svg id=\"map\"> in the DOM")?;
    let svg = &dom[start..];
    let svg = &svg[..svg.find("</svg>").ok_or("the map's <svg> is not closed")?];
    p.pages_per_cell = num(&svg[5..], "data-pages-per-cell")?;
    p.cells = num(&svg[5..], "data-cells")?;
    for rect in svg.split("<rect ").skip(1) {
        let cells = num(rect, "width")? * num(rect, "height")?;
        let key = attr(rect, "class").and_then(|c| c.strip_prefix("k-")).ok_or("a rectangle without a class")?;
        if !rect.contains("<title>pfn 0x") {
            return Err(format!("a rectangle without a title naming its frames: <rect {}", &rect[..rect.len().min(100)]));
        }
        p.drawn += cells;
        *p.drawn_by_key.entry(key.to_string()).or_default() += cells;
    }
    let legend = dom.find("<table id=\"legend\"").ok_or("no legend table")?;
    let legend = &dom[legend..dom[legend..].find("</table>").map_or(dom.len(), |e| legend + e)];
    for tr in legend.split("<tr ").skip(1) {
        let key = attr(tr, "data-key").ok_or("a legend row without data-key")?.to_string();
        p.legend.insert(key.clone(), num(tr, "data-pages")?);
        if let Some(n) = attr(tr, "data-name") {
            p.names.insert(key, n.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&amp;", "&"));
        }
    }
    Ok(p)
}

fn u(j: &Value, path: &[&str]) -> Result<u64, String> {
    let mut v = j;
    for k in path {
        v = &v[*k];
    }
    v.as_u64().ok_or_else(|| format!("/status.json has no number at {}", path.join(".")))
}

/// Compares the picture with `/status.json`; a summary, or what differs.
pub fn compare(p: &Picture, j: &Value) -> Result<String, String> {
    let mut errs = Vec::new();
    let get = |k: &str| p.legend.get(k).copied().unwrap_or(0);
    let mut eq = |what: String, dom: u64, status: u64| {
        if dom != status {
            errs.push(format!("{what}: picture {dom}, status.json {status}"));
        }
    };
    let memory: u64 = p.legend.iter().filter(|(k, _)| *k != "hole").map(|(_, v)| v).sum();
    eq("pages of memory".into(), memory, u(j, &["memory", "memblock", "total_pages"])?);
    let reserved = get("firmware") + get("kernel") + get("reserved");
    eq("reserved pages (firmware + kernel + other)".into(), reserved, u(j, &["memory", "memblock", "reserved_pages"])?);
    eq("CMA free pages".into(), get("cma-free"), u(j, &["memory", "cma", "free_pages"])?);
    let blocks = j["memory"]["buddy"]["free_blocks_per_order"].as_array().ok_or("no free_blocks_per_order")?;
    for (order, n) in blocks.iter().enumerate() {
        eq(format!("buddy free pages of order {order}"), get(&format!("free-{order}")), n.as_u64().unwrap_or(u64::MAX) << order);
    }
    let owners = j["memory"]["owners"].as_object().ok_or("no owners object")?;
    let key_of = |prefix: &str, name: &str| {
        p.names.iter().find(|(k, n)| k.starts_with(prefix) && n.as_str() == name).map(|(k, _)| k.clone())
    };
    for (name, o) in owners {
        for (prefix, field) in [("own-", "buddy_pages"), ("cma-", "cma_pages")] {
            let dom = key_of(prefix, name).map_or(0, |k| get(&k));
            eq(format!("{name} {field}"), dom, o[field].as_u64().unwrap_or(u64::MAX));
        }
    }
    for (k, n) in &p.names {
        if !owners.contains_key(n) {
            errs.push(format!("the picture's owner {n} ({k}, {} pages) is not in status.json", get(k)));
        }
    }
    if get("unowned") > 0 {
        errs.push(format!("{} pages allocated without an owner record", get("unowned")));
    }
    if p.drawn != p.cells {
        errs.push(format!("the map draws {} cells, it says it has {}", p.drawn, p.cells));
    }
    let span = u(j, &["memory", "memblock", "total_pages"])? + get("hole");
    if p.cells != span.div_ceil(p.pages_per_cell.max(1)) {
        errs.push(format!("{} cells for {span} pages at {} per cell", p.cells, p.pages_per_cell));
    }
    if p.pages_per_cell == 1 && p.drawn_by_key != p.legend {
        errs.push(format!("cells per class {:?} differ from the legend {:?}", p.drawn_by_key, p.legend));
    }
    if errs.is_empty() {
        let owners: Vec<String> = p.names.iter().map(|(k, n)| format!("{n} {}", get(k))).collect();
        Ok(format!(
            "{} cells ({} page(s) each); {memory} pages = reserved {reserved} (firmware {}, kernel {}, other {}) + CMA free {} + buddy free {} + owned [{}], as in status.json",
            p.cells,
            p.pages_per_cell,
            get("firmware"),
            get("kernel"),
            get("reserved"),
            get("cma-free"),
            p.legend.iter().filter(|(k, _)| k.starts_with("free-")).map(|(_, v)| v).sum::<u64>(),
            owners.join(", ")
        ))
    } else {
        Err(errs.join("; "))
    }
}

/// Loads `/memory` in chromium between two identical `/status.json`
/// readings (three tries), saves `memory-NAME.png`, compares.
pub fn check(bin: &Path, port: u16, name: &str) -> Result<(Picture, String), String> {
    let url = format!("http://127.0.0.1:{port}/memory");
    let status = || -> Result<Value, String> {
        let body = http_get(port, "/status.json", Duration::from_secs(10))?;
        let mut j: Value = serde_json::from_slice(&body).map_err(|e| format!("status.json: {e}"))?;
        Ok(j["memory"].take())
    };
    let mut last_err = String::new();
    for _ in 0..3 {
        let before = status()?;
        let dom = chromium(bin, &["--dump-dom"], &url)?;
        let after = status()?;
        if before != after {
            last_err = String::from("memory changed while the page loaded");
            continue;
        }
        let p = parse(&dom)?;
        let j = serde_json::json!({ "memory": before });
        let summary = compare(&p, &j)?;
        std::fs::create_dir_all(artefacts()).map_err(|e| format!("{}: {e}", artefacts().display()))?;
        let png = artefacts().join(format!("memory-{name}.png"));
        let _ = std::fs::remove_file(&png);
        chromium(bin, &[&format!("--screenshot={}", png.display()), "--window-size=800,1700"], &url)?;
        let size = std::fs::metadata(&png).map_err(|e| format!("no screenshot {}: {e}", png.display()))?.len();
        return Ok((p, format!("{summary}; screenshot {} ({size} bytes)", png.display())));
    }
    Err(last_err)
}

/// The owner's pages in a picture: (buddy, CMA), from the legend rows
/// whose `data-name` is `name`.
pub fn owner_pages(p: &Picture, name: &str) -> (u64, u64) {
    let sum = |prefix: &str| {
        p.names.iter().filter(|(k, n)| k.starts_with(prefix) && n.as_str() == name).map(|(k, _)| p.legend.get(k).copied().unwrap_or(0)).sum()
    };
    (sum("own-"), sum("cma-"))
}

/// One `GET path` on a fresh connection (`Connection: close`); the body
/// of a 200 reply, read up to its `Content-Length`.
pub fn http_get(port: u16, path: &str, timeout: Duration) -> Result<Vec<u8>, String> {
    let mut s = TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), timeout).map_err(|e| format!("GET {path}: connect: {e}"))?;
    s.set_read_timeout(Some(timeout)).map_err(|e| e.to_string())?;
    s.set_write_timeout(Some(timeout)).map_err(|e| e.to_string())?;
    let req = format!("GET {path} HTTP/1.1\r\nHost: 10.0.2.15\r\nUser-Agent: monitor-test\r\nConnection: close\r\n\r\n");
    s.write_all(req.as_bytes()).map_err(|e| format!("GET {path}: send: {e}"))?;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let head_end = buf.windows(4).position(|w| w == b"\r\n\r\n");
        if let Some(h) = head_end {
            let head = String::from_utf8_lossy(&buf[..h]).into_owned();
            if !head.starts_with("HTTP/1.1 200 ") && !head.starts_with("HTTP/1.0 200 ") {
                return Err(format!("GET {path}: {}", head.lines().next().unwrap_or("")));
            }
            let len: usize = head
                .lines()
                .filter_map(|l| l.split_once(':'))
                .find(|(k, _)| k.trim().eq_ignore_ascii_case("content-length"))
                .and_then(|(_, v)| v.trim().parse().ok())
                .ok_or_else(|| format!("GET {path}: no Content-Length"))?;
            if buf.len() >= h + 4 + len {
                return Ok(buf[h + 4..h + 4 + len].to_vec());
            }
        }
        let n = s.read(&mut chunk).map_err(|e| format!("GET {path}: reading: {e}"))?;
        if n == 0 {
            return Err(format!("GET {path}: connection closed after {} bytes", buf.len()));
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOM: &str = r#"<p id="totals"></p><table id="legend"><tr data-key="firmware" data-pages="2"><td></td></tr>
<tr data-key="kernel" data-pages="3"></tr><tr data-key="free-1" data-pages="4"></tr>
<tr data-key="own-1" data-pages="1" data-name="heap"></tr><tr data-key="cma-16" data-pages="2" data-name="dma-coherent:tulip"></tr>
<tr data-key="cma-free" data-pages="4"></tr></table>
<svg id="map" data-pages-per-cell="1" data-cells="16"><rect x="0" y="0" width="2" height="1" class="k-firmware"><title>pfn 0x0-0x1</title></rect>
<rect x="2" y="0" width="3" height="1" class="k-kernel"><title>pfn 0x2</title></rect><rect x="5" y="0" width="4" height="1" class="k-free-1"><title>pfn 0x5</title></rect>
<rect x="9" y="0" width="1" height="1" class="k-own-1"><title>pfn 0x9</title></rect><rect x="10" y="0" width="4" height="1" class="k-cma-free"><title>pfn 0xa</title></rect>
<rect x="14" y="0" width="2" height="1" class="k-cma-16"><title>pfn 0xe</title></rect></svg>"#;

    fn status() -> Value {
        serde_json::json!({"memory": {
            "memblock": {"total_pages": 16, "reserved_pages": 5},
            "buddy": {"free_blocks_per_order": [0, 2, 0]},
            "cma": {"free_pages": 4},
            "owners": {"heap": {"buddy_pages": 1, "cma_pages": 0}, "dma-coherent:tulip": {"buddy_pages": 0, "cma_pages": 2}}
        }})
    }

    #[test]
    fn a_matching_picture_passes() {
        let p = parse(DOM).unwrap();
        assert_eq!((p.cells, p.drawn), (16, 16));
        compare(&p, &status()).unwrap();
        assert_eq!(owner_pages(&p, "heap"), (1, 0));
        assert_eq!(owner_pages(&p, "dma-coherent:tulip"), (0, 2));
        assert_eq!(owner_pages(&p, "monitor"), (0, 0));
    }

    #[test]
    fn every_difference_is_named() {
        let p = parse(DOM).unwrap();
        let mut j = status();
        j["memory"]["buddy"]["free_blocks_per_order"][1] = 3.into();
        j["memory"]["owners"]["heap"]["buddy_pages"] = 2.into();
        j["memory"]["memblock"]["reserved_pages"] = 6.into();
        let e = compare(&p, &j).unwrap_err();
        assert!(e.contains("order 1: picture 4, status.json 6"), "{e}");
        assert!(e.contains("heap buddy_pages: picture 1, status.json 2"), "{e}");
        assert!(e.contains("reserved pages"), "{e}");
        // A cell missing from the map.
        let p = parse(&DOM.replace(r#"width="4" height="1" class="k-cma-free""#, r#"width="3" height="1" class="k-cma-free""#)).unwrap();
        let e = compare(&p, &status()).unwrap_err();
        assert!(e.contains("draws 15 cells"), "{e}");
        // An owner the status does not know.
        let mut j = status();
        j["memory"]["owners"].as_object_mut().unwrap().remove("heap");
        assert!(compare(&parse(DOM).unwrap(), &j).unwrap_err().contains("owner heap"));
    }
}
