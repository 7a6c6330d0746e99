//! The PVM plugin for Alto nodes and the `pvm` command-line tool.
//!
//! - [`receipt`]: what a transaction left behind, and its JSON form.
//! - [`cli`]: the `pvm` binary's commands.

pub mod cli;
pub mod receipt;
