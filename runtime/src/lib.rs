//! The PVM: a sandboxed RustPython interpreter that runs one contract call at a
//! time against a [`pvm_host::HostApi`].
//!
//! - [`interpreter`]: [`PvmInterpreter`], [`execute_tx`], receipts' [`ExecError`].
//! - [`sandbox`]: how the interpreter is built and what it refuses.
//! - [`compile`]: what contract source is refused before it is parsed.
//! - [`host_module`]: the native `pvm_host` module contracts import.
//! - [`binding`]: how a host is lent to the interpreter for one call only.
//! - [`metering`]: gas inside the interpreter and the chain's [`RuntimeConfig`].
//! - [`pool`]: [`InterpreterPool`], warm interpreters on their own threads.
//! - [`pristine`]: how every call leaves the interpreter as it found it.

pub mod binding;
pub mod compile;
pub mod host_module;
pub mod interpreter;
pub mod metering;
pub mod pool;
pub mod pristine;
pub mod sandbox;

pub use interpreter::{
    execute_tx, on_interpreter_thread, CodeCache, Entry, ErrorKind, ExecError, Execution, Poison,
    PvmInterpreter, CODE_CACHE_BYTES,
};
pub use metering::{RuntimeConfig, UnsupportedMetering, OPCODE_METERING_BUILT};
pub use pool::{InterpreterPool, Lease, PoolError};
