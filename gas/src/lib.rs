//! PVM gas: what each piece of work costs ([`schedule`]) and the counter that
//! enforces a transaction's limit ([`meter`]).

pub mod meter;
pub mod schedule;

pub use meter::{GasMeter, OutOfGas};
pub use schedule::{GasSchedule, HostCall};
