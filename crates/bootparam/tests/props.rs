//! Property tests: arbitrary command lines never panic, and formatted valid
//! parameters parse back to what was formatted.
//!
//! Cases per test: `PROPTEST_CASES` (default 10 000).

use bootparam::{CmaParam, EarlyParams, MAX_ERRORS, MAX_WORDS, Param, Reason, Size, memparse};
use proptest::prelude::*;

/// Whether `part` is a slice of `whole` (not just equal to some substring).
fn is_slice_of(part: &str, whole: &str) -> bool {
    let (p, w) = (part.as_ptr() as usize, whole.as_ptr() as usize);
    p >= w && p + part.len() <= w + whole.len()
}

/// Exercises every accessor and checks what must hold for any input.
fn check_any(line: &str, probe: &str) {
    let p = EarlyParams::parse(line);
    assert!(p.unknown().len() <= MAX_WORDS);
    assert!(p.errors().len() <= MAX_ERRORS);
    assert!(p.dropped_unknown() == 0 || p.unknown().len() == MAX_WORDS);
    assert!(p.dropped_errors() == 0 || p.errors().len() == MAX_ERRORS);
    for w in p.unknown() {
        assert!(
            is_slice_of(w, line),
            "{w:?} is not a slice of the command line"
        );
        assert!(!w.is_empty());
        assert!(p.has_flag(w));
    }
    for e in p.errors() {
        let text = e.to_string();
        assert!(text.starts_with(e.param.name()), "{text}");
        assert!(text.contains("(expected "), "{text}");
        assert!(e.value.is_empty() || is_slice_of(e.value, line));
        match e.param {
            Param::Loglevel => assert!(text.contains("0-8")),
            Param::Cma | Param::Mem | Param::CmaPernuma => assert!(text.contains("nn[KMG]")),
            Param::NumaCma => assert!(text.contains("node:nn[KMG]")),
            Param::ConsoleBaud => assert!(text.contains("9600|19200|38400|57600|115200")),
        }
    }
    if let Some(init) = p.init_args() {
        assert!(is_slice_of(init, line));
    }
    if let Some(baud) = p.console_baud {
        assert!(bootparam::CONSOLE_BAUDS.contains(&baud));
    }
    let total: u32 = Param::ALL.iter().map(|&q| p.occurrences(q)).sum();
    assert!(total as usize >= p.errors().len());
    let _ = (
        p.has_flag(probe),
        p.get(probe),
        p.repeated().count(),
        p.cma,
        p.mem,
    );
    if let Some(v) = p.get(probe) {
        assert!(is_slice_of(v, line));
    }
}

/// Command lines made of pieces that matter to the parser.
fn token_soup() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("cma"),
        Just("mem"),
        Just("loglevel"),
        Just("console_baud"),
        Just("9600"),
        Just("="),
        Just("@"),
        Just("\""),
        Just("0x"),
        Just("0"),
        Just("7"),
        Just("64"),
        Just("18446744073709551615"),
        Just("K"),
        Just("M"),
        Just("G"),
        Just("e"),
        Just("Q"),
        Just("-"),
        Just("--"),
        Just(" "),
        Just("\t"),
        Just("\n"),
        Just("\x0b"),
        Just("ü"),
        Just("test"),
        Just("iommu"),
    ];
    prop::collection::vec(piece, 0..40).prop_map(|v| v.concat())
}

/// An unrecognised word: `key` or `key=value`, the key not an early parameter.
fn other_word() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9_.,/-]{0,8}(=[a-zA-Z0-9_.,/:-]{0,8})?".prop_filter("early parameter", |w| {
        let key = w.split('=').next().unwrap_or("");
        bootparam::Param::from_name(key).is_none()
    })
}

/// A number that parses back to `v`, in one of the notations memparse accepts.
fn notation(v: u64) -> impl Strategy<Value = String> {
    prop_oneof![
        Just(Size(v).to_string()),
        Just(v.to_string()),
        Just(format!("0x{v:x}")),
        Just(format!("0X{v:X}")),
        Just(if v == 0 {
            "0".to_string()
        } else {
            format!("0{v:o}")
        }),
    ]
}

/// A size likely to have a suffix.
fn size() -> impl Strategy<Value = u64> {
    prop_oneof![
        any::<u64>(),
        (0u64..1 << 20, 0u32..=60)
            .prop_map(|(n, s)| n.checked_shl(s).filter(|v| v >> s == n).unwrap_or(n)),
        Just(0u64),
    ]
}

fn separator() -> impl Strategy<Value = &'static str> {
    prop_oneof![
        Just(" "),
        Just("  "),
        Just("\t"),
        Just("\n"),
        Just(" \r\n ")
    ]
}

#[derive(Debug, Clone)]
struct Spec {
    cma: Option<CmaParam>,
    mem: Option<u64>,
    loglevel: Option<u8>,
    others: Vec<String>,
}

/// A spec and a command line that says it.
fn spec_and_line() -> impl Strategy<Value = (Spec, String)> {
    let cma = prop::option::of((size(), prop::option::of(size())));
    let mem = prop::option::of(size());
    let loglevel = prop::option::of(0u8..=7);
    let others = prop::collection::vec(other_word(), 0..12);
    (cma, mem, loglevel, others)
        .prop_flat_map(|(cma, mem, loglevel, others)| {
            let cma = cma.map(|(size, base)| CmaParam { size, base, limit: None });
            let cma_text = match cma {
                None => Just(None).boxed(),
                Some(c) => {
                    let base = match c.base {
                        None => Just(String::new()).boxed(),
                        Some(b) => notation(b).prop_map(|t| format!("@{t}")).boxed(),
                    };
                    (notation(c.size), base)
                        .prop_map(|(s, b)| Some(format!("cma={s}{b}")))
                        .boxed()
                }
            };
            let mem_text = match mem {
                None => Just(None).boxed(),
                Some(m) => notation(m).prop_map(|t| Some(format!("mem={t}"))).boxed(),
            };
            let level_text = loglevel.map(|l| format!("loglevel={l}"));
            let spec = Spec {
                cma,
                mem,
                loglevel,
                others: others.clone(),
            };
            let n = others.len() + 3;
            (
                Just(spec),
                cma_text,
                mem_text,
                Just(level_text),
                prop::collection::vec(0..=n, 3),
                prop::collection::vec(separator(), n + 1),
            )
        })
        .prop_map(|(spec, cma, mem, level, positions, seps)| {
            let mut tokens: Vec<String> = spec.others.clone();
            for (tok, pos) in [cma, mem, level].into_iter().zip(positions) {
                if let Some(t) = tok {
                    let at = pos.min(tokens.len());
                    tokens.insert(at, t);
                }
            }
            let mut line = String::from(seps[0]);
            for (i, t) in tokens.iter().enumerate() {
                line.push_str(t);
                line.push_str(seps[(i + 1) % seps.len()]);
            }
            (spec, line)
        })
}

proptest! {
    #![proptest_config(test_support::config())]

    #[test]
    fn arbitrary_strings_never_panic(line in any::<String>(), probe in any::<String>()) {
        check_any(&line, &probe);
    }

    #[test]
    fn token_soup_never_panics(line in token_soup(), probe in token_soup()) {
        check_any(&line, &probe);
    }

    #[test]
    fn valid_params_round_trip((spec, line) in spec_and_line()) {
        let p = EarlyParams::parse(&line);
        prop_assert_eq!(p.errors(), &[], "{:?}", line);
        prop_assert_eq!(p.cma, spec.cma);
        prop_assert_eq!(p.mem, spec.mem);
        prop_assert_eq!(p.loglevel, spec.loglevel);
        prop_assert_eq!(p.unknown(), &spec.others[..]);
        prop_assert_eq!(p.repeated().count(), 0);
        for w in &spec.others {
            prop_assert!(p.has_flag(w));
            if let Some((key, _)) = w.split_once('=') {
                // The last word with this key wins.
                let last = spec.others.iter().rev().find_map(|o| o.split_once('=').filter(|(k, _)| bootparam::name_eq(k, key)));
                prop_assert_eq!(p.get(key), last.map(|(_, v)| v));
            }
        }
        // Display of CmaParam is itself valid syntax.
        if let Some(c) = spec.cma {
            let again = format!("cma={c}");
            prop_assert_eq!(EarlyParams::parse(&again).cma, Some(c));
        }
    }

    #[test]
    fn sizes_round_trip(v in size()) {
        let text = Size(v).to_string();
        prop_assert_eq!(memparse(&text), Ok((v, "")));
    }

    #[test]
    fn unknown_suffix_is_reported(v in 0u64..1 << 40, c in "[a-dfhijlnoqrsu-zA-DFHIJLNOQRSU-Z]") {
        // Any letter but the suffixes K, M, G, T, P, E.
        let c = c.chars().next().unwrap();
        let line = format!("mem={v}{c} cma={v}{c}");
        let p = EarlyParams::parse(&line);
        prop_assert_eq!(p.mem, None);
        prop_assert_eq!(p.cma, None);
        prop_assert_eq!(p.errors().len(), 2);
        for e in p.errors() {
            prop_assert_eq!(e.reason, Reason::UnknownSuffix(c));
        }
    }
}
