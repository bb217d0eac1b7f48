//! Finding the command a line names. Command names are one or two words
//! (`meminfo`, `cma alloc`); the command whose name matches the most
//! leading words of the line wins (`cma alloc 16` runs `cma alloc` even
//! when a one-word `cma` exists), and the remaining words are its
//! arguments. The number of arguments is checked against the usage text:
//! each `<arg>` is required, each `[arg]` optional.

use core::fmt;

/// Why a line runs no command.
#[derive(Debug, PartialEq, Eq)]
pub enum DispatchError<'a> {
    /// No command has this name (the line's first word).
    Unknown(&'a str),
    /// The command exists but the argument count does not fit its usage.
    Usage { name: &'a str, usage: &'a str },
}

/// Longest piece of an unknown command's name an error repeats.
const SHOW_MAX: usize = 32;

impl fmt::Display for DispatchError<'_> {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            DispatchError::Unknown(w) => {
                let shown = &w[..w.len().min(SHOW_MAX)];
                let more = if w.len() > SHOW_MAX { "..." } else { "" };
                write!(f, "unknown command '{shown}{more}' (try help)")
            }
            DispatchError::Usage { name, usage } if usage.is_empty() => write!(f, "usage: {name} (no arguments)"),
            DispatchError::Usage { name, usage } => write!(f, "usage: {name} {usage}"),
        }
    }
}

/// How many arguments a usage text allows: (required, at most). Words in
/// `<...>` are required, in `[...]` optional; a usage ending in `...`
/// takes any number more.
pub fn arity(usage: &str) -> (usize, usize) {
    let mut required = 0;
    let mut optional = 0;
    let mut unbounded = false;
    for w in usage.split_ascii_whitespace() {
        if w.starts_with('<') {
            required += 1;
        } else if w.starts_with('[') {
            optional += 1;
        }
        if w.ends_with("...") || w.ends_with("...]") {
            unbounded = true;
        }
    }
    (required, if unbounded { usize::MAX } else { required + optional })
}

/// The command of `table` the words name, and its arguments. `table` is
/// any sequence of commands (the kernel chains several slices); `name` and
/// `usage` read a command's name and usage text.
pub fn dispatch<'t, 'w, T: 't>(
    table: impl IntoIterator<Item = &'t T>,
    name: impl Fn(&T) -> &'t str,
    usage: impl Fn(&T) -> &'t str,
    words: &'w [&'w str],
) -> Result<(&'t T, &'w [&'w str]), DispatchError<'w>>
where
    't: 'w,
{
    let first = words.first().copied().unwrap_or("");
    let mut best: Option<(&T, usize)> = None;
    for cmd in table {
        let n = name(cmd);
        let mut parts = n.split_ascii_whitespace();
        let len = parts.clone().count();
        if len == 0 || len > words.len() || !parts.by_ref().zip(words).all(|(p, w)| p == *w) {
            continue;
        }
        if best.is_none_or(|(_, l)| len > l) {
            best = Some((cmd, len));
        }
    }
    let (cmd, len) = best.ok_or(DispatchError::Unknown(first))?;
    let args = &words[len..];
    let (min, max) = arity(usage(cmd));
    if args.len() < min || args.len() > max {
        return Err(DispatchError::Usage { name: name(cmd), usage: usage(cmd) });
    }
    Ok((cmd, args))
}

#[cfg(test)]
mod tests {
    use super::*;
    extern crate std;
    use std::string::ToString;

    struct Cmd {
        name: &'static str,
        usage: &'static str,
    }
    const TABLE: &[Cmd] = &[
        Cmd { name: "help", usage: "" },
        Cmd { name: "cma", usage: "" },
        Cmd { name: "cma alloc", usage: "<pages>" },
        Cmd { name: "dma alloc", usage: "<size> [dev]" },
        Cmd { name: "log", usage: "<level>" },
        Cmd { name: "echo", usage: "[word...]" },
    ];

    fn find<'w>(words: &'w [&'w str]) -> Result<(&'static str, &'w [&'w str]), DispatchError<'w>> {
        dispatch(TABLE, |c| c.name, |c| c.usage, words).map(|(c, a)| (c.name, a))
    }

    #[test]
    fn longest_name_wins() {
        assert_eq!(find(&["cma"]), Ok(("cma", &[][..])));
        assert_eq!(find(&["cma", "alloc", "16"]), Ok(("cma alloc", &["16"][..])));
        // "cma free" is not a command: the one-word "cma" matches and refuses the argument.
        assert_eq!(find(&["cma", "free", "0x1"]), Err(DispatchError::Usage { name: "cma", usage: "" }));
    }

    #[test]
    fn unknown_commands() {
        assert_eq!(find(&["frobnicate", "1"]), Err(DispatchError::Unknown("frobnicate")));
        // Half of a two-word name is not a command.
        assert_eq!(find(&["dma"]), Err(DispatchError::Unknown("dma")));
        assert_eq!(find(&[]), Err(DispatchError::Unknown("")));
        assert_eq!(find(&["frob"]).unwrap_err().to_string(), "unknown command 'frob' (try help)");
        let long = "x".repeat(300);
        let words = [long.as_str()];
        assert!(find(&words).unwrap_err().to_string().len() < 80);
    }

    #[test]
    fn argument_counts() {
        assert_eq!(arity(""), (0, 0));
        assert_eq!(arity("<size> [dev]"), (1, 2));
        assert_eq!(arity("[word...]"), (0, usize::MAX));
        assert!(find(&["dma", "alloc"]).is_err());
        assert!(find(&["dma", "alloc", "4M"]).is_ok());
        assert!(find(&["dma", "alloc", "4M", "tulip"]).is_ok());
        assert_eq!(
            find(&["dma", "alloc", "4M", "a", "b"]).unwrap_err().to_string(),
            "usage: dma alloc <size> [dev]"
        );
        assert_eq!(find(&["help", "me"]).unwrap_err().to_string(), "usage: help (no arguments)");
        assert_eq!(find(&["echo", "a", "b", "c", "d"]).map(|(_, a)| a.len()), Ok(4));
    }
}
