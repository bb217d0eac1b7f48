//! `size_bars` and `classify_id` against a model of one function's
//! configuration space, written from the PCI specification's description
//! of BARs (not from the code under test):
//!
//! * a BAR of size S keeps only the address bits at and above log2(S)
//!   (its "writable" bits); its type bits (I/O bit 0; memory bits 3:0)
//!   are read-only; a 64-bit BAR keeps address bits 63:32 in the next
//!   register; a 16-bit I/O decoder keeps nothing above bit 15;
//! * a broken BAR reads all ones whatever is written; a BAR with no
//!   writable bit keeps only its type bits;
//! * the command register keeps I/O, memory and bus-master bits; a 16-bit
//!   write of it leaves the status register alone;
//! * a function that "vanishes" after N accesses reads all ones from then
//!   on and ignores writes (a real Pchip master-aborts the cycles).
//!
//! The model logs every write with the command register at that moment.
//! For random functions (BAR layouts, assigned addresses, header types,
//! decode on or off, vanishing) the properties are: every BAR is what the
//! model's own description predicts (or the problem that description
//! predicts); every register is back at its value; only the command
//! register and the header's BAR registers are written; all ones are
//! written into a BAR only with memory and I/O decode off; a vanishing
//! function never gives a wrong BAR (each is right or left out).

use pci_config::*;
use proptest::prelude::*;


/// A BAR as the model's device implements it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Spec {
    None,
    Io { size: u32, port: u32, decode16: bool },
    Mem32 { size: u64, addr: u64, prefetch: bool, below1m: bool },
    Mem64 { size: u64, addr: u64, prefetch: bool },
    /// Reads all ones, ignores writes.
    Dead,
    /// Type bits only: I/O (flags 1) or prefetchable memory (flags 8).
    ZeroSize { io: bool },
    /// A memory BAR whose writable bits have a hole.
    Holes { writable: u32 },
    /// Memory type 3.
    Reserved,
}

impl Spec {
    fn regs(&self) -> usize {
        if matches!(self, Spec::Mem64 { .. }) { 2 } else { 1 }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Normal,
    Bridge,
    CardBus,
    Unknown,
}

impl Kind {
    fn header_byte(self) -> u8 {
        match self {
            Kind::Normal => 0x00,
            Kind::Bridge => 0x81,
            Kind::CardBus => 0x02,
            Kind::Unknown => 0x7f,
        }
    }
    fn bars(self) -> usize {
        match self {
            Kind::Normal => 6,
            Kind::Bridge => 2,
            Kind::CardBus => 1,
            Kind::Unknown => 0,
        }
    }
}

#[derive(Clone, Debug)]
struct Write {
    reg: u8,
    value: u32,
    command: u16,
    /// The function was still there (a vanished one ignores writes).
    taken: bool,
}

struct Model {
    regs: [u32; 64],
    /// Writable bits of each register.
    writable: [u32; 64],
    /// Registers that read all ones whatever is written.
    dead: [bool; 64],
    vanish_after: Option<usize>,
    accesses: usize,
    writes: Vec<Write>,
}

impl Model {
    fn new(kind: Kind, specs: &[Spec], command: u16) -> Model {
        let mut m = Model {
            regs: [0; 64],
            writable: [0; 64],
            dead: [false; 64],
            vanish_after: None,
            accesses: 0,
            writes: Vec::new(),
        };
        m.regs[0] = 0x0019_1011;
        m.regs[1] = 0x0290_0000 | command as u32; // status: some bits set
        m.writable[1] = 0x7;
        m.regs[2] = 0x0200_0041;
        m.regs[3] = (kind.header_byte() as u32) << 16;
        if kind != Kind::Normal {
            // A bridge's bus numbers at 0x18 (its third "BAR" register),
            // a CardBus bridge's at 0x18 too (after its capabilities
            // pointer at 0x14): written, they would renumber buses.
            m.regs[6] = 0x0001_0100;
            m.writable[6] = 0x00ff_ffff;
            if kind == Kind::CardBus {
                m.regs[5] = 0x0200_0080;
            }
        }
        let mut r = 4;
        for s in specs {
            if kind != Kind::Normal && r >= 4 + kind.bars() {
                break;
            }
            match *s {
                Spec::None => {}
                Spec::Io { size, port, decode16 } => {
                    let mut w = !(size - 1) & 0xffff_fffc;
                    if decode16 {
                        w &= 0xffff;
                    }
                    m.writable[r] = w;
                    m.regs[r] = (port & w) | 1;
                }
                Spec::Mem32 { size, addr, prefetch, below1m } => {
                    let w = !(size as u32 - 1) & 0xffff_fff0;
                    m.writable[r] = w;
                    m.regs[r] = (addr as u32 & w) | (below1m as u32) << 1 | (prefetch as u32) << 3;
                }
                Spec::Mem64 { size, addr, prefetch } => {
                    let w = !(size - 1);
                    m.writable[r] = w as u32 & 0xffff_fff0;
                    m.regs[r] = (addr as u32 & m.writable[r]) | 0b100 | (prefetch as u32) << 3;
                    if r + 1 < 64 {
                        m.writable[r + 1] = (w >> 32) as u32;
                        m.regs[r + 1] = (addr >> 32) as u32 & m.writable[r + 1];
                    }
                }
                Spec::Dead => m.dead[r] = true,
                Spec::ZeroSize { io } => m.regs[r] = if io { 1 } else { 8 },
                Spec::Holes { writable } => {
                    m.writable[r] = writable & 0xffff_fff0;
                    m.regs[r] = 0;
                }
                Spec::Reserved => {
                    m.writable[r] = 0xffff_f000;
                    m.regs[r] = 0x0800_0000 | 0b110;
                }
            }
            r += s.regs();
        }
        m
    }

    fn gone(&mut self) -> bool {
        self.accesses += 1;
        self.vanish_after.is_some_and(|n| self.accesses > n)
    }

    fn command(&self) -> u16 {
        self.regs[1] as u16
    }
}

impl ConfigSpace for Model {
    fn read32(&mut self, reg: u8) -> u32 {
        assert_eq!(reg % 4, 0);
        let i = reg as usize / 4;
        if self.gone() || self.dead[i] { 0xffff_ffff } else { self.regs[i] }
    }
    fn write32(&mut self, reg: u8, v: u32) {
        assert_eq!(reg % 4, 0);
        let taken = !self.gone();
        self.writes.push(Write { reg, value: v, command: self.command(), taken });
        if !taken {
            return;
        }
        let i = reg as usize / 4;
        self.regs[i] = (v & self.writable[i]) | (self.regs[i] & !self.writable[i]);
    }
    fn read16(&mut self, reg: u8) -> u16 {
        assert_eq!(reg % 2, 0);
        (self.read32(reg & !3) >> (8 * (reg & 2))) as u16
    }
    fn write16(&mut self, reg: u8, v: u16) {
        assert_eq!(reg, 0x04, "only the command register is written 16 bits wide");
        let taken = !self.gone();
        self.writes.push(Write { reg, value: v as u32, command: self.command(), taken });
        if !taken {
            return;
        }
        self.regs[1] = (self.regs[1] & 0xffff_0000) | (v as u32 & self.writable[1]);
    }
}

/// What the model's description says each BAR register should give.
fn oracle(kind: Kind, specs: &[Spec], win: &Windows) -> [Slot; 6] {
    let mut out = [Slot::Unused; 6];
    let n = kind.bars();
    let mut r = 0;
    for s in specs {
        if r >= n {
            break;
        }
        out[r] = match *s {
            Spec::None => Slot::Unused,
            Spec::Io { size, port, decode16 } => {
                let w = if decode16 { !(size - 1) & 0xfffc } else { !(size - 1) & 0xffff_fffc };
                let port = port & w;
                if size as u64 > win.io {
                    Slot::Problem(BarProblem::TooLarge { size: size as u64, window: win.io })
                } else if port as u64 + size as u64 > win.io {
                    Slot::Problem(BarProblem::OutsideWindow { start: port as u64, size: size as u64, window: win.io })
                } else {
                    Slot::Bar(Bar::Io { port, size })
                }
            }
            Spec::Mem32 { size, addr, prefetch, .. } => {
                let addr = addr & !(size - 1) & 0xffff_fff0;
                Slot::Bar(Bar::Memory { addr, size, prefetchable: prefetch, is64: false })
            }
            Spec::Mem64 { size, addr, prefetch } => {
                let addr = addr & !(size - 1) & !0xf;
                if r + 1 >= n {
                    Slot::Problem(BarProblem::NoUpperHalf)
                } else {
                    out[r + 1] = Slot::UpperHalf;
                    if size > win.mem {
                        Slot::Problem(BarProblem::TooLarge { size, window: win.mem })
                    } else if addr as u128 + size as u128 > win.mem as u128 {
                        Slot::Problem(BarProblem::OutsideWindow { start: addr, size, window: win.mem })
                    } else {
                        Slot::Bar(Bar::Memory { addr, size, prefetchable: prefetch, is64: true })
                    }
                }
            }
            Spec::Dead => Slot::Problem(BarProblem::AllOnes),
            Spec::ZeroSize { .. } => Slot::Problem(BarProblem::ZeroSize),
            Spec::Holes { writable } => {
                let w = writable & 0xffff_fff0;
                if w == 0 {
                    Slot::Unused
                } else {
                    Slot::Problem(BarProblem::NotContiguous { mask: w as u64 | 0xffff_ffff_0000_0000 })
                }
            }
            Spec::Reserved => Slot::Problem(BarProblem::ReservedType),
        };
        r += s.regs();
    }
    out
}

fn pow2(lo: u32, hi: u32) -> impl Strategy<Value = u64> {
    (lo..=hi).prop_map(|b| 1u64 << b)
}

fn spec() -> impl Strategy<Value = Spec> {
    prop_oneof![
        3 => Just(Spec::None),
        3 => (pow2(2, 8), any::<u32>(), any::<bool>()).prop_map(|(s, p, d)| Spec::Io {
            size: s as u32,
            port: if d { p & 0xffff } else { p },
            decode16: d
        }),
        4 => (pow2(4, 31), any::<u32>(), any::<bool>(), any::<bool>())
            .prop_map(|(size, a, prefetch, below1m)| Spec::Mem32 { size, addr: a as u64, prefetch, below1m }),
        4 => (pow2(4, 40), prop_oneof![any::<u32>().prop_map(u64::from), any::<u64>()], any::<bool>())
            .prop_map(|(size, addr, prefetch)| Spec::Mem64 { size, addr, prefetch }),
        1 => Just(Spec::Dead),
        1 => any::<bool>().prop_map(|io| Spec::ZeroSize { io }),
        1 => (1u32..32, 0u32..31, 4u32..28).prop_map(|(top, hole, lo)| {
            // Bits lo..=31 set except one at `hole` above `lo`.
            let run = !((1u32 << lo) - 1);
            let h = lo + 1 + hole % (31 - lo).max(1);
            let _ = top;
            Spec::Holes { writable: run & !(1 << h.min(31)) }
        }),
        1 => Just(Spec::Reserved),
    ]
}

fn layout() -> impl Strategy<Value = (Kind, Vec<Spec>)> {
    (prop_oneof![6 => Just(Kind::Normal), 2 => Just(Kind::Bridge), 1 => Just(Kind::CardBus), 1 => Just(Kind::Unknown)], prop::collection::vec(spec(), 0..7))
        .prop_map(|(kind, specs)| {
            // Keep the specs within the 6 BAR registers (a 64-bit BAR
            // may still start in the last one: that is a case to test).
            let mut out = Vec::new();
            let mut r = 0;
            for s in specs {
                if r >= 6 {
                    break;
                }
                r += s.regs();
                out.push(s);
            }
            (kind, out)
        })
}

fn check(kind: Kind, specs: &[Spec], command: u16, vanish: Option<usize>) -> Result<(), TestCaseError> {
    let win = TSUNAMI;
    let mut m = Model::new(kind, specs, command);
    m.vanish_after = vanish;
    let before = m.regs;
    let got = size_bars(&mut m, HeaderKind::from_byte(kind.header_byte()), &win);
    let want = oracle(kind, specs, &win);
    for w in &m.writes {
        let i = w.reg as usize / 4;
        let bar_reg = (4..4 + kind.bars()).contains(&i);
        prop_assert!(w.reg == 0x04 || bar_reg, "wrote {:#x} to register {:#04x}", w.value, w.reg);
        if bar_reg && w.value == 0xffff_ffff && w.taken {
            prop_assert_eq!(w.command & 3, 0, "all ones written to {:#04x} with decode on", w.reg);
        }
    }
    if kind == Kind::Unknown {
        prop_assert!(m.writes.is_empty());
    }
    match vanish {
        None => {
            prop_assert_eq!(got.slots, want, "{:?} {:?}", kind, specs);
            prop_assert!(!got.vanished);
            prop_assert_eq!(m.regs, before, "registers not restored");
            if kind.bars() > 0 {
                prop_assert_eq!(got.command, command);
            }
            for (i, s) in got.slots.iter().enumerate() {
                if let Slot::Problem(_) = s {
                    let issue = got.problems().find(|p| p.index as usize == i).unwrap();
                    let text = issue.to_string();
                    prop_assert!(text.contains(&format!("BAR{i} (register {:#04x})", 0x10 + 4 * i)), "{}", text);
                    prop_assert!(text.contains(&format!("{:#010x}", got.raw[i].1)), "{}", text);
                }
            }
        }
        Some(_) => {
            // Cut off part-way: the sizing says so and gives nothing, or
            // it all happened before and every BAR is right.
            if got.vanished {
                prop_assert_eq!(got.slots, [Slot::Unused; 6]);
                prop_assert_eq!(got.bars(), [None; 6]);
            } else {
                prop_assert_eq!(got.slots, want, "{:?} {:?}", kind, specs);
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(test_support::config())]

    #[test]
    fn bars_sized_as_the_model_says((kind, specs) in layout(), command in 0u16..8) {
        check(kind, &specs, command, None)?;
    }

    #[test]
    fn a_vanishing_function_never_gives_a_wrong_bar((kind, specs) in layout(), command in 0u16..8, n in 0usize..40) {
        check(kind, &specs, command, Some(n))?;
    }

    #[test]
    fn ids(id in any::<u32>()) {
        let vendor = id & 0xffff;
        let want = if id == u32::MAX {
            IdAnswer::Empty
        } else if vendor == 0xffff || vendor == 0 {
            IdAnswer::Invalid(id)
        } else {
            IdAnswer::Device { vendor: vendor as u16, device: (id >> 16) as u16 }
        };
        prop_assert_eq!(classify_id(id), want);
    }

    #[test]
    fn overlap_matches_brute_force(a0 in 0u64..64, sa in 0u32..5, b0 in 0u64..64, sb in 0u32..5, io_a: bool, io_b: bool) {
        let mk = |start: u64, s: u32, io: bool| if io {
            Bar::Io { port: start as u32, size: 1 << s }
        } else {
            Bar::Memory { addr: start, size: 1 << s, prefetchable: false, is64: false }
        };
        let (a, b) = (mk(a0, sa, io_a), mk(b0, sb, io_b));
        let shared = (a0..a0 + (1 << sa)).any(|x| (b0..b0 + (1 << sb)).contains(&x));
        prop_assert_eq!(overlap(&a, &b), io_a == io_b && a0 != 0 && b0 != 0 && shared);
        prop_assert_eq!(overlap(&a, &b), overlap(&b, &a));
    }

    #[test]
    fn slot_lists_read_back(mask in any::<u32>()) {
        let text = SlotList { bus: 0, mask }.to_string();
        let mut back = 0u32;
        if mask != 0 {
            for part in text.split(", ") {
                let dev = |s: &str| u32::from_str_radix(&s[3..5], 16).unwrap();
                match part.split_once('-') {
                    Some((a, b)) => {
                        prop_assert!(dev(a) < dev(b));
                        for d in dev(a)..=dev(b) { back |= 1 << d; }
                    }
                    None => back |= 1 << dev(part),
                }
            }
        } else {
            prop_assert_eq!(&text, "none");
        }
        prop_assert_eq!(back, mask);
    }
}

/// An absent function: every register all ones, writes ignored.
struct Empty(usize);

impl ConfigSpace for Empty {
    fn read32(&mut self, _: u8) -> u32 {
        u32::MAX
    }
    fn write32(&mut self, _: u8, _: u32) {
        self.0 += 1;
    }
    fn read16(&mut self, _: u8) -> u16 {
        u16::MAX
    }
    fn write16(&mut self, _: u8, _: u16) {
        self.0 += 1;
    }
}

#[test]
fn an_empty_slot_is_empty_and_its_header_touches_nothing() {
    let mut e = Empty(0);
    assert_eq!(classify_id(e.read32(0)), IdAnswer::Empty);
    let kind = HeaderKind::from_byte(e.read8(0x0e));
    assert_eq!(kind, HeaderKind::Unknown(0xff));
    assert_eq!(kind.to_string(), "0xff (all ones: the function stopped answering)");
    let s = size_bars(&mut e, kind, &TSUNAMI);
    assert_eq!(e.0, 0, "nothing written");
    assert_eq!(s.slots, [Slot::Unused; 6]);
    // Sized as a device anyway: its command register reads 0xffff, so
    // nothing is written and it is reported as not answering.
    let s = size_bars(&mut e, HeaderKind::Normal, &TSUNAMI);
    assert!(s.vanished);
    assert_eq!(e.0, 0, "nothing written");
    assert_eq!(s.bars(), [None; 6]);
}

#[test]
fn qemus_tulip_bars() {
    // QEMU's 21143: BAR0 I/O 128 bytes, BAR1 memory 128 bytes, as the
    // firmware assigned them.
    let specs = [
        Spec::Io { size: 128, port: 0x8000, decode16: false },
        Spec::Mem32 { size: 128, addr: 0x1000_0000, prefetch: false, below1m: false },
    ];
    let mut m = Model::new(Kind::Normal, &specs, 0x7);
    let s = size_bars(&mut m, HeaderKind::Normal, &TSUNAMI);
    assert_eq!(s.bars()[0], Some(Bar::Io { port: 0x8000, size: 128 }));
    assert_eq!(s.bars()[1], Some(Bar::Memory { addr: 0x1000_0000, size: 128, prefetchable: false, is64: false }));
    assert_eq!(s.bars()[1].unwrap().to_string(), "memory at 0x10000000 (32-bit, non-prefetchable) [size=128]");
    assert_eq!(m.command(), 0x7);
}
