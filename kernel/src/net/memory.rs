//! `GET /memory`: the live picture of physical memory (HTML with an inline
//! SVG, `crates/memmap`'s page) over the kernel's own structures
//! (`mm::map`'s runs, the IOMMU arenas). The page is streamed: each piece
//! of at most `netproto::http::BODY_MAX` bytes walks memory again from
//! where the last one stopped (the connection keeps four words), so a
//! 2 GiB machine's page needs no buffer of its size. Query: `from=PFN`,
//! `to=PFN` (zoom; decimal or 0x hex), `refresh=SECONDS`; a bad one is a
//! 400 saying why.

use crate::dma::iommu;
use crate::mm::map;
use core::fmt::{self, Write};
use memmap::Run;
use memmap::page::{self, Memory, PageState, Sink};
use netproto::http::{Body, Reply};

/// The kernel's memory, as the page reads it.
struct KernelMemory;

impl Memory for KernelMemory {
    fn runs(&self, from: u64, to: u64, out: &mut [Run]) -> usize {
        map::runs(from, to, out)
    }

    fn owner_name(&self, owner: u8, w: &mut dyn Write) -> fmt::Result {
        map::owner_name(owner, w)
    }

    fn span(&self) -> (u64, u64) {
        map::span().unwrap_or((0, 0))
    }

    fn cma_area(&self) -> (u64, u64) {
        map::cma_area()
    }

    fn iommu_arena(&self, i: usize) -> Option<(&'static str, u64)> {
        iommu::arena(i)
    }

    fn iommu_runs(&self, i: usize, from: u64, out: &mut [(u64, u64, u8)]) -> usize {
        iommu::arena_runs(i, from, out)
    }
}

/// A response body as the page's sink, offering at most `cap` bytes.
struct BodySink<'a, 'b> {
    body: &'a mut Body<'b>,
    cap: usize,
}

impl Write for BodySink<'_, '_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.body.write_str(s)?;
        self.cap = self.cap.saturating_sub(s.len());
        Ok(())
    }
}

impl Sink for BodySink<'_, '_> {
    fn room(&self) -> usize {
        self.body.room().min(self.cap)
    }
}

/// The first piece offers only this much: the page's head and legend go
/// out at once, and every page, however small, takes the same streamed
/// (chunked) path, the one the tests check.
const FIRST_PIECE: usize = page::HEAD_MAX;

/// Answers `/memory` with `query` (the part after `?`, or ""): the first
/// piece of the page, the rest streamed through [`more`].
pub fn route(query: &str, body: &mut Body) -> Reply {
    let mem = KernelMemory;
    let span = mem.span();
    if span.0 >= span.1 {
        let _ = body.write_str("no page allocator: no picture of memory\n");
        return Reply::new(503, "text/plain");
    }
    let mut st = match PageState::parse(query, span) {
        Ok(st) => st,
        Err(e) => {
            let _ = write!(body, "{e}");
            return Reply::new(400, "text/plain");
        }
    };
    match page::write_chunk(&mem, &mut st, &mut BodySink { body, cap: FIRST_PIECE }) {
        Ok(true) => {}
        Ok(false) => body.stream(st.encode()),
        // Only a body too small for the page's head gets here; the HTTP
        // layer turns the overflow into a 503.
        Err(_) => {}
    }
    Reply::new(200, "text/html; charset=utf-8")
}

/// The next piece of a streamed page; whether it is complete.
pub fn more(state: &mut [u64; 4], body: &mut Body) -> bool {
    let mut st = PageState::decode(*state);
    let done = page::write_chunk(&KernelMemory, &mut st, &mut BodySink { body, cap: usize::MAX }).unwrap_or(true);
    *state = st.encode();
    done
}
