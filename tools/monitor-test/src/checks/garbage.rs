//! Random input: binary bytes, control characters, escape sequences,
//! 10 KB lines and unknown commands. After each line the monitor must
//! still answer: a marker (an unknown command with a fresh name) must
//! come back as its `unknown command` error followed by the prompt.

use super::Options;
use crate::session::Session;
use splitmix::SplitMix64;

/// One random line (without its Enter).
fn random_line(rng: &mut SplitMix64) -> Vec<u8> {
    let mut v = match rng.below(10) {
        // Binary: any byte.
        0..=2 => {
            let mut b = vec![0u8; 1 + rng.below(300) as usize];
            rng.fill_bytes(&mut b);
            b
        }
        // Control bytes and escape sequences among printable text.
        3..=4 => (0..1 + rng.below(80))
            .map(|_| match rng.below(4) {
                0 => rng.below(0x20) as u8,
                1 => 0x1b,
                2 => b'[',
                _ => b'a' + rng.below(26) as u8,
            })
            .collect(),
        // A long line: 200-10240 bytes.
        5 => vec![b'a' + rng.below(26) as u8; 200 + rng.below(10_041) as usize],
        // Unknown commands and bad arguments.
        _ => {
            let words = ["zz", "memx", "log", "log -1", "log 0x", "heap 1", "help me", "cma", "dma", "9", "__", "buddyinfo 1 2"];
            let mut l = words[rng.below(words.len() as u64) as usize].as_bytes().to_vec();
            l.extend(format!(" {}", rng.next_u64()).bytes());
            l
        }
    };
    // QEMU's stdio multiplexer takes Ctrl-A as its escape key (Ctrl-A X
    // quits): type none.
    for b in v.iter_mut() {
        if *b == 0x01 {
            *b = 0x02;
        }
    }
    v
}

pub fn random_lines(s: &mut Session, o: &Options) -> Result<String, String> {
    let mut rng = SplitMix64::new(o.seed);
    let mut bytes = 0usize;
    for i in 0..o.lines {
        let mut line = random_line(&mut rng);
        bytes += line.len();
        // Enter; then ESC X (ends any escape sequence left open) and Ctrl-C
        // (drops any line left open): a clean line for the marker.
        line.extend_from_slice(b"\r\x1bX\x03");
        let marker = format!("mark{i:04}");
        line.extend_from_slice(format!("{marker}\r").as_bytes());
        s.send(&line)?;
        s.wait_for(&format!("error: unknown command '{marker}' (try help)\n{}", crate::session::PROMPT), std::time::Duration::from_secs(15))
            .map_err(|e| format!("line {i} ({} bytes): the monitor stopped answering: {e}", line.len()))?;
        if (i + 1) % 100 == 0 {
            s.reconcile().map_err(|e| format!("after line {i}: {e}"))?;
        }
    }
    Ok(format!("{} lines, {bytes} bytes, seed {:#x}; the prompt answered after each", o.lines, o.seed))
}
