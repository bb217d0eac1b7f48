//! The network services' protocol logic, kept out of the kernel so that it
//! can be tested and fuzzed on the host (`cargo test -p netproto`,
//! `crates/netproto/fuzz`). The kernel (`kernel/src/net/`) is the thin
//! layer that moves bytes between these functions and smoltcp's sockets.
//!
//! * [`http`]: the HTTP/1.1 request parser and [`http::Conn`], one
//!   connection's bounded input and output buffers: requests are parsed one
//!   by one from the input (pipelined bytes are kept), and no request is
//!   parsed while the unsent output could not take its response, so a peer
//!   that does not read stops being read (backpressure). Its buffers are
//!   reserved with `try_reserve_exact` when the connection starts and never
//!   grow.
//! * [`udp`]: what a datagram to the echo port asks for (`STOP`, and
//!   `STALL <ms>` only with debug hooks on).
//! * [`icmp`]: ICMP echo request building and echo reply parsing.
//!
//! No function here panics on any input (the fuzz target checks it).
#![no_std]

extern crate alloc;

pub mod http;
pub mod icmp;
pub mod udp;

#[doc(hidden)]
pub mod fuzzing;

#[cfg(test)]
extern crate std;
