//! What a datagram to the UDP echo port asks for. Every datagram is echoed;
//! `STOP` also stops the network loop, and `STALL <ms>` makes the kernel
//! stop polling for that long before echoing (at most [`STALL_MAX_MS`]) —
//! but only with the debug hooks on (`net_debug_hooks`): otherwise any
//! peer could freeze the kernel, and it is echoed like any datagram.

/// The longest stall a `STALL` datagram gets.
pub const STALL_MAX_MS: u64 = 5000;

/// What to do with one datagram (besides echoing it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Command {
    /// Just echo it.
    Echo,
    /// Echo it and stop the network loop.
    Stop,
    /// Stop polling for this many milliseconds, then echo it.
    Stall(u64),
    /// A well-formed `STALL` with the debug hooks off: echo only.
    StallRefused,
}

/// Classifies a datagram's payload. Never panics.
pub fn command(payload: &[u8], debug_hooks: bool) -> Command {
    if payload == b"STOP" {
        return Command::Stop;
    }
    let Some(ms) = payload.strip_prefix(b"STALL ") else { return Command::Echo };
    if ms.is_empty() || ms.len() > 19 || !ms.iter().all(u8::is_ascii_digit) {
        return Command::Echo;
    }
    if !debug_hooks {
        return Command::StallRefused;
    }
    let ms = ms.iter().fold(0u64, |n, &d| n * 10 + u64::from(d - b'0'));
    Command::Stall(ms.min(STALL_MAX_MS))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands() {
        assert_eq!(command(b"STOP", false), Command::Stop);
        assert_eq!(command(b"STOP ", false), Command::Echo);
        assert_eq!(command(b"STALL 500", true), Command::Stall(500));
        assert_eq!(command(b"STALL 99999999999", true), Command::Stall(STALL_MAX_MS));
        assert_eq!(command(b"STALL 9999999999999999999", true), Command::Stall(STALL_MAX_MS));
        assert_eq!(command(b"STALL 99999999999999999999", true), Command::Echo);
        assert_eq!(command(b"STALL 500", false), Command::StallRefused);
        assert_eq!(command(b"STALL +5", true), Command::Echo);
        assert_eq!(command(b"STALL ", true), Command::Echo);
        assert_eq!(command(b"", true), Command::Echo);
        assert_eq!(command(b"hello", true), Command::Echo);
        assert_eq!(command(b"ALLOC 3", true), Command::Echo);
        assert_eq!(command(b"FREE", true), Command::Echo);
    }
}
