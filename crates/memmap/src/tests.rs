//! Unit tests: query parsing, rectangles, the text map's shape, and a
//! scaled page (more than PAGE_CELLS pages) checked cell by cell.

use super::page::*;
use super::proptests::{Synthetic, check_page};
use super::*;

#[test]
fn query_parsing() {
    let span = (0x10, 0x8010);
    let s = PageState::parse("", span).unwrap();
    assert_eq!((s.from, s.to, s.refresh), (0x10, 0x8010, 0));
    let s = PageState::parse("from=0x20&to=100&refresh=5", span).unwrap();
    assert_eq!((s.from, s.to, s.refresh), (0x20, 100, 5));
    assert_eq!(PageState::parse("from=100&to=100", span), Err(QueryError::Reversed));
    assert_eq!(PageState::parse("from=200&to=100", span), Err(QueryError::Reversed));
    assert_eq!(PageState::parse("from=0&to=100", span), Err(QueryError::OutOfRange { first: 0x10, end: 0x8010 }));
    assert_eq!(PageState::parse("to=0x9000", span), Err(QueryError::OutOfRange { first: 0x10, end: 0x8010 }));
    assert_eq!(PageState::parse("from=zz", span), Err(QueryError::NotANumber));
    assert_eq!(PageState::parse("from=-1", span), Err(QueryError::NotANumber));
    assert_eq!(PageState::parse("refresh=0", span), Err(QueryError::Refresh));
    assert_eq!(PageState::parse("refresh=99999", span), Err(QueryError::Refresh));
    assert_eq!(PageState::parse("zoom=2", span), Err(QueryError::Unknown));
    let s = PageState::parse("from=0x20&to=100", span).unwrap();
    assert_eq!(PageState::decode(s.encode()), s);
}

#[test]
fn scaling_threshold() {
    let s = PageState::parse("", (0, PAGE_CELLS)).unwrap();
    assert_eq!((s.pages_per_cell(), s.cells()), (1, PAGE_CELLS));
    let s = PageState::parse("", (0, PAGE_CELLS + 1)).unwrap();
    assert_eq!((s.pages_per_cell(), s.cells()), (SCALED_PAGES, (PAGE_CELLS + 1).div_ceil(SCALED_PAGES)));
}

#[test]
fn rects_of_runs() {
    let mut v = vec![];
    grid_rects(5, 300, 128, |r| v.push(r));
    assert_eq!(
        v,
        [Rect { x: 5, y: 0, w: 123, h: 1 }, Rect { x: 0, y: 1, w: 128, h: 1 }, Rect { x: 0, y: 2, w: 49, h: 1 }]
    );
}

#[test]
fn text_map_lines() {
    let runs = [Run::new(0, 64, Class::Kernel), Run::new(64, 192, Class::BuddyFree(3))];
    let mut s = String::new();
    let per = text_map(runs, 0, 256, TEXT_PREFIX + 16, 4, |c| fixed_char(c).unwrap_or('?'), &mut s).unwrap();
    assert_eq!(per, 4);
    assert_eq!(s, "0x0000000000 ================\n0x0000080000 ................\n0x0000100000 ................\n0x0000180000 ................\n");
}

#[test]
fn scaled_page_cell_by_cell() {
    // 40,000 pages (more than PAGE_CELLS): 8 pages per cell, dominant class.
    let mut x = 0x1234_5678_9abc_def0u64;
    let mut pages = Vec::new();
    while pages.len() < 40_000 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let class = match x % 7 {
            0 => Class::Kernel,
            1 => Class::BuddyFree((x >> 8) as u8 % 11),
            2 => Class::Owned { owner: 1 + (x >> 12) as u8 % 5, cma: false },
            3 => Class::CmaFree,
            4 => Class::Owned { owner: 3, cma: true },
            5 => Class::Reserved,
            _ => Class::Hole,
        };
        let len = 1 + (x >> 20) as usize % 23;
        pages.extend(core::iter::repeat_n(class, len));
    }
    pages.truncate(40_000);
    let mem = Synthetic::new(0x100, pages, 7);
    check_page(&mem, "", 16 * 1024);
    check_page(&mem, "from=0x200&to=0x9000", HEAD_MAX);
}

#[test]
fn a_long_legend_is_split_over_chunks() {
    // Every owner from both allocators and every order: 140 legend rows,
    // more than one chunk holds.
    let mut pages = Vec::new();
    for o in 0..=MAX_ORDER {
        pages.extend(core::iter::repeat_n(Class::BuddyFree(o), 3));
    }
    for owner in 1..OWNERS as u8 {
        pages.push(Class::Owned { owner, cma: false });
        pages.push(Class::Owned { owner, cma: true });
    }
    pages.extend([Class::Hole, Class::Firmware, Class::Kernel, Class::Reserved, Class::CmaFree, Class::Unowned]);
    let mem = Synthetic::new(0x30, pages, 5);
    check_page(&mem, "", HEAD_MAX);
}
