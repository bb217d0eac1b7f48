//! Console callbacks through the HWRPB's CRB (console routine block): the
//! firmware's terminal and environment services, callable until the
//! kernel's own drivers take over. SRM implements them all; QEMU's PALcode
//! implements GETC and PUTS (its GET_ENV answers "not supported"), so the
//! same path runs under QEMU. The call itself is `boot/callback.s`.

use core::fmt;

unsafe extern "C" {
    fn alpha_crb_call(dispatch_pd: u64, code: u64, a1: u64, a2: u64, a3: u64, a4: u64) -> u64;
}

/// Function codes (Alpha SRM; Linux's `CCB_*`).
pub mod code {
    pub const GETC: u64 = 0x01;
    pub const PUTS: u64 = 0x02;
    pub const GET_ENV: u64 = 0x22;
}

/// Environment variable IDs for GET_ENV.
pub mod env {
    pub const BOOTED_OSFLAGS: u64 = 0x08;
}

/// What a callback's status bits (63:61) say went wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CallbackError {
    pub function: &'static str,
    pub status: u64,
}

impl fmt::Display for CallbackError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        let what = match self.status >> 61 {
            0b110 => "not supported by this console",
            0b100 => "failed",
            0b111 => "failed (value truncated or device error)",
            _ => "unexpected status",
        };
        write!(f, "console callback {}: {what} (status {:#018x})", self.function, self.status)
    }
}

/// The console's callbacks, from the CRB's dispatch procedure descriptor.
#[derive(Clone, Copy, Debug)]
pub struct ConsoleCallbacks {
    dispatch_pd: u64,
}

impl ConsoleCallbacks {
    /// From the HWRPB; `None` if it has no CRB or no dispatch routine.
    pub fn from_hwrpb(h: &hwrpb::Hwrpb) -> Option<Self> {
        let crb = h.crb()?;
        (crb.dispatch_va != 0).then_some(ConsoleCallbacks { dispatch_pd: crb.dispatch_va })
    }

    fn call(&self, name: &'static str, code: u64, a: [u64; 4]) -> Result<u64, CallbackError> {
        // SAFETY: dispatch_pd is the console's procedure descriptor from a
        // validated HWRPB, mapped by the console's page tables, which the
        // kernel keeps; the arguments follow the SRM definitions.
        let r = unsafe { alpha_crb_call(self.dispatch_pd, code, a[0], a[1], a[2], a[3]) };
        if r >> 63 != 0 { Err(CallbackError { function: name, status: r }) } else { Ok(r) }
    }

    /// PUTS: writes all of `bytes` to console terminal `unit`.
    pub fn puts(&self, unit: u64, bytes: &[u8]) -> Result<usize, CallbackError> {
        let mut done = 0;
        while done < bytes.len() {
            let rest = &bytes[done..];
            let r = self.call("PUTS", code::PUTS, [unit, rest.as_ptr() as u64, rest.len() as u64, 0])?;
            let n = (r & 0xffff_ffff) as usize;
            if n == 0 {
                break;
            }
            done += n.min(rest.len());
        }
        Ok(done)
    }

    /// GETC: one character from terminal `unit`, if one is waiting.
    pub fn getc(&self, unit: u64) -> Result<Option<u8>, CallbackError> {
        let r = self.call("GETC", code::GETC, [unit, 0, 0, 0])?;
        // Status 0b001 in bits 63:61 means "no character"; others carry one.
        Ok(if r >> 61 == 1 { None } else { Some(r as u8) })
    }

    /// GET_ENV: the value of environment variable `id` into `buf`.
    pub fn get_env(&self, id: u64, buf: &mut [u8]) -> Result<usize, CallbackError> {
        let r = self.call("GET_ENV", code::GET_ENV, [id, buf.as_mut_ptr() as u64, buf.len() as u64, 0])?;
        Ok(((r & 0xffff_ffff) as usize).min(buf.len()))
    }
}
