//! A tiny bit-set type generator for the error sets (no `bitflags` crate:
//! the set of names also drives `Display`).

macro_rules! flag_set {
    (
        $(#[$meta:meta])*
        pub struct $name:ident: $repr:ty {
            $( $(#[$fmeta:meta])* const $flag:ident = $bit:expr, $text:literal; )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, Default, Hash)]
        pub struct $name($repr);

        impl $name {
            $( $(#[$fmeta])* pub const $flag: $name = $name(1 << $bit); )*

            /// Every flag with its name, in bit order.
            pub const ALL: &'static [($name, &'static str)] = &[ $( ($name::$flag, $text), )* ];

            /// No flag set.
            pub const fn empty() -> Self {
                $name(0)
            }

            /// The raw bits.
            pub const fn bits(self) -> $repr {
                self.0
            }

            /// The set from raw bits; bits that name no flag are dropped.
            pub const fn from_bits_truncate(bits: $repr) -> Self {
                let mut all: $repr = 0;
                $( all |= 1 << $bit; )*
                $name(bits & all)
            }

            /// True if no flag is set.
            pub const fn is_empty(self) -> bool {
                self.0 == 0
            }

            /// True if every flag of `other` is set in `self`.
            pub const fn contains(self, other: Self) -> bool {
                self.0 & other.0 == other.0
            }

            /// True if `self` and `other` share a flag.
            pub const fn intersects(self, other: Self) -> bool {
                self.0 & other.0 != 0
            }

            /// The flags of both (`|`, usable in constants).
            pub const fn union(self, other: Self) -> Self {
                Self(self.0 | other.0)
            }

            /// Sets the flags of `other`.
            pub fn insert(&mut self, other: Self) {
                self.0 |= other.0;
            }

            /// Clears the flags of `other`.
            pub fn remove(&mut self, other: Self) {
                self.0 &= !other.0;
            }

            /// Sets `other` if `on`.
            pub fn set(&mut self, other: Self, on: bool) {
                if on {
                    self.insert(other)
                } else {
                    self.remove(other)
                }
            }

            /// The names of the flags set, in bit order.
            pub fn names(self) -> impl Iterator<Item = &'static str> {
                Self::ALL.iter().filter(move |(f, _)| self.contains(*f)).map(|(_, n)| *n)
            }
        }

        impl core::ops::BitOr for $name {
            type Output = $name;
            fn bitor(self, rhs: $name) -> $name {
                $name(self.0 | rhs.0)
            }
        }

        impl core::ops::BitOrAssign for $name {
            fn bitor_assign(&mut self, rhs: $name) {
                self.0 |= rhs.0;
            }
        }

        /// The flag names separated by `|`, or `none`.
        impl core::fmt::Display for $name {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                if self.is_empty() {
                    return f.write_str("none");
                }
                for (i, n) in self.names().enumerate() {
                    if i > 0 {
                        f.write_str("|")?;
                    }
                    f.write_str(n)?;
                }
                Ok(())
            }
        }

        impl core::fmt::Debug for $name {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                write!(f, "{}({})", stringify!($name), self)
            }
        }
    };
}

pub(crate) use flag_set;

/// The names of the bits set in a register value, from a `(bit, name)`
/// table in the table's order, separated by spaces; `empty` when none of
/// the table's bits is set. The one way this crate prints CSR5, CSR6 media
/// and autonegotiation ability bits, each table defined once next to its
/// register.
#[derive(Clone, Copy)]
pub struct BitNames<'a> {
    pub bits: u32,
    pub table: &'a [(u32, &'static str)],
    pub empty: &'static str,
}

impl core::fmt::Display for BitNames<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let mut first = true;
        for &(bit, name) in self.table {
            if self.bits & bit != 0 {
                if !first {
                    f.write_str(" ")?;
                }
                f.write_str(name)?;
                first = false;
            }
        }
        if first {
            f.write_str(self.empty)?;
        }
        Ok(())
    }
}
