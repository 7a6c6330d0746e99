//! The gas schedule: every cost is a named constant here, with the per-byte
//! formulas next to them, so a price is changed in exactly one place.
//!
//! Costs are charged *before* the work they pay for (as wasmi charges fuel), so
//! a transaction that cannot pay for a host call does none of it.
//!
//! | what | cost |
//! |---|---|
//! | every transaction | [`TX_BASE`] |
//! | code, per byte (compile or cache lookup) | [`CODE_PER_BYTE`] |
//! | input, per byte | [`INPUT_PER_BYTE`] |
//! | `get_state` | [`GET_STATE_BASE`] + [`STATE_READ_PER_BYTE`] x (key + value) |
//! | `set_state` | [`SET_STATE_BASE`] + [`STATE_WRITE_PER_BYTE`] x (key + value) |
//! | `delete_state` | [`DELETE_STATE_BASE`] + [`STATE_WRITE_PER_BYTE`] x key |
//! | `emit_event` | [`EMIT_EVENT_BASE`] + [`EVENT_PER_BYTE`] x (topic + data) |
//! | `randomness` | [`RANDOMNESS_BASE`] + [`STATE_READ_PER_BYTE`] x domain |
//! | `context`, `gas_left`, `charge_gas` | [`CHEAP_CALL`] |
//! | `print`, per byte logged | [`LOG_PER_BYTE`] |
//!
//! ```
//! use pvm_gas::{GasSchedule, HostCall};
//!
//! let s = GasSchedule::V1;
//! assert_eq!(s.host_call(HostCall::SetState, 10), 5_000 + 10 * 10);
//! ```

/// Charged once per transaction, before anything runs.
pub const TX_BASE: u64 = 1_000;
/// Per byte of contract code handed to the VM.
pub const CODE_PER_BYTE: u64 = 1;
/// Per byte of transaction input.
pub const INPUT_PER_BYTE: u64 = 1;
/// Base cost of `get_state`.
pub const GET_STATE_BASE: u64 = 500;
/// Base cost of `set_state`.
pub const SET_STATE_BASE: u64 = 5_000;
/// Base cost of `delete_state`.
pub const DELETE_STATE_BASE: u64 = 2_500;
/// Base cost of `emit_event`.
pub const EMIT_EVENT_BASE: u64 = 1_000;
/// Base cost of `randomness`.
pub const RANDOMNESS_BASE: u64 = 500;
/// Cost of calls that do constant, trivial work (`context`, `gas_left`, `charge_gas`).
pub const CHEAP_CALL: u64 = 10;
/// Per byte of key or value read from state.
pub const STATE_READ_PER_BYTE: u64 = 2;
/// Per byte of key or value written to state.
pub const STATE_WRITE_PER_BYTE: u64 = 10;
/// Per byte of event topic and data.
pub const EVENT_PER_BYTE: u64 = 8;
/// Per byte written to the debug log by `print`.
pub const LOG_PER_BYTE: u64 = 1;

/// A host call, for pricing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HostCall {
    /// `get_state(key)`; bytes = key + value read.
    GetState,
    /// `set_state(key, value)`; bytes = key + value.
    SetState,
    /// `delete_state(key)`; bytes = key.
    DeleteState,
    /// `emit_event(topic, data)`; bytes = topic + data.
    EmitEvent,
    /// `randomness(domain)`; bytes = domain.
    Randomness,
    /// `context()`, `gas_left()`, `charge_gas(n)`.
    Cheap,
    /// `print(...)`; bytes = text logged.
    Log,
}

/// A versioned table of costs. A chain fixes its version at genesis.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GasSchedule {
    /// Version of the schedule; changes whenever any price changes.
    pub version: u32,
    /// See [`TX_BASE`].
    pub tx_base: u64,
    /// See [`CODE_PER_BYTE`].
    pub code_per_byte: u64,
    /// See [`INPUT_PER_BYTE`].
    pub input_per_byte: u64,
    /// See [`GET_STATE_BASE`].
    pub get_state_base: u64,
    /// See [`SET_STATE_BASE`].
    pub set_state_base: u64,
    /// See [`DELETE_STATE_BASE`].
    pub delete_state_base: u64,
    /// See [`EMIT_EVENT_BASE`].
    pub emit_event_base: u64,
    /// See [`RANDOMNESS_BASE`].
    pub randomness_base: u64,
    /// See [`CHEAP_CALL`].
    pub cheap_call: u64,
    /// See [`STATE_READ_PER_BYTE`].
    pub state_read_per_byte: u64,
    /// See [`STATE_WRITE_PER_BYTE`].
    pub state_write_per_byte: u64,
    /// See [`EVENT_PER_BYTE`].
    pub event_per_byte: u64,
    /// See [`LOG_PER_BYTE`].
    pub log_per_byte: u64,
}

impl GasSchedule {
    /// Version 1: coarse gas, charged per host call and per byte.
    pub const V1: GasSchedule = GasSchedule {
        version: 1,
        tx_base: TX_BASE,
        code_per_byte: CODE_PER_BYTE,
        input_per_byte: INPUT_PER_BYTE,
        get_state_base: GET_STATE_BASE,
        set_state_base: SET_STATE_BASE,
        delete_state_base: DELETE_STATE_BASE,
        emit_event_base: EMIT_EVENT_BASE,
        randomness_base: RANDOMNESS_BASE,
        cheap_call: CHEAP_CALL,
        state_read_per_byte: STATE_READ_PER_BYTE,
        state_write_per_byte: STATE_WRITE_PER_BYTE,
        event_per_byte: EVENT_PER_BYTE,
        log_per_byte: LOG_PER_BYTE,
    };

    /// Gas for starting a transaction with this much code and input.
    pub fn intrinsic(&self, code_len: usize, input_len: usize) -> u64 {
        self.tx_base
            .saturating_add(per_byte(self.code_per_byte, code_len))
            .saturating_add(per_byte(self.input_per_byte, input_len))
    }

    /// Gas for one host call moving `bytes` bytes.
    pub fn host_call(&self, call: HostCall, bytes: usize) -> u64 {
        let (base, rate) = match call {
            HostCall::GetState => (self.get_state_base, self.state_read_per_byte),
            HostCall::SetState => (self.set_state_base, self.state_write_per_byte),
            HostCall::DeleteState => (self.delete_state_base, self.state_write_per_byte),
            HostCall::EmitEvent => (self.emit_event_base, self.event_per_byte),
            HostCall::Randomness => (self.randomness_base, self.state_read_per_byte),
            HostCall::Cheap => (self.cheap_call, 0),
            HostCall::Log => (0, self.log_per_byte),
        };
        base.saturating_add(per_byte(rate, bytes))
    }
}

impl Default for GasSchedule {
    fn default() -> Self {
        Self::V1
    }
}

fn per_byte(rate: u64, bytes: usize) -> u64 {
    rate.saturating_mul(u64::try_from(bytes).unwrap_or(u64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_grow_with_bytes_and_saturate() {
        let s = GasSchedule::V1;
        assert!(s.host_call(HostCall::SetState, 100) > s.host_call(HostCall::SetState, 1));
        assert_eq!(s.host_call(HostCall::Cheap, 1_000), CHEAP_CALL);
        assert_eq!(s.host_call(HostCall::EmitEvent, usize::MAX), u64::MAX);
        assert_eq!(s.intrinsic(10, 5), TX_BASE + 10 + 5);
    }
}
