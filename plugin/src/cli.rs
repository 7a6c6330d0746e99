//! The `pvm` binary: `pvm run` executes one contract call locally.
//!
//! Exit codes: 0 when the contract succeeded, 1 when it failed (the receipt
//! says why), 2 for usage or I/O errors.

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use pvm_host::{HostContext, MemoryHost};
use pvm_runtime::{on_interpreter_thread, PvmInterpreter};
use sha2::{Digest, Sha256};

use crate::receipt::Receipt;

/// Exit code for a failed contract.
pub const EXIT_FAILURE: i32 = 1;
/// Exit code for usage and I/O errors.
pub const EXIT_USAGE: i32 = 2;

/// Default gas limit of `pvm run`.
pub const DEFAULT_GAS_LIMIT: u64 = 10_000_000;

#[derive(Parser, Debug)]
#[command(name = "pvm", version, about = "Run Python smart contracts on PVM")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Execute a contract's main(input) once and print the receipt.
    Run(RunArgs),
}

#[derive(clap::Args, Debug)]
struct RunArgs {
    /// Contract source file (Python).
    file: PathBuf,
    /// Input passed to main() as UTF-8 bytes.
    #[arg(long, conflicts_with = "input_hex")]
    input: Option<String>,
    /// Input passed to main() as hex-encoded bytes.
    #[arg(long)]
    input_hex: Option<String>,
    /// Gas limit of the call.
    #[arg(long, default_value_t = DEFAULT_GAS_LIMIT)]
    gas_limit: u64,
    /// Sender address as hex.
    #[arg(long, default_value = "")]
    sender: String,
    /// Block height seen by the contract.
    #[arg(long, default_value_t = 1)]
    height: u64,
    /// Print the receipt as one JSON object.
    #[arg(long)]
    json: bool,
}

/// Runs the CLI with the process arguments; returns the exit code.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_USAGE } else { 0 };
            let _ = e.print();
            return code;
        }
    };
    match cli.command {
        Command::Run(args) => match run(args) {
            Ok(code) => code,
            Err(msg) => {
                eprintln!("pvm: {msg}");
                EXIT_USAGE
            }
        },
    }
}

fn run(args: RunArgs) -> Result<i32, String> {
    let code = std::fs::read(&args.file)
        .map_err(|e| format!("cannot read {}: {e}", args.file.display()))?;
    let input = match (&args.input, &args.input_hex) {
        (Some(t), _) => t.as_bytes().to_vec(),
        (None, Some(h)) => hex::decode(h.trim_start_matches("0x"))
            .map_err(|e| format!("--input-hex is not valid hex: {e}"))?,
        (None, None) => Vec::new(),
    };
    let sender = hex::decode(args.sender.trim_start_matches("0x"))
        .map_err(|e| format!("--sender is not valid hex: {e}"))?;
    let context = HostContext {
        block_height: args.height,
        block_hash: [0; 32],
        tx_hash: local_tx_hash(&code, &input, &sender, args.height),
        sender,
        timestamp_ms: 0,
    };
    let receipt = run_on_vm_thread(code, input, context, args.gas_limit)?;
    if args.json {
        println!("{}", receipt.to_json());
    } else {
        print!("{}", receipt.to_text());
    }
    Ok(if receipt.success() { 0 } else { EXIT_FAILURE })
}

/// The transaction hash `pvm run` gives a local call: a digest of what it runs.
fn local_tx_hash(code: &[u8], input: &[u8], sender: &[u8], height: u64) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"pvm/local-tx/v1");
    for part in [code, input, sender] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part);
    }
    h.update(height.to_be_bytes());
    h.finalize().into()
}

/// Executes on a thread with the interpreter's stack size; state and events
/// of a failed call are dropped with the host.
fn run_on_vm_thread(
    code: Vec<u8>,
    input: Vec<u8>,
    context: HostContext,
    gas_limit: u64,
) -> Result<Receipt, String> {
    on_interpreter_thread(move || {
        let mut vm = PvmInterpreter::new();
        let mut host = MemoryHost::new(context, gas_limit);
        let execution = vm.execute(&mut host, &code, &input);
        let gas_used = host.gas_used();
        let (_state, events) = host.into_parts();
        Receipt::new(execution, gas_used, events)
    })
    .map_err(|e| format!("the interpreter crashed (a bug in pvm): {e}"))
}
