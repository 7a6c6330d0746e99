//! [`MeteringMode`]: how a chain meters contract execution, fixed at genesis.

use std::{fmt, str::FromStr};

use serde::{Deserialize, Serialize};

/// How instructions are metered. Every validator of a chain must use the same
/// mode, so it is part of the chain's genesis configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MeteringMode {
    /// Every instruction pays its opcode class's price (needs a build with the
    /// `opcode-gas` feature of the patched interpreter).
    Opcode,
    /// Function entries and loop back-edges pay a fixed price; works on every
    /// build, but prices work less finely.
    Coarse,
}

impl MeteringMode {
    /// The name used in configuration files.
    pub fn name(self) -> &'static str {
        match self {
            MeteringMode::Opcode => "opcode",
            MeteringMode::Coarse => "coarse",
        }
    }
}

impl fmt::Display for MeteringMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for MeteringMode {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "opcode" => Ok(MeteringMode::Opcode),
            "coarse" => Ok(MeteringMode::Coarse),
            other => Err(format!(
                "unknown metering mode {other:?} (expected \"opcode\" or \"coarse\")"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for mode in [MeteringMode::Opcode, MeteringMode::Coarse] {
            assert_eq!(mode.name().parse::<MeteringMode>(), Ok(mode));
        }
        assert!("fast".parse::<MeteringMode>().unwrap_err().contains("fast"));
    }
}
