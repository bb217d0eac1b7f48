//! Unit tests for every parameter, error, and the command line splitting.

use super::*;

const K: u64 = 1 << 10;
const M: u64 = 1 << 20;
const G: u64 = 1 << 30;

fn err(p: &EarlyParams<'_>) -> Vec<String> {
    p.errors().iter().map(|e| e.to_string()).collect()
}

// ---------------------------------------------------------------- numbers

#[test]
fn memparse_like_linux() {
    fn ok(s: &str) -> (u64, &str) {
        memparse(s).unwrap()
    }
    assert_eq!(ok("0"), (0, ""));
    assert_eq!(ok("123"), (123, ""));
    assert_eq!(ok("0x1f"), (0x1f, ""));
    assert_eq!(ok("0X1F"), (0x1f, ""));
    assert_eq!(ok("010"), (8, "")); // leading 0: octal, as simple_strtoull(.., 0)
    assert_eq!(ok("64k"), (64 * K, ""));
    assert_eq!(ok("64K"), (64 * K, ""));
    assert_eq!(ok("64m"), (64 * M, ""));
    assert_eq!(ok("2G"), (2 * G, ""));
    assert_eq!(ok("3t"), (3 << 40, ""));
    assert_eq!(ok("5P"), (5 << 50, ""));
    assert_eq!(ok("15e"), (15 << 60, ""));
    assert_eq!(ok("0x10M"), (16 * M, ""));
    assert_eq!(ok("64MB"), (64 * M, "B")); // one suffix only; the caller judges the rest
    assert_eq!(ok("1@2"), (1, "@2"));
    assert_eq!(ok("18446744073709551615"), (u64::MAX, ""));
    assert_eq!(ok("0xffffffffffffffff"), (u64::MAX, ""));
    assert_eq!(ok("0x1E"), (0x1e, "")); // 'E' is a hex digit here, as in Linux
    assert_eq!(ok("08"), (0, "8")); // octal stops at 8
}

#[test]
fn memparse_errors() {
    for s in ["", "banana", "-1", "+1", " 1", "K", "0x", "0xg", "@1"] {
        assert_eq!(memparse(s), Err(Reason::NotANumber), "{s:?}");
    }
    for s in [
        "18446744073709551616",
        "0x10000000000000000",
        "16E",
        "17179869184G",
        "99999999999999999999999",
    ] {
        assert_eq!(memparse(s), Err(Reason::TooLarge), "{s:?}");
    }
    assert_eq!(parse_number("64M"), Ok((64, "M")));
    assert_eq!(parse_number("ü"), Err(Reason::NotANumber));
}

#[test]
fn size_display_round_trips() {
    let cases = [
        (0, "0"),
        (1, "1"),
        (1536, "1536"),
        (64 * M, "64M"),
        (3 * G, "3G"),
        (K, "1K"),
        (1 << 63, "8E"),
        (u64::MAX, "18446744073709551615"),
    ];
    for (v, s) in cases {
        assert_eq!(Size(v).to_string(), s);
        assert_eq!(memparse(s), Ok((v, "")));
    }
}

// -------------------------------------------------------------------- cma

#[test]
fn cma_values() {
    let cma = |s: &str| EarlyParams::parse(s).cma;
    assert_eq!(
        cma("cma=64M"),
        Some(CmaParam {
            size: 64 * M,
            base: None,
            limit: None
        })
    );
    assert_eq!(
        cma("cma=0"),
        Some(CmaParam {
            size: 0,
            base: None,
            limit: None
        })
    ); // valid: no CMA
    assert_eq!(
        cma("cma=64M@0x10000000"),
        Some(CmaParam {
            size: 64 * M,
            base: Some(0x1000_0000),
            limit: None
        })
    );
    assert_eq!(
        cma("cma=16m@1g"),
        Some(CmaParam {
            size: 16 * M,
            base: Some(G),
            limit: None
        })
    );
    assert_eq!(
        cma("cma=\"32M@0\""),
        Some(CmaParam {
            size: 32 * M,
            base: Some(0),
            limit: None
        })
    );
    assert_eq!(cma("console=ttyS0"), None);
    assert_eq!(
        CmaParam {
            size: 64 * M,
            base: Some(256 * M),
            limit: None
        }
        .to_string(),
        "64M@256M"
    );
    assert_eq!(
        CmaParam {
            size: 0,
            base: None,
            limit: None
        }
        .to_string(),
        "0"
    );
}

#[test]
fn cma_errors() {
    let cases = [
        (
            "cma=banana",
            Reason::NotANumber,
            "cma=banana: not a size (expected nn[KMG][@[start[KMG][-end[KMG]]]])",
        ),
        (
            "cma=64Q",
            Reason::UnknownSuffix('Q'),
            "cma=64Q: unknown size suffix 'Q' (expected nn[KMG][@[start[KMG][-end[KMG]]]])",
        ),
        (
            "cma=",
            Reason::EmptyValue,
            "cma=: empty value (expected nn[KMG][@[start[KMG][-end[KMG]]]])",
        ),
        (
            "cma",
            Reason::MissingValue,
            "cma: missing value (expected cma=nn[KMG][@[start[KMG][-end[KMG]]]])",
        ),
        (
            "cma=64M@",
            Reason::MissingBase,
            "cma=64M@: missing base address after '@' (expected nn[KMG][@[start[KMG][-end[KMG]]]])",
        ),
        (
            "cma=64M@banana",
            Reason::NotANumber,
            "cma=64M@banana: not a size (expected nn[KMG][@[start[KMG][-end[KMG]]]])",
        ),
        (
            "cma=64M@1Q",
            Reason::UnknownSuffix('Q'),
            "cma=64M@1Q: unknown size suffix 'Q' (expected nn[KMG][@[start[KMG][-end[KMG]]]])",
        ),
        (
            "cma=64M-128M",
            Reason::TrailingCharacters,
            "cma=64M-128M: unexpected characters after the number (expected nn[KMG][@[start[KMG][-end[KMG]]]])",
        ),
        (
            "cma=64M@1G,2G",
            Reason::TrailingCharacters,
            "cma=64M@1G,2G: unexpected characters after the number (expected nn[KMG][@[start[KMG][-end[KMG]]]])",
        ),
        (
            "cma=64MB",
            Reason::UnknownSuffix('B'),
            "cma=64MB: unknown size suffix 'B' (expected nn[KMG][@[start[KMG][-end[KMG]]]])",
        ),
        (
            "cma=16E",
            Reason::TooLarge,
            "cma=16E: too large (does not fit in 64 bits) (expected nn[KMG][@[start[KMG][-end[KMG]]]])",
        ),
        (
            "cma=64M@@1",
            Reason::NotANumber,
            "cma=64M@@1: not a size (expected nn[KMG][@[start[KMG][-end[KMG]]]])",
        ),
    ];
    for (line, reason, text) in cases {
        let p = EarlyParams::parse(line);
        assert_eq!(p.cma, None, "{line}");
        assert_eq!(p.errors().len(), 1, "{line}");
        assert_eq!(p.errors()[0].param, Param::Cma);
        assert_eq!(p.errors()[0].reason, reason, "{line}");
        assert_eq!(p.errors()[0].to_string(), text);
        assert!(
            p.unknown().is_empty(),
            "malformed early params are not kept as words"
        );
    }
    assert_eq!(EarlyParams::parse("cma=banana").errors()[0].value, "banana");
}

// -------------------------------------------------------------------- mem

#[test]
fn mem_values_and_errors() {
    assert_eq!(EarlyParams::parse("mem=1G").mem, Some(G));
    assert_eq!(EarlyParams::parse("mem=0x8000000").mem, Some(128 * M));
    assert_eq!(EarlyParams::parse("mem=0").mem, Some(0));
    let cases = [
        ("mem=", "mem=: empty value (expected nn[KMG])"),
        ("mem", "mem: missing value (expected mem=nn[KMG])"),
        ("mem=lots", "mem=lots: not a size (expected nn[KMG])"),
        (
            "mem=64Q",
            "mem=64Q: unknown size suffix 'Q' (expected nn[KMG])",
        ),
        (
            "mem=64M@0",
            "mem=64M@0: unexpected characters after the number (expected nn[KMG])",
        ),
        (
            "mem=99999999999999999999",
            "mem=99999999999999999999: too large (does not fit in 64 bits) (expected nn[KMG])",
        ),
    ];
    for (line, text) in cases {
        let p = EarlyParams::parse(line);
        assert_eq!(p.mem, None);
        assert_eq!(err(&p), [text]);
    }
}

// --------------------------------------------------------------- loglevel

#[test]
fn loglevel_values_and_errors() {
    for n in 0..=7u8 {
        assert_eq!(
            EarlyParams::parse(&format!("loglevel={n}")).loglevel,
            Some(n)
        );
    }
    assert_eq!(EarlyParams::parse("loglevel=0x7").loglevel, Some(7));
    assert_eq!(EarlyParams::parse("loglevel=07").loglevel, Some(7));
    let cases = [
        (
            "loglevel=256",
            Reason::OutOfRange,
            "loglevel=256: out of range (expected 0-8 or more; messages below the level are printed)",
        ),
        (
            "loglevel=",
            Reason::EmptyValue,
            "loglevel=: empty value (expected 0-8 or more; messages below the level are printed)",
        ),
        (
            "loglevel",
            Reason::MissingValue,
            "loglevel: missing value (expected loglevel=0-8 or more; messages below the level are printed)",
        ),
        (
            "loglevel=debug",
            Reason::NotANumber,
            "loglevel=debug: not a number (expected 0-8 or more; messages below the level are printed)",
        ),
        (
            "loglevel=-1",
            Reason::NotANumber,
            "loglevel=-1: not a number (expected 0-8 or more; messages below the level are printed)",
        ),
        (
            "loglevel=3k",
            Reason::TrailingCharacters,
            "loglevel=3k: unexpected characters after the number (expected 0-8 or more; messages below the level are printed)",
        ),
        (
            "loglevel=99999999999999999999",
            Reason::TooLarge,
            "loglevel=99999999999999999999: too large (does not fit in 64 bits) (expected 0-8 or more; messages below the level are printed)",
        ),
    ];
    for (line, reason, text) in cases {
        let p = EarlyParams::parse(line);
        assert_eq!(p.loglevel, None, "{line}");
        assert_eq!(p.errors()[0].reason, reason, "{line}");
        assert_eq!(err(&p), [text]);
    }
}

// ------------------------------------------------------ repeats and words

#[test]
fn last_valid_occurrence_wins() {
    let p = EarlyParams::parse("mem=1G cma=16M loglevel=3 mem=2G cma=banana loglevel=4 loglevel=x9");
    assert_eq!(p.mem, Some(2 * G));
    assert_eq!(
        p.cma,
        Some(CmaParam {
            size: 16 * M,
            base: None,
            limit: None
        })
    ); // the malformed one is ignored
    assert_eq!(p.loglevel, Some(4));
    assert_eq!(p.occurrences(Param::Mem), 2);
    assert_eq!(p.occurrences(Param::Cma), 2);
    assert_eq!(p.occurrences(Param::Loglevel), 3);
    assert_eq!(
        p.repeated().collect::<Vec<_>>(),
        [(Param::Cma, 2), (Param::Mem, 2), (Param::Loglevel, 3)]
    );
    assert_eq!(
        err(&p),
        [
            "cma=banana: not a size (expected nn[KMG][@[start[KMG][-end[KMG]]]])",
            "loglevel=x9: not a number (expected 0-8 or more; messages below the level are printed)"
        ]
    );
    let once = EarlyParams::parse("mem=1G");
    assert_eq!(once.repeated().count(), 0);
    assert_eq!(once.occurrences(Param::Cma), 0);
}

#[test]
fn other_words_are_kept() {
    let p = EarlyParams::parse(
        "root=/dev/sda1 test iommu=strict console=ttyS0,9600 console=tty0 quiet foo= CMA=1M cmax=2",
    );
    assert_eq!(
        p.unknown(),
        [
            "root=/dev/sda1",
            "test",
            "iommu=strict",
            "console=ttyS0,9600",
            "console=tty0",
            "quiet",
            "foo=",
            "CMA=1M",
            "cmax=2"
        ]
    );
    assert!(p.has_flag("test"));
    assert!(p.has_flag("quiet"));
    assert!(p.has_flag("iommu=strict"));
    assert!(!p.has_flag("iommu"));
    assert!(!p.has_flag("tes"));
    assert_eq!(p.get("iommu"), Some("strict"));
    assert_eq!(p.get("console"), Some("tty0")); // last one wins
    assert_eq!(p.get("foo"), Some(""));
    assert_eq!(p.get("test"), None); // a bare word has no value
    assert_eq!(p.get("missing"), None);
    assert_eq!(p.cma, None); // names are case-sensitive
    assert!(p.errors().is_empty());
}

#[test]
fn quotes_like_linux_next_arg() {
    let p = EarlyParams::parse(r#"foo="bar baz" "quoted word" "k=v w" x="" "#);
    assert_eq!(
        p.unknown(),
        [
            r#"foo="bar baz""#,
            r#""quoted word""#,
            r#""k=v w""#,
            r#"x="""#
        ]
    );
    assert_eq!(p.get("foo"), Some("bar baz"));
    assert!(p.has_flag("quoted word"));
    assert!(p.has_flag(r#""quoted word""#));
    assert_eq!(p.get("k"), Some("v w"));
    assert_eq!(p.get("x"), Some(""));
    // An unterminated quote runs to the end of the line.
    let p = EarlyParams::parse(r#"a="b c d"#);
    assert_eq!(p.unknown(), [r#"a="b c d"#]);
    assert_eq!(p.get("a"), Some("b c d"));
    // '=' in first position does not count; a lone quote at the end.
    let p = EarlyParams::parse(r#"=x ==y ""#);
    assert_eq!(p.unknown(), ["=x", "==y", "\""]);
    assert_eq!(p.get("="), Some("y"));
    assert!(p.has_flag("=x"));
    // A leading quote that is never closed swallows the rest of the line.
    let p = EarlyParams::parse(r#"" =x mem=1G"#);
    assert_eq!(p.unknown(), [r#"" =x mem=1G"#]);
    assert_eq!(p.get(" "), Some("x mem=1G"));
    assert_eq!(p.mem, None);
}

#[test]
fn whitespace_and_empty_lines() {
    assert!(EarlyParams::parse("").unknown().is_empty());
    assert!(EarlyParams::parse(" \t\n\r\x0b\x0c ").unknown().is_empty());
    let p = EarlyParams::parse("\t a\x0bb\n\nc  mem=1G\r\n");
    assert_eq!(p.unknown(), ["a", "b", "c"]);
    assert_eq!(p.mem, Some(G));
    // Non-ASCII is fine (and not whitespace, even U+00A0).
    let p = EarlyParams::parse("ünï=cödé\u{a0}x ✓");
    assert_eq!(p.unknown(), ["ünï=cödé\u{a0}x", "✓"]);
    assert_eq!(p.get("ünï"), Some("cödé\u{a0}x"));
    let d: EarlyParams<'_> = EarlyParams::default();
    assert!(d.unknown().is_empty() && d.errors().is_empty() && d.cma.is_none());
}

#[test]
fn double_dash_ends_kernel_arguments() {
    let p = EarlyParams::parse("a mem=1G -- b mem=2G  c");
    assert_eq!(p.unknown(), ["a"]);
    assert_eq!(p.mem, Some(G));
    assert_eq!(p.init_args(), Some("b mem=2G  c"));
    assert_eq!(EarlyParams::parse("a --").init_args(), Some(""));
    assert_eq!(EarlyParams::parse("a --b").init_args(), None);
    assert_eq!(EarlyParams::parse("a --b").unknown(), ["a", "--b"]);
}

#[test]
fn fixed_capacities_count_what_is_dropped() {
    let line: String = (0..40).map(|i| format!("w{i} ")).collect();
    let p = EarlyParams::parse(&line);
    assert_eq!(p.unknown().len(), MAX_WORDS);
    assert_eq!(p.unknown()[31], "w31");
    assert_eq!(p.dropped_unknown(), 8);

    let line = "mem=x ".repeat(MAX_ERRORS + 3);
    let p = EarlyParams::parse(&line);
    assert_eq!(p.errors().len(), MAX_ERRORS);
    assert_eq!(p.dropped_errors(), 3);
    assert_eq!(p.occurrences(Param::Mem), MAX_ERRORS as u32 + 3);
}

#[test]
fn param_names_and_reasons() {
    assert_eq!(
        Param::ALL.map(Param::name),
        ["cma", "mem", "loglevel", "console_baud", "cma_pernuma", "numa_cma"]
    );
    assert_eq!(
        Param::ALL.map(Param::syntax),
        [
            "nn[KMG][@[start[KMG][-end[KMG]]]]",
            "nn[KMG]",
            "0-8 or more; messages below the level are printed",
            "9600|19200|38400|57600|115200",
            "nn[KMG]",
            "node:nn[KMG][,node:nn[KMG]...]"
        ]
    );
    assert_eq!(Reason::NotANumber.to_string(), "not a number");
    assert_eq!(
        Reason::UnknownSuffix('ü').to_string(),
        "unknown size suffix 'ü'"
    );
}

/// Every file of the fuzzing seed corpus parses without panicking, and the
/// results are consistent.
#[test]
fn fuzz_corpus() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/fuzz/corpus/cmdline");
    let mut count = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        let line = String::from_utf8_lossy(&bytes);
        let p = EarlyParams::parse(&line);
        assert!(p.unknown().len() <= MAX_WORDS && p.errors().len() <= MAX_ERRORS);
        for e in p.errors() {
            assert!(!e.to_string().is_empty());
        }
        for w in p.unknown() {
            assert!(line.contains(w));
            let _ = (p.has_flag(w), p.get(w));
        }
        count += 1;
    }
    assert!(count >= 10, "expected a seed corpus, found {count} files");
}

#[test]
fn console_baud_accepts_the_five_speeds() {
    for baud in CONSOLE_BAUDS {
        let line = format!("console_baud={baud}");
        let p = EarlyParams::parse(&line);
        assert_eq!(p.console_baud, Some(baud), "{line}");
        assert!(p.errors().is_empty() && p.unknown().is_empty(), "{line}");
    }
    // Linux-style numbers: 0x2580 is 9600.
    assert_eq!(EarlyParams::parse("console_baud=0x2580").console_baud, Some(9600));
    assert_eq!(EarlyParams::parse("").console_baud, None);
}

#[test]
fn console_baud_refuses_nonsense_and_keeps_the_last_valid() {
    let cases: [(&str, &str); 7] = [
        ("console_baud=banana", "console_baud=banana: not a number (expected 9600|19200|38400|57600|115200)"),
        ("console_baud=1234", "console_baud=1234: out of range (expected 9600|19200|38400|57600|115200)"),
        ("console_baud=0", "console_baud=0: out of range (expected 9600|19200|38400|57600|115200)"),
        ("console_baud=4800", "console_baud=4800: out of range (expected 9600|19200|38400|57600|115200)"),
        ("console_baud=99999999999", "console_baud=99999999999: out of range (expected 9600|19200|38400|57600|115200)"),
        ("console_baud=9600n8", "console_baud=9600n8: unexpected characters after the number (expected 9600|19200|38400|57600|115200)"),
        ("console_baud", "console_baud: missing value (expected console_baud=9600|19200|38400|57600|115200)"),
    ];
    for (line, message) in cases {
        let p = EarlyParams::parse(line);
        assert_eq!(p.console_baud, None, "{line}");
        assert_eq!(p.errors().len(), 1, "{line}");
        assert_eq!(p.errors()[0].param, Param::ConsoleBaud);
        assert_eq!(p.errors()[0].to_string(), message);
    }
    let p = EarlyParams::parse("console_baud=38400 console_baud=7");
    assert_eq!(p.console_baud, Some(38400));
    assert_eq!(p.occurrences(Param::ConsoleBaud), 2);
    assert_eq!(EarlyParams::parse("console_baud= ").errors()[0].reason, Reason::EmptyValue);
}

#[test]
fn uart_divisors() {
    assert_eq!(
        CONSOLE_BAUDS.map(|b| uart_divisor(b).unwrap()),
        [12, 6, 3, 2, 1]
    );
    assert_eq!(uart_divisor(4800), None);
    assert_eq!(uart_divisor(0), None);
}

// ------------------------------------------------ Linux's forms (issue 13)

#[test]
fn cma_linux_forms() {
    let cma = |s: &str| EarlyParams::parse(s).cma;
    let c = |size, base, limit| Some(CmaParam { size, base, limit });
    assert_eq!(cma("cma=64M@0-512M"), c(64 * M, Some(0), Some(512 * M)));
    assert_eq!(cma("cma=64M@-512M"), c(64 * M, Some(0), Some(512 * M)));
    assert_eq!(cma("cma=64M@256M"), c(64 * M, Some(256 * M), None));
    assert_eq!(cma("cma=64M@256M-320M").unwrap().placement(), Some(CmaPlacement::Fixed(256 * M)));
    assert_eq!(cma("cma=64M@256M").unwrap().placement(), Some(CmaPlacement::Fixed(256 * M)));
    assert_eq!(cma("cma=64M@0-512M").unwrap().placement(), Some(CmaPlacement::Range(0, 512 * M)));
    assert_eq!(cma("cma=64M").unwrap().placement(), None);
    assert_eq!(c(64 * M, Some(0), Some(512 * M)).unwrap().to_string(), "64M@0-512M");
    for (line, reason) in [
        ("cma=64M@0-", Reason::MissingEnd),
        ("cma=64M@512M-256M", Reason::EmptyRange),
        ("cma=64M@512M-512M", Reason::EmptyRange),
        ("cma=64M@0-1x", Reason::UnknownSuffix('x')),
        ("cma=64M@0-512M-1G", Reason::TrailingCharacters),
    ] {
        let p = EarlyParams::parse(line);
        assert_eq!(p.cma, None, "{line}");
        assert_eq!(p.errors()[0].reason, reason, "{line}");
    }
}

#[test]
fn loglevel_as_linux() {
    for (n, want) in [("0", 0), ("7", 7), ("8", 8), ("15", 15), ("255", 255)] {
        assert_eq!(EarlyParams::parse(&format!("loglevel={n}")).loglevel, Some(want));
    }
}

#[test]
fn numa_cma_and_pernuma() {
    let p = EarlyParams::parse("cma_pernuma=16M numa_cma=0:32M,1:16M");
    assert_eq!(p.cma_pernuma, Some(16 * M));
    assert_eq!(p.numa_cma, Some("0:32M,1:16M"));
    assert!(p.unknown().is_empty());
    let bad = EarlyParams::parse("numa_cma=0=32M numa-cma=x:1M cma-pernuma=lots");
    assert_eq!(bad.numa_cma, None);
    assert_eq!(bad.cma_pernuma, None);
    assert_eq!(bad.errors().len(), 3);
    assert_eq!(bad.errors()[0].reason, Reason::BadNodeEntry);
}

#[test]
fn dashes_and_underscores() {
    let p = EarlyParams::parse("console-baud=19200 net-time=3 dma_debug=off iommu-x dma-leak-test");
    assert_eq!(p.console_baud, Some(19200));
    assert_eq!(p.get("net_time"), Some("3"));
    assert_eq!(p.get("dma-debug"), Some("off"));
    assert!(p.has_flag("dma_leak_test"));
    assert!(p.has_flag("iommu_x"));
    assert!(!p.has_flag("iommu"));
    assert!(name_eq("a-b_c", "a_b-c"));
    assert!(!name_eq("ab", "a_b"));
    assert_eq!(Param::from_name("console-baud"), Some(Param::ConsoleBaud));
}

#[test]
fn repeated_kept_words() {
    let p = EarlyParams::parse("net_time=1 test net-time=2 iommu=strict net_time=3");
    assert_eq!(p.get("net_time"), Some("3"));
    assert_eq!(p.repeated_kept().collect::<Vec<_>>(), [("net_time", 3)]);
    assert_eq!(EarlyParams::parse("test test a=1").repeated_kept().count(), 0);
}

#[test]
fn one_shot_runs() {
    assert_eq!(one_shot(&EarlyParams::parse("")), None);
    assert_eq!(one_shot(&EarlyParams::parse("cma=64M loglevel=8 hello=world")), None);
    assert_eq!(one_shot(&EarlyParams::parse("test cma=64M")), Some("test"));
    assert_eq!(one_shot(&EarlyParams::parse("net net_time=2")), Some("net"));
    assert_eq!(one_shot(&EarlyParams::parse("crash=panic")), Some("crash"));
    assert_eq!(one_shot(&EarlyParams::parse("fail_buddy=1")), Some("fail_buddy"));
    assert_eq!(one_shot(&EarlyParams::parse("dma_debug_test=sync")), Some("dma_debug_test"));
    assert_eq!(one_shot(&EarlyParams::parse("disk_test=7 disk_write=9@100+64")), Some("disk_test"));
    assert_eq!(one_shot(&EarlyParams::parse("disk_write=9@100+64")), None);
    // Only the flag itself: a parameter that merely starts like one is not.
    assert_eq!(one_shot(&EarlyParams::parse("net_time=3 tests")), None);
}

#[test]
fn disk_write_regions() {
    let w = |s| DiskWrite::parse(s);
    assert_eq!(w("7@100+64"), Ok(DiskWrite { seed: 7, lba: 100, sectors: 64 }));
    assert_eq!(w("0x5eed@0x1000+010"), Ok(DiskWrite { seed: 0x5eed, lba: 0x1000, sectors: 8 }));
    assert_eq!(w("7"), Err(Reason::MissingBase));
    assert_eq!(w("7@100"), Err(Reason::MissingEnd));
    assert_eq!(w("7x@1+1"), Err(Reason::TrailingCharacters));
    assert_eq!(w("7@1-1"), Err(Reason::TrailingCharacters));
    assert_eq!(w("7@1+1k"), Err(Reason::TrailingCharacters));
    assert_eq!(w("7@1+0"), Err(Reason::OutOfRange));
    assert_eq!(w("7@18446744073709551615+1"), Err(Reason::OutOfRange));
    assert_eq!(w("banana"), Err(Reason::NotANumber));
    assert_eq!(w("7@+1"), Err(Reason::NotANumber));
}
