//! [`GasMeter`]: a transaction's gas limit and what it has used, overflow-safe.
//!
//! Out of gas is final: a charge that does not fit consumes everything left, so
//! `used == limit` afterwards and every later charge fails too.
//!
//! ```
//! use pvm_gas::GasMeter;
//!
//! let mut m = GasMeter::new(100);
//! m.charge(60).unwrap();
//! assert!(m.charge(50).is_err());
//! assert_eq!((m.used(), m.left()), (100, 0));
//! ```

use pvm_host::HostError;

/// A refused charge: how much it asked for and how much was left.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OutOfGas {
    /// Gas the charge asked for.
    pub needed: u64,
    /// Gas left before the charge.
    pub left: u64,
}

impl From<OutOfGas> for HostError {
    fn from(e: OutOfGas) -> Self {
        HostError::OutOfGas {
            needed: e.needed,
            left: e.left,
        }
    }
}

/// Counts gas used against a fixed limit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GasMeter {
    limit: u64,
    used: u64,
}

impl GasMeter {
    /// A meter with nothing used yet.
    pub fn new(limit: u64) -> Self {
        Self { limit, used: 0 }
    }

    /// Consumes `amount`, or everything left and an error if `amount` does not fit.
    pub fn charge(&mut self, amount: u64) -> Result<(), OutOfGas> {
        let left = self.left();
        if amount > left {
            self.used = self.limit;
            return Err(OutOfGas {
                needed: amount,
                left,
            });
        }
        self.used += amount;
        Ok(())
    }

    /// The limit.
    pub fn limit(&self) -> u64 {
        self.limit
    }

    /// Gas used so far (never above the limit).
    pub fn used(&self) -> u64 {
        self.used
    }

    /// Gas still available.
    pub fn left(&self) -> u64 {
        self.limit - self.used
    }

    /// Whether the meter has run dry.
    pub fn exhausted(&self) -> bool {
        self.used == self.limit
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_fit_then_final() {
        let mut m = GasMeter::new(10);
        m.charge(10).unwrap();
        assert!(m.exhausted());
        assert_eq!(m.charge(0), Ok(()));
        assert_eq!(m.charge(1), Err(OutOfGas { needed: 1, left: 0 }));
    }

    #[test]
    fn huge_charge_does_not_overflow() {
        let mut m = GasMeter::new(u64::MAX);
        m.charge(u64::MAX - 1).unwrap();
        assert!(m.charge(u64::MAX).is_err());
        assert_eq!(m.used(), u64::MAX);
    }
}
