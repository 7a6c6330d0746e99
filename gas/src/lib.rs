//! PVM gas: what each piece of work costs ([`schedule`]), how instructions are
//! metered ([`mode`]) and the counter that enforces a transaction's limit
//! ([`meter`]).

pub mod meter;
pub mod mode;
pub mod schedule;

pub use meter::{GasMeter, OutOfGas};
pub use mode::MeteringMode;
pub use schedule::{GasSchedule, HostCall, OpcodeCosts, ScheduleError};
