//! Console callbacks through the HWRPB's CRB (console routine block): the
//! firmware's terminal and environment services, callable until the
//! kernel's own drivers take over. SRM implements them all; QEMU's PALcode
//! implements GETC and PUTS (its GET_ENV answers "not supported"), so the
//! same path runs under QEMU. The call itself is `boot/callback.s`.

use core::fmt;

unsafe extern "C" {
    /// `code_argc`: the function code in bits 15:0, the OpenVMS argument
    /// count for `$25` in bits 31:16 (as Linux's callback_srm.S packs them).
    fn alpha_crb_call(dispatch_pd: u64, code_argc: u64, a1: u64, a2: u64, a3: u64, a4: u64) -> u64;
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
            0b011 => "failed with an error (GETC: receive error)",
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

    /// The raw result of callback `code` with `argc` arguments (the code
    /// included, as Linux counts them: PUTS and GET_ENV 4, GETC 2).
    fn raw(&self, code: u64, argc: u64, a: [u64; 4]) -> u64 {
        // SAFETY: dispatch_pd is the console's procedure descriptor from a
        // validated HWRPB, mapped by the console's page tables, which the
        // kernel keeps; the arguments follow the SRM definitions.
        unsafe { alpha_crb_call(self.dispatch_pd, code | argc << 16, a[0], a[1], a[2], a[3]) }
    }

    fn call(&self, name: &'static str, code: u64, a: [u64; 4]) -> Result<u64, CallbackError> {
        let r = self.raw(code, 4, a);
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

    /// GETC's raw result quadword for terminal `unit` (2 arguments, as
    /// Linux's callback_getc passes). SRM returns at once; QEMU's PALcode
    /// waits until a character arrives.
    pub fn getc_raw(&self, unit: u64) -> u64 {
        self.raw(code::GETC, 2, [unit, 0, 0, 0])
    }

    /// GETC: one character from terminal `unit` if one was waiting (status
    /// 0, or 1 with more pending), `None` if none was (status 2), an error
    /// for status 3 (receive error) and 4-7 (see [`hwrpb::callback`]).
    pub fn getc(&self, unit: u64) -> Result<Option<u8>, CallbackError> {
        decode_getc(self.getc_raw(unit))
    }

    /// GET_ENV: the value of environment variable `id` into `buf`.
    pub fn get_env(&self, id: u64, buf: &mut [u8]) -> Result<usize, CallbackError> {
        let r = self.call("GET_ENV", code::GET_ENV, [id, buf.as_mut_ptr() as u64, buf.len() as u64, 0])?;
        Ok(((r & 0xffff_ffff) as usize).min(buf.len()))
    }
}

/// GETC's result as [`ConsoleCallbacks::getc`] returns it.
pub fn decode_getc(r: u64) -> Result<Option<u8>, CallbackError> {
    match hwrpb::callback::Getc::decode(r) {
        hwrpb::callback::Getc::Char { ch, .. } => Ok(Some(ch)),
        hwrpb::callback::Getc::NoChar => Ok(None),
        hwrpb::callback::Getc::Error { .. } => Err(CallbackError { function: "GETC", status: r }),
    }
}
