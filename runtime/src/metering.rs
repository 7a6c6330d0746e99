//! Gas metering inside the interpreter, and the configuration a chain fixes at genesis.
//!
//! The patched interpreter keeps a per-thread gas budget (`rustpython_vm::pvm::gas`)
//! that every metering hook draws from: the per-opcode tick in the dispatch loop
//! (feature `opcode-gas`), or, in [`MeteringMode::Coarse`], a fixed price at every
//! function entry and loop back-edge; plus the charges for bulk work (long copies,
//! scans, big-integer arithmetic, sorting, hashing, formatting) made before the work
//! starts. A [`Session`] installs the chain's prices for one call; [`crate::binding`]
//! keeps the budget in step with the host's gas meter at every host call and at the
//! end of the call, so `gas_used` in the receipt counts everything.
//!
//! Once the budget is spent it stays spent: every later instruction (per-opcode
//! mode), function entry or loop back-edge (coarse mode) and bulk charge raises
//! `pvm_host.OutOfGas` again, so `except BaseException:`, `finally:`, `__exit__`
//! and `__del__` cannot resume useful work, and the receipt says `OutOfGas` with
//! `gas_used == gas_limit`.
//!
//! Memory: every sized allocation a bulk operation makes (strings, bytes, big
//! integers, copied containers, repeated sequences, split parts, padding) is
//! counted against [`RuntimeConfig::memory_limit`] before it is made, and fails
//! with `MemoryError` above it. The count is cumulative over the call and depends
//! only on the program, never on the allocator, so the limit trips at the same
//! operation on every machine; small objects made one per instruction are bounded
//! by gas instead.

use std::sync::Mutex;

use pvm_gas::{GasSchedule, MeteringMode};
use rustpython_vm::pvm::gas::{self, CostTable, Prices};
use thiserror::Error;

/// Default cap on the bytes of sized allocations one call may ask for: 64 MiB.
pub const DEFAULT_MEMORY_LIMIT: u64 = 64 * 1024 * 1024;

/// Whether this build meters every opcode (the `opcode-gas` feature).
pub const OPCODE_METERING_BUILT: bool = gas::ENABLED;

/// What a chain fixes at genesis about executing contracts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuntimeConfig {
    /// Prices of everything.
    pub schedule: GasSchedule,
    /// How instructions are metered.
    pub metering: MeteringMode,
    /// Bytes of sized allocations one call may ask for.
    pub memory_limit: u64,
}

impl Default for RuntimeConfig {
    /// Version 2 prices, per-opcode metering when this build has it (coarse
    /// otherwise), a 64 MiB memory limit.
    fn default() -> Self {
        Self {
            schedule: GasSchedule::CURRENT,
            metering: if OPCODE_METERING_BUILT {
                MeteringMode::Opcode
            } else {
                MeteringMode::Coarse
            },
            memory_limit: DEFAULT_MEMORY_LIMIT,
        }
    }
}

/// A configuration this build cannot honour.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
#[error(
    "metering mode \"{mode}\" is configured, but this build of pvm was compiled without the \
     `opcode-gas` feature and can only meter \"coarse\"; rebuild with `--features opcode-gas` \
     or run a chain whose genesis says \"coarse\""
)]
pub struct UnsupportedMetering {
    /// The mode asked for.
    pub mode: MeteringMode,
}

impl RuntimeConfig {
    /// Checks that this build can execute with this configuration.
    pub fn check_supported(&self) -> Result<(), UnsupportedMetering> {
        match self.metering {
            MeteringMode::Opcode if !OPCODE_METERING_BUILT => Err(UnsupportedMetering {
                mode: self.metering,
            }),
            _ => Ok(()),
        }
    }

    /// The most gas one block may carry with this configuration: a block pays
    /// for compiling a code once (on its first call), so the code must stay
    /// compiled for the rest of the block, and the most source one block can
    /// pay to compile (`block gas / compile_per_byte`) must fit in an
    /// interpreter's code cache ([`crate::CODE_CACHE_BYTES`]). `None` when
    /// compiling is free, which no block gas limit can bound.
    pub fn most_block_gas(&self) -> Option<u64> {
        match self.schedule.compile_per_byte {
            0 => None,
            compile => Some((crate::CODE_CACHE_BYTES as u64).saturating_mul(compile)),
        }
    }

    /// The per-opcode cost table (all zero in coarse mode), shared by every
    /// interpreter with the same prices.
    fn cost_table(&self) -> &'static CostTable {
        static TABLES: Mutex<Vec<([u32; 13], &'static CostTable)>> = Mutex::new(Vec::new());
        let classes = match self.metering {
            MeteringMode::Opcode => self.schedule.opcodes.as_array(),
            MeteringMode::Coarse => [0; 13],
        };
        let mut tables = TABLES.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((_, table)) = tables.iter().find(|(c, _)| *c == classes) {
            return table;
        }
        let table: &'static CostTable = Box::leak(Box::new(gas::cost_table(&classes)));
        tables.push((classes, table));
        table
    }

    /// The interpreter's prices of bulk work for this configuration.
    fn prices(&self) -> Prices {
        let s = &self.schedule;
        let coarse = self.metering == MeteringMode::Coarse;
        Prices {
            per_kib: s.per_kib,
            per_kib_transform: s.per_kib_transform,
            per_element: s.per_element,
            per_iter: s.per_iter,
            per_ref: s.per_ref,
            per_64_word_ops: s.per_64_word_ops,
            coarse_call: if coarse { s.coarse_call } else { 0 },
            coarse_loop: if coarse { s.coarse_loop } else { 0 },
            memory_limit: self.memory_limit,
        }
    }
}

/// The chain's prices installed on this thread for one call; dropping it
/// removes them and closes the budget, so between calls no Python code can
/// run at all (work between calls, like compiling, runs none).
pub struct Session(());

impl Session {
    /// Installs `config`'s prices. The budget itself is set by
    /// [`crate::binding::with_host`] from the host's gas meter.
    pub fn start(config: &RuntimeConfig) -> Self {
        gas::set_costs(config.cost_table());
        gas::set_prices(config.prices());
        SCHEDULE.with(|s| s.borrow_mut().clone_from(&config.schedule));
        Session(())
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        gas::set_costs(&gas::FREE_COST_TABLE);
        gas::set_prices(Prices::FREE);
        gas::close();
    }
}

thread_local! {
    static SCHEDULE: std::cell::RefCell<GasSchedule> = const { std::cell::RefCell::new(GasSchedule::CURRENT) };
}

/// Runs `f` with the schedule of the call in progress on this thread.
pub fn with_schedule<R>(f: impl FnOnce(&GasSchedule) -> R) -> R {
    SCHEDULE.with(|s| f(&s.borrow()))
}

/// Bytes of sized allocations counted so far in the current call.
pub fn memory_used() -> u64 {
    gas::memory_used()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coarse_is_always_supported_opcode_only_when_built() {
        let coarse = RuntimeConfig {
            metering: MeteringMode::Coarse,
            ..RuntimeConfig::default()
        };
        assert_eq!(coarse.check_supported(), Ok(()));
        let opcode = RuntimeConfig {
            metering: MeteringMode::Opcode,
            ..RuntimeConfig::default()
        };
        if OPCODE_METERING_BUILT {
            assert_eq!(opcode.check_supported(), Ok(()));
        } else {
            let err = opcode.check_supported().unwrap_err().to_string();
            assert!(err.contains("opcode-gas"), "{err}");
        }
    }

    #[test]
    fn cost_tables_are_shared_and_zero_in_coarse_mode() {
        let a = RuntimeConfig::default();
        assert!(std::ptr::eq(a.cost_table(), a.cost_table()));
        let coarse = RuntimeConfig {
            metering: MeteringMode::Coarse,
            ..a.clone()
        };
        assert!(coarse.cost_table().iter().all(|c| *c == 0));
        assert_eq!(
            coarse.prices().coarse_loop,
            GasSchedule::CURRENT.coarse_loop
        );
        assert_eq!(
            a.prices().coarse_loop,
            if OPCODE_METERING_BUILT {
                0
            } else {
                a.schedule.coarse_loop
            }
        );
    }
}
