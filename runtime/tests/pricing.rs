//! Native work is priced by its size: no clock, only gas.
//!
//! The pricing sweep's catalogue (`pricing/catalogue.txt`, see
//! `pricing/sweep.rs`) lists every method and operator of the types a contract
//! can reach, the allowed modules' callables and the builtins. For each
//! operation whose work grows with its operand, the gas it is charged must
//! grow too: at a payload 1024 times larger (1 MiB against 1 KiB) it must cost
//! at least [`MIN_GROWTH`] times as much. An operation that does O(n) work for
//! O(1) gas costs the same at both sizes and fails, whatever the machine's
//! speed. Gas is read with a host call around each statement, so the
//! numbers are exact and the same on every run.
//!
//! A second test reads every type's and module's `__dict__` inside the
//! interpreter and fails when a callable is in none of the catalogue's rows
//! or skips, so a new method cannot go unpriced unnoticed.

#[path = "pricing/sweep.rs"]
mod sweep;

use pvm_runtime::{on_interpreter_thread, PvmInterpreter};

/// Payload size of the small run.
const SMALL: usize = 1 << 10;

/// Least gas ratio, large over small, for a row whose work grows with the
/// payload, when the large payload is 1024 times the small one. Linear work
/// priced per KiB gives about 100 (the instructions around it cost the same at
/// both sizes); per element, several hundred; unpriced work, 1.
const MIN_GROWTH: u64 = 16;

#[test]
fn every_callable_is_in_the_catalogue() {
    let families = sweep::catalogue();
    let missing = on_interpreter_thread(move || {
        let mut vm = PvmInterpreter::with_config(sweep::sweep_config());
        let found = sweep::enumerate(&mut vm, &families).expect("enumeration runs");
        assert!(found.len() > 1000, "only {} names enumerated", found.len());
        sweep::uncovered(&families, &found)
    })
    .expect("interpreter thread");
    assert!(
        missing.is_empty(),
        "callables with no row and no skip in pricing/catalogue.txt:\n{}",
        missing.join("\n")
    );
}

#[test]
fn gas_grows_with_the_operand() {
    let failures = on_interpreter_thread(|| {
        let mut vm = PvmInterpreter::with_config(sweep::sweep_config());
        let mut failures = Vec::new();
        let mut known = Vec::new();
        for family in sweep::catalogue() {
            let large = *family.sizes.iter().max().expect("a family has sizes");
            let small = SMALL.min(large);
            // Scale the bar to families whose largest payload is smaller.
            let need = (MIN_GROWTH * (large / small) as u64 / 1024).max(4);
            let ones = vec![1; family.rows.len()];
            let at_small =
                sweep::run_family(&mut vm, &family, small, &ones).unwrap_or_else(|e| panic!("{e}"));
            let at_large =
                sweep::run_family(&mut vm, &family, large, &ones).unwrap_or_else(|e| panic!("{e}"));
            for ((row, s), l) in family.rows.iter().zip(&at_small).zip(&at_large) {
                let priced = l.gas >= need.saturating_mul(s.gas.max(1));
                if row.known_gap {
                    // The ~ marks are relative to the chain's default, opcode
                    // metering; with coarse metering a statement carries less
                    // fixed gas, so a row near the bar can cross it.
                    if priced && pvm_runtime::OPCODE_METERING_BUILT {
                        failures.push(format!(
                            "{}: now priced ({} gas at n={small}, {} at n={large}): mark it + instead of ~",
                            sweep::row_label(&family, row),
                            s.gas,
                            l.gas
                        ));
                    } else {
                        known.push(format!(
                            "{}: {} gas at n={small}, {} at n={large}",
                            sweep::row_label(&family, row),
                            s.gas,
                            l.gas
                        ));
                    }
                } else if row.grows && !priced {
                    failures.push(format!(
                        "{}: {} gas at n={small}, {} at n={large} (need x{need}){}",
                        sweep::row_label(&family, row),
                        s.gas,
                        l.gas,
                        l.raised
                            .as_deref()
                            .map(|c| format!(", raises {c}"))
                            .unwrap_or_default()
                    ));
                }
            }
        }
        eprintln!(
            "{} rows marked ~ (known gaps, docs/THREAT-MODEL.md):\n{}",
            known.len(),
            known.join("\n")
        );
        failures
    })
    .expect("interpreter thread");
    assert!(
        failures.is_empty(),
        "{} operations do work that grows with their operand for gas that does not:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
