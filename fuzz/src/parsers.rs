//! The operator's files: `pvm.toml` and the gas schedule.
//!
//! A node reads them once at start, so a crash costs less than in a decoder,
//! but a file the parser accepts must be one the node can run with: the checks
//! below call everything the node derives from an accepted file and require
//! the invariants the validation promises.

use pvm_gas::{GasSchedule, HostCall};
use pvm_plugin::config::PvmConfig;

/// Sizes a transaction can make the schedule price: empty, small, the largest
/// code or input, the default memory limit, and past any of those.
const PRICED_SIZES: [usize; 6] = [0, 1, 4096, 64 * 1024, 64 << 20, usize::MAX];

/// `PvmConfig::from_toml` on the bytes as text.
pub fn config_parser(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(config) = PvmConfig::from_toml(text) else {
        return;
    };
    let chain = &config.chain;
    assert!((1..=1024).contains(&config.pool.size));
    assert!(chain.tx_gas_limit >= 1 && chain.tx_gas_limit <= chain.block_gas_limit);
    assert!(chain.max_code_bytes >= 1 && chain.max_block_txs >= 1);
    let tx = config.tx_limits();
    assert_eq!(tx.max_gas_limit, chain.tx_gas_limit);
    let payload = config.payload_limits();
    assert!(
        payload.max_tx_bytes >= chain.max_code_bytes.max(chain.max_input_bytes),
        "a block cannot carry the largest transaction the config allows: {payload:?}"
    );
    // A schedule file is read from disk; only the built-in one is exercised here.
    if chain.gas_schedule.as_os_str().is_empty() {
        let _ = config.runtime();
    }
}

/// `GasSchedule::from_toml` on the bytes as text; an accepted schedule
/// round-trips through `to_toml` and prices every size without panicking.
pub fn gas_schedule_parser(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(schedule) = GasSchedule::from_toml(text) else {
        return;
    };
    let again = GasSchedule::from_toml(&schedule.to_toml())
        .unwrap_or_else(|e| panic!("an accepted schedule does not reload: {e}"));
    assert_eq!(again, schedule);
    let calls = [
        HostCall::GetState,
        HostCall::SetState,
        HostCall::DeleteState,
        HostCall::EmitEvent,
        HostCall::Randomness,
        HostCall::Cheap,
        HostCall::Log,
    ];
    for size in PRICED_SIZES {
        assert!(schedule.intrinsic(size, size) >= schedule.tx_base);
        for call in calls {
            let small = schedule.host_call(call, 0);
            assert!(
                schedule.host_call(call, size) >= small,
                "{call:?} gets cheaper with size"
            );
        }
    }
}
