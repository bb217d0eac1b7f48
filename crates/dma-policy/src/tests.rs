use super::*;
use proptest::prelude::*;

/// A layout as the kernel's Tsunami machine vector programs it (direct bus
/// 2 GiB..4 GiB, SG at bus 1 GiB, ISA SG 8 MiB at bus 8 MiB); the tests
/// build their own so that the crate holds no machine's values.
const fn layout(sg_size: u64) -> Windows {
    Windows {
        direct: WindowRange { bus_base: 0x8000_0000, size: 0x8000_0000 },
        sg: Some(WindowRange { bus_base: 0x4000_0000, size: sg_size }),
        isa: Some(WindowRange { bus_base: 0x0080_0000, size: 0x0080_0000 }),
    }
}

const W: Windows = layout(1 << 30);

#[test]
fn linux_layout() {
    assert_eq!(W.direct.bus_last(), 0xffff_ffff);
    assert_eq!(W.sg.unwrap().bus_last(), 0x7fff_ffff);
    assert_eq!(W.isa.unwrap().bus_last(), 0x00ff_ffff);
}

#[test]
fn typical_choices() {
    let full = u64::MAX;
    assert_eq!(choose_window(&W, 0x1000, 100, full, Policy::Auto, false), Ok(Choice::Direct));
    assert_eq!(choose_window(&W, 0x1000, 100, full, Policy::Auto, true), Ok(Choice::Sg));
    assert_eq!(choose_window(&W, 0x1000, 100, full, Policy::ForceSg, false), Ok(Choice::Sg));
    // 32-bit device: direct reaches up to bus 0xffffffff, i.e. all 2 GiB.
    assert_eq!(choose_window(&W, 0x7fff_f000, 0x1000, 0xffff_ffff, Policy::Auto, false), Ok(Choice::Direct));
    // Memory above 2 GiB: only through the IOMMU.
    assert_eq!(choose_window(&W, 0x8000_0000, 0x1000, full, Policy::Auto, false), Ok(Choice::Sg));
    assert_eq!(choose_window(&W, 0x8000_0000, 0x1000, full, Policy::ForceDirect, false), Err(NoWindow));
    // A buffer straddling the end of the direct window.
    assert_eq!(choose_window(&W, 0x7fff_ff00, 0x200, full, Policy::Auto, false), Ok(Choice::Sg));
    // 31-bit mask: the direct window (bus >= 2 GiB) is out of reach.
    assert_eq!(choose_window(&W, 0x1000, 100, 0x7fff_ffff, Policy::Auto, false), Ok(Choice::Sg));
    // ISA-style 24-bit mask.
    assert_eq!(choose_window(&W, 0x1000, 100, 0x00ff_ffff, Policy::Auto, false), Ok(Choice::Isa));
    // 16-bit mask: nothing.
    assert_eq!(choose_window(&W, 0x1000, 100, 0xffff, Policy::Auto, false), Err(NoWindow));
    assert_eq!(choose_window(&W, 0x1000, 0, u64::MAX, Policy::Auto, false), Err(NoWindow));
}

#[test]
fn no_sg_windows() {
    let w = Windows { sg: None, isa: None, ..W };
    assert_eq!(choose_window(&w, 0x1000, 100, u64::MAX, Policy::ForceSg, false), Err(NoWindow));
    assert_eq!(choose_window(&w, 0x1000, 100, u64::MAX, Policy::Auto, false), Ok(Choice::Direct));
}

#[test]
fn plans() {
    assert_eq!(coherent_plan(0, 10), None);
    assert_eq!(coherent_plan(1, 10), Some((Source::Buddy { order: 0 }, Some(Source::Cma { pages: 1, align_order: 0 }))));
    assert_eq!(coherent_plan(3 * 8192, 10), Some((Source::Buddy { order: 2 }, Some(Source::Cma { pages: 3, align_order: 2 }))));
    assert_eq!(coherent_plan(8 << 20, 10), Some((Source::Buddy { order: 10 }, Some(Source::Cma { pages: 1024, align_order: 10 }))));
    assert_eq!(coherent_plan((8 << 20) + 1, 10), Some((Source::Cma { pages: 1025, align_order: 10 }, None)));
    assert_eq!(coherent_plan(u64::MAX, 10).map(|p| p.1), Some(None));
}

/// The model: enumerate every window, keep those that can carry the buffer
/// for the mask (for SG windows: the whole window below the mask, since an
/// IOMMU mapping may land anywhere in it), then apply the preference order
/// direct > SG > ISA subject to the policy.
fn model(w: &Windows, pa: u64, len: u64, mask: u64, policy: Policy, strict: bool) -> Result<Choice, NoWindow> {
    if len == 0 {
        return Err(NoWindow);
    }
    let direct = (pa as u128 + len as u128) <= w.direct.size as u128
        && (w.direct.bus_base as u128 + pa as u128 + len as u128 - 1) <= mask as u128;
    let sg = w.sg.is_some_and(|s| s.bus_last() <= mask);
    let isa = w.isa.is_some_and(|s| s.bus_last() <= mask);
    let allowed_direct = match policy {
        Policy::ForceDirect => return if direct { Ok(Choice::Direct) } else { Err(NoWindow) },
        Policy::ForceSg => false,
        Policy::Auto => !strict,
    };
    if allowed_direct && direct {
        Ok(Choice::Direct)
    } else if sg {
        Ok(Choice::Sg)
    } else if isa {
        Ok(Choice::Isa)
    } else {
        Err(NoWindow)
    }
}

fn policy() -> impl Strategy<Value = Policy> {
    prop_oneof![Just(Policy::Auto), Just(Policy::ForceSg), Just(Policy::ForceDirect)]
}

fn mask() -> impl Strategy<Value = u64> {
    prop_oneof![(16u32..=64).prop_map(|b| if b == 64 { u64::MAX } else { (1u64 << b) - 1 }), any::<u64>()]
}

proptest! {
    #![proptest_config(test_support::config())]

    #[test]
    fn window_choice_matches_model(
        pa in prop_oneof![0u64..(4u64 << 30), any::<u64>()],
        len in prop_oneof![0u64..(1 << 20), any::<u64>()],
        mask in mask(),
        policy in policy(),
        strict in any::<bool>(),
        sg_log in 23u32..=30,
        have_sg in any::<bool>(),
        have_isa in any::<bool>(),
    ) {
        let mut w = layout(1 << sg_log);
        if !have_sg { w.sg = None; }
        if !have_isa { w.isa = None; }
        let got = choose_window(&w, pa, len, mask, policy, strict);
        prop_assert_eq!(got, model(&w, pa, len, mask, policy, strict));
        // Whatever is chosen reaches the buffer within the mask.
        if got == Ok(Choice::Direct) {
            prop_assert!(w.direct.bus_base + pa + len - 1 <= mask);
            prop_assert!(pa + len <= w.direct.size);
        }
    }

    #[test]
    fn coherent_plan_is_sound(size in prop_oneof![1u64..(64 << 20), any::<u64>()], max_order in 0u32..=12) {
        let Some((first, fallback)) = coherent_plan(size, max_order) else {
            prop_assert_eq!(size, 0);
            return Ok(());
        };
        let pages = size.div_ceil(PAGE_SIZE);
        match first {
            Source::Buddy { order } => {
                // The smallest block that holds the buffer, and CMA behind it.
                prop_assert!(order <= max_order);
                prop_assert!((1u64 << order) >= pages);
                prop_assert!(order == 0 || (1u64 << (order - 1)) < pages);
                prop_assert_eq!(fallback, Some(Source::Cma { pages, align_order: order }));
            }
            Source::Cma { pages: p, align_order } => {
                // Only when no buddy block is large enough.
                prop_assert!(pages > (1u64 << max_order));
                prop_assert_eq!(p, pages);
                prop_assert_eq!(align_order, max_order);
                prop_assert_eq!(fallback, None);
            }
        }
    }

    #[test]
    fn span_pages_covers(pa in any::<u32>(), len in 1u64..(1 << 24)) {
        let pa = pa as u64;
        let n = span_pages(pa, len);
        let first = pa / PAGE_SIZE;
        let last = (pa + len - 1) / PAGE_SIZE;
        prop_assert_eq!(n, last - first + 1);
    }
}

#[test]
fn mask_windows_of_common_masks() {
    let m = mask_windows(&W, 0x00ff_ffff);
    assert_eq!(m, MaskWindows { direct_below: 0, sg: false, isa: true });
    assert!(!mask_windows(&W, 0xffff).any());
    let m = mask_windows(&W, 0xffff_ffff);
    assert_eq!(m, MaskWindows { direct_below: 0x8000_0000, sg: true, isa: true });
    assert_eq!(mask_windows(&W, u64::MAX).direct_below, 0x8000_0000);
    assert_eq!(mask_windows(&W, 0x8000_ffff).direct_below, 0x1_0000);
    let full = mask_windows(&W, u64::MAX);
    assert_eq!(full.to_string(), "direct (memory below 0x80000000), PCI SG, ISA SG");
    assert_eq!(full.under(Policy::ForceSg, false).to_string(), "PCI SG, ISA SG");
    assert_eq!(full.under(Policy::Auto, true), full.under(Policy::ForceSg, false));
    assert_eq!(full.under(Policy::ForceDirect, true).to_string(), "direct (memory below 0x80000000)");
    assert_eq!(mask_windows(&W, 0xffff).to_string(), "none");
}

proptest! {
    #![proptest_config(test_support::config())]

    /// A buffer has a window (Auto, not strict) exactly when the windows of
    /// its mask say so: below `direct_below`, or any SG window.
    #[test]
    fn mask_windows_agree_with_choose_window(
        mask in prop_oneof![any::<u64>(), 0u64..1 << 33],
        pa in 0u64..1 << 32,
        len in 1u64..1 << 20,
        policy in prop_oneof![Just(Policy::Auto), Just(Policy::ForceSg), Just(Policy::ForceDirect)],
        strict in any::<bool>(),
    ) {
        let m = mask_windows(&W, mask).under(policy, strict);
        let ok = choose_window(&W, pa, len, mask, policy, strict).is_ok();
        prop_assert_eq!(ok, pa + len <= m.direct_below || m.sg || m.isa);
    }
}
