//! The `pvm` command-line tool, over the node a validator embeds (`pvm-plugin`).
//!
//! - [`commands`]: the `pvm` binary's commands (clap parsing, text and JSON output).
//! - [`receipt`]: the receipt `pvm run` prints.
//! - [`metrics`]: the Prometheus recorder and the `/metrics` HTTP endpoint.

pub mod commands;
pub mod metrics;
pub mod receipt;
