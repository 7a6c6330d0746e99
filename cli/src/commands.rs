//! The `pvm` binary.
//!
//! | command | what it does |
//! |---|---|
//! | `pvm run <FILE>` | executes a contract's `main(input)` once and prints the receipt; `--state <DIR>` keeps its state between runs |
//! | `pvm tx deploy <FILE>` / `pvm tx call <ADDR>` | prints a signed transaction as hex (a deploy prints the new address on stderr) |
//! | `pvm block <TXFILE>` | executes the file's transactions (one hex per line) as one block |
//! | `pvm receipt <TX_HASH> --state <DIR>` | prints a committed transaction's receipt and block height |
//! | `pvm demo` | deploys the token example and runs signed transfers through the whole node path |
//! | `pvm config check <FILE>` | validates a `pvm.toml` and prints the effective configuration |
//!
//! `pvm block` and `pvm receipt` keep the chain in `--state DIR`; given
//! `--config FILE` without `--state`, in the config's `storage_dir`.
//!
//! Exit codes: 0 success, 1 the contract (or a transaction) failed, 2 usage,
//! I/O, configuration or invalid-block errors, 141 standard output closed
//! early (`pvm … | head`; no panic, no message).

use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
    time::{Duration, Instant},
};

use clap::{Args, Parser, Subcommand};
use commonware_cryptography::{ed25519, Hasher as _, Sha256, Signer as _};
use commonware_runtime::{tokio as cw_tokio, Runner as _, Supervisor as _};
use pvm_chain::{Receipt, TxStatus};
use pvm_host::{Bytes, HostContext, MemoryHost};
use pvm_overlay::{Address, StateKey};
use pvm_runtime::{on_interpreter_thread, PvmInterpreter};
use serde_json::{json, Value};

use pvm_plugin::{
    config::{PvmConfig, MAX_INPUT_BYTES_CAP},
    node::{local_block, NodeError, PvmNode},
    pvm_tx::{self, PVM_TX_KIND},
    tx::{Action, Transaction},
};

use crate::{
    metrics as telemetry,
    receipt::{escaped, printable, RunReceipt},
};

/// `print!` through [`emit`].
macro_rules! out {
    ($($t:tt)*) => { emit(format_args!($($t)*)) };
}

/// `println!` through [`emit`].
macro_rules! outln {
    ($($t:tt)*) => { emit(format_args!("{}\n", format_args!($($t)*))) };
}

/// `eprintln!` through [`emit_err`].
macro_rules! errln {
    ($($t:tt)*) => { emit_err(format_args!("{}\n", format_args!($($t)*))) };
}

/// Exit code when standard output is closed under `pvm` (`pvm … | head`):
/// the status a process killed by `SIGPIPE` has, without the signal.
pub const EXIT_BROKEN_PIPE: i32 = 141;

/// Writes to standard output. A reader that went away ends the process
/// quietly with [`EXIT_BROKEN_PIPE`] instead of a panic; any other write
/// error is reported on standard error.
fn emit(text: std::fmt::Arguments<'_>) {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_fmt(text).and_then(|()| out.flush()) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(EXIT_BROKEN_PIPE);
        }
        errln!("pvm: cannot write to standard output: {e}");
        std::process::exit(EXIT_USAGE);
    }
}

/// Writes to standard error, ignoring a closed one (progress and warnings go
/// there; the work goes on without them).
fn emit_err(text: std::fmt::Arguments<'_>) {
    use std::io::Write as _;
    let _ = std::io::stderr().lock().write_fmt(text);
}

/// Exit code for a failed contract or transaction.
pub const EXIT_FAILURE: i32 = 1;
/// Exit code for usage, I/O, configuration and invalid-block errors.
pub const EXIT_USAGE: i32 = 2;

/// Default gas limit of `pvm run` and of transactions built by `pvm tx`.
pub const DEFAULT_GAS_LIMIT: u64 = 10_000_000;

/// The token contract the demo deploys.
const DEMO_TOKEN: &[u8] = include_bytes!("../../integration/contracts/token.py");

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
    /// Build a signed transaction and print it as hex.
    #[command(subcommand)]
    Tx(TxCommand),
    /// Execute a file of transactions (one hex per line) as one block.
    #[command(
        after_help = "Exit status: 0 when every transaction succeeded; 1 when one or more \
        failed (their failure receipts are committed with the block); 2 when the block was \
        refused (a bad line, an invalid transaction, a limit) and nothing was applied, or on a \
        usage, I/O or configuration error."
    )]
    Block(BlockArgs),
    /// Print the committed receipt of a transaction.
    Receipt(ReceiptArgs),
    /// Print a deployed contract's committed state: every key, or KEY's value.
    State(StateArgs),
    /// Deploy the token example and run signed transfers through the node.
    Demo(DemoArgs),
    /// Node configuration (pvm.toml).
    #[command(subcommand)]
    Config(ConfigCommand),
}

#[derive(Subcommand, Debug)]
enum ConfigCommand {
    /// Validate FILE (including its gas schedule and metering mode) and print
    /// the effective configuration: every key, defaults filled in, relative
    /// paths resolved against FILE's directory.
    Check {
        /// The configuration file (pvm.toml).
        file: PathBuf,
    },
}

#[derive(Args, Debug)]
struct RunArgs {
    /// Contract source file (Python).
    file: PathBuf,
    #[command(flatten)]
    input: InputArgs,
    /// Gas limit of the call (with a chain, of each transaction).
    #[arg(long, default_value_t = DEFAULT_GAS_LIMIT)]
    gas_limit: u64,
    /// Sender the contract sees, as hex (without a chain) [default: the public
    /// key of --key-seed].
    #[arg(long, conflicts_with = "key_seed")]
    sender: Option<String>,
    /// Seed of the test key that sends (and, with a chain, signs) the
    /// transactions [default: 0, as `pvm tx ... --key-seed 0`].
    #[arg(long)]
    key_seed: Option<u64>,
    /// Block height seen by the contract, without a chain (a chain's blocks
    /// come at its next height) [default: 1].
    #[arg(long)]
    height: Option<u64>,
    /// Block timestamp seen by the contract, in milliseconds since the Unix
    /// epoch, without a chain [default: 1704067200000].
    #[arg(long)]
    timestamp_ms: Option<u64>,
    /// Run on the chain kept in this directory, the one `pvm block --state DIR`
    /// uses: the first run of FILE deploys it (its init() gets no input) and
    /// calls main(input) in one block; later runs call that contract.
    #[arg(long)]
    state: Option<PathBuf>,
    /// Node configuration file (pvm.toml): the chain's limits, and its
    /// storage_dir as the default --state.
    #[arg(long)]
    config: Option<PathBuf>,
    /// With a chain: deploy FILE again as a new contract (new address, empty
    /// state), for when its code changed since its first run.
    #[arg(long)]
    redeploy: bool,
    /// Print the receipt as one JSON object.
    #[arg(long)]
    json: bool,
}

#[derive(Subcommand, Debug)]
enum TxCommand {
    /// A transaction deploying FILE (the contract address goes to stderr).
    Deploy {
        /// Contract source file (Python).
        file: PathBuf,
        /// Deploy FILE even though it defines no `main(input)` and no `Actor`
        /// class (every call to it would fail).
        #[arg(long)]
        allow_no_entry: bool,
        #[command(flatten)]
        common: TxArgs,
    },
    /// A transaction calling the contract at ADDR_HEX.
    Call {
        /// The contract's address, 64 hex digits.
        addr_hex: String,
        #[command(flatten)]
        common: TxArgs,
    },
}

#[derive(Args, Debug)]
struct TxArgs {
    /// Seed of the signing key (test keys: anyone knowing the seed can sign).
    #[arg(long)]
    key_seed: u64,
    /// The sender's nonce (its number of earlier transactions).
    #[arg(long)]
    nonce: u64,
    #[command(flatten)]
    input: InputArgs,
    /// Gas limit of the transaction.
    #[arg(long, default_value_t = DEFAULT_GAS_LIMIT)]
    gas_limit: u64,
}

/// The input bytes of a call or deploy, given one way at most (none: empty).
/// A deploy passes them to the contract's `init`, a call to `main`.
#[derive(Args, Debug)]
#[group(multiple = false)]
struct InputArgs {
    /// Input as UTF-8 text.
    #[arg(long)]
    input: Option<String>,
    /// Input as hex-encoded bytes.
    #[arg(long)]
    input_hex: Option<String>,
    /// Input read from a file, byte for byte; `-` reads standard input.
    #[arg(long, value_name = "FILE")]
    input_file: Option<PathBuf>,
}

impl InputArgs {
    /// The input bytes, refused past `max` bytes (`cap` names the limit).
    fn bytes(&self, max: usize, cap: &str) -> Result<Vec<u8>, Failure> {
        let bytes = match (&self.input, &self.input_hex, &self.input_file) {
            (Some(text), _, _) => text.as_bytes().to_vec(),
            (_, Some(h), _) => parse_hex("--input-hex", h)?,
            (_, _, Some(path)) => read_bounded(path, max)?,
            (None, None, None) => Vec::new(),
        };
        if bytes.len() > max {
            return Err(usage(format!(
                "the input is {} bytes, more than {cap} ({max})",
                bytes.len()
            )));
        }
        Ok(bytes)
    }
}

/// Reads at most `max + 1` bytes of `path` (`-`: standard input), so an input
/// over the cap is refused without reading all of it.
fn read_bounded(path: &Path, max: usize) -> Result<Vec<u8>, Failure> {
    use std::io::Read as _;
    let limit = u64::try_from(max).unwrap_or(u64::MAX).saturating_add(1);
    let mut bytes = Vec::new();
    let (read, name) = if path == Path::new("-") {
        let read = std::io::stdin().lock().take(limit).read_to_end(&mut bytes);
        (read, "standard input".to_string())
    } else {
        let read = std::fs::File::open(path).and_then(|f| f.take(limit).read_to_end(&mut bytes));
        (read, path.display().to_string())
    };
    read.map_err(|e| usage(format!("cannot read {name}: {e}")))?;
    Ok(bytes)
}

/// The block timestamp `pvm run` gives a contract unless told otherwise
/// (2024-01-01T00:00:00Z).
pub const DEFAULT_RUN_TIMESTAMP_MS: u64 = 1_704_067_200_000;

/// The sender `pvm run` gives a contract unless told otherwise: the public key
/// of test key seed 0, which `pvm tx ... --key-seed 0` signs with.
pub fn default_run_sender() -> Vec<u8> {
    test_key_sender(0)
}

/// The sender bytes of test key `seed` (the public key `--key-seed` signs with).
fn test_key_sender(seed: u64) -> Vec<u8> {
    ed25519::PrivateKey::from_seed(seed)
        .public_key()
        .as_ref()
        .to_vec()
}

#[derive(Args, Debug)]
struct BlockArgs {
    /// File with one hex-encoded transaction per line (blank lines and # comments skipped).
    txfile: PathBuf,
    /// Chain state directory [default: the config's storage_dir with --config,
    /// else a fresh temporary one].
    #[arg(long)]
    state: Option<PathBuf>,
    /// Node configuration file (pvm.toml); its storage_dir is the default --state.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Print the result as one JSON object.
    #[arg(long)]
    json: bool,
}

/// The existing chain a read-only command opens.
#[derive(Args, Debug)]
struct ChainDirArgs {
    /// Chain state directory [default: the config's storage_dir with --config].
    #[arg(long)]
    state: Option<PathBuf>,
    /// Node configuration file (pvm.toml); its storage_dir is the default --state.
    #[arg(long)]
    config: Option<PathBuf>,
}

impl ChainDirArgs {
    /// The configuration and the directory of the chain, which must exist.
    fn open(&self) -> Result<(PvmConfig, PathBuf), Failure> {
        let config = load_config(self.config.as_deref())?;
        let dir =
            state_dir(self.state.as_deref(), self.config.as_deref(), &config).ok_or_else(|| {
                usage("which chain? give --state DIR, or --config FILE to use its storage_dir")
            })?;
        if !dir.is_dir() {
            return Err(usage(format!("no chain state in {}", dir.display())));
        }
        Ok((config, dir))
    }
}

#[derive(Args, Debug)]
struct ReceiptArgs {
    /// The transaction's hash, 64 hex digits.
    tx_hash: String,
    #[command(flatten)]
    chain: ChainDirArgs,
    /// Print the result as one JSON object.
    #[arg(long)]
    json: bool,
}

#[derive(Args, Debug)]
struct StateArgs {
    /// The contract's address, 64 hex digits.
    addr_hex: String,
    /// One key to print, as UTF-8 text [default: every key of the contract].
    key: Option<String>,
    /// The key as hex-encoded bytes instead.
    #[arg(long, conflicts_with = "key")]
    key_hex: Option<String>,
    #[command(flatten)]
    chain: ChainDirArgs,
    /// Print the result as one JSON object.
    #[arg(long)]
    json: bool,
}

#[derive(Args, Debug)]
struct DemoArgs {
    /// Number of signed token transfers to run.
    #[arg(long, default_value_t = 10_000)]
    txs: u64,
    /// Chain state directory [default: a fresh temporary one; the demo needs a
    /// new chain, so it does not use the config's storage_dir].
    #[arg(long)]
    state: Option<PathBuf>,
    /// Node configuration file (pvm.toml).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Serve Prometheus metrics at IP:PORT (e.g. 127.0.0.1:9100) while running.
    #[arg(long, value_name = "IP:PORT", value_parser = parse_metrics_addr)]
    metrics_addr: Option<SocketAddr>,
    /// Keep serving metrics this many milliseconds after the demo finishes
    /// (so a scrape after the run sees its final numbers).
    #[arg(long, default_value_t = 0)]
    linger_ms: u64,
    /// Print the result as one JSON object.
    #[arg(long)]
    json: bool,
}

/// `--metrics-addr`: a socket address, with a hint when only a port was given.
fn parse_metrics_addr(text: &str) -> Result<SocketAddr, String> {
    text.parse().map_err(|_| match text.parse::<u16>() {
        Ok(port) => format!("give an IP and a port, IP:PORT, e.g. 127.0.0.1:{port}"),
        Err(_) => "expected IP:PORT, e.g. 127.0.0.1:9100".to_owned(),
    })
}

/// A command's failure: what to print on stderr and the exit code.
struct Failure(i32, String);

impl From<NodeError> for Failure {
    fn from(e: NodeError) -> Self {
        Failure(EXIT_USAGE, e.to_string())
    }
}

fn usage(msg: impl Into<String>) -> Failure {
    Failure(EXIT_USAGE, msg.into())
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
    let result = match cli.command {
        Command::Run(args) => run(args),
        Command::Tx(cmd) => tx(cmd),
        Command::Block(args) => block(args),
        Command::Receipt(args) => receipt(args),
        Command::State(args) => state(args),
        Command::Demo(args) => demo(args),
        Command::Config(ConfigCommand::Check { file }) => config_check(&file),
    };
    match result {
        Ok(code) => code,
        Err(Failure(code, msg)) => {
            errln!("pvm: {msg}");
            code
        }
    }
}

fn read_file(path: &Path) -> Result<Vec<u8>, Failure> {
    std::fs::read(path).map_err(|e| usage(format!("cannot read {}: {e}", path.display())))
}

fn parse_hex(what: &str, text: &str) -> Result<Vec<u8>, Failure> {
    hex::decode(text.trim().trim_start_matches("0x"))
        .map_err(|e| usage(format!("{what} is not valid hex: {e}")))
}

/// The chain directory of a command: `--state`, else with `--config` the
/// config's `storage_dir` (already resolved against the file's directory).
fn state_dir(
    state: Option<&Path>,
    config_file: Option<&Path>,
    config: &PvmConfig,
) -> Option<PathBuf> {
    state
        .map(Path::to_owned)
        .or_else(|| config_file.map(|_| config.storage_dir.clone()))
}

fn load_config(path: Option<&Path>) -> Result<PvmConfig, Failure> {
    match path {
        Some(path) => PvmConfig::load(path).map_err(|e| usage(e.to_string())),
        None => Ok(PvmConfig {
            enabled: true,
            ..PvmConfig::default()
        }),
    }
}

// ---- pvm config -------------------------------------------------------------

fn config_check(file: &Path) -> Result<i32, Failure> {
    let config = PvmConfig::load(file).map_err(|e| usage(e.to_string()))?;
    config.runtime().map_err(|e| usage(e.to_string()))?;
    let text = config.to_toml().map_err(|e| usage(e.to_string()))?;
    outln!(
        "# effective configuration of {} (defaults filled in, paths resolved)",
        file.display()
    );
    out!("{text}");
    Ok(0)
}

// ---- pvm run ----------------------------------------------------------------

fn run(args: RunArgs) -> Result<i32, Failure> {
    let config = load_config(args.config.as_deref())?;
    let code = read_file(&args.file)?;
    let input = args.input.bytes(
        config.tx_limits().max_input,
        if args.config.is_some() {
            "the chain's max_input_bytes"
        } else {
            "the default chain's max_input_bytes"
        },
    )?;
    let seed = args.key_seed.unwrap_or(0);
    let receipt = match state_dir(args.state.as_deref(), args.config.as_deref(), &config) {
        None => {
            if args.redeploy {
                return Err(usage("--redeploy needs a chain: give --state DIR"));
            }
            let sender = match &args.sender {
                Some(hex) => parse_hex("--sender", hex)?,
                None => test_key_sender(seed),
            };
            let height = args.height.unwrap_or(1);
            let context = HostContext {
                block_height: height,
                block_hash: [0; 32],
                tx_hash: local_tx_hash(&code, &input, &sender, height),
                sender,
                timestamp_ms: args.timestamp_ms.unwrap_or(DEFAULT_RUN_TIMESTAMP_MS),
            };
            run_in_memory(code, input, context, args.gas_limit)?
        }
        Some(dir) => {
            for (given, flag) in [
                (args.sender.is_some(), "--sender"),
                (args.height.is_some(), "--height"),
                (args.timestamp_ms.is_some(), "--timestamp-ms"),
            ] {
                if given {
                    return Err(usage(format!(
                        "{flag} is for a run without a chain: on a chain the sender is \
                         --key-seed's key and the block comes at the chain's next height"
                    )));
                }
            }
            let chain_run = ChainRun {
                file: &args.file,
                code,
                input,
                key: ed25519::PrivateKey::from_seed(seed),
                gas_limit: args.gas_limit,
                redeploy: args.redeploy,
            };
            run_on_chain(&dir, &config, chain_run)?
        }
    };
    if args.json {
        outln!("{}", receipt.to_json());
    } else {
        out!("{}", receipt.to_text());
    }
    Ok(if receipt.success() { 0 } else { EXIT_FAILURE })
}

/// The transaction hash `pvm run` gives a local call: a digest of what it runs.
fn local_tx_hash(code: &[u8], input: &[u8], sender: &[u8], height: u64) -> [u8; 32] {
    let lens: Vec<[u8; 8]> = [code, input, sender]
        .iter()
        .map(|p| (p.len() as u64).to_be_bytes())
        .collect();
    Sha256::hash(&[
        b"pvm/local-tx/v1",
        &lens[0],
        code,
        &lens[1],
        input,
        &lens[2],
        sender,
        &height.to_be_bytes(),
    ])
    .0
}

/// Executes on a thread with the interpreter's stack size; state and events
/// of a failed call are dropped with the host.
fn run_in_memory(
    code: Vec<u8>,
    input: Vec<u8>,
    context: HostContext,
    gas_limit: u64,
) -> Result<RunReceipt, Failure> {
    on_interpreter_thread(move || {
        let mut vm = PvmInterpreter::new();
        let mut host = MemoryHost::new(context, gas_limit);
        let execution = vm.execute(&mut host, &code, &input);
        let gas_used = host.gas_used();
        let (_state, events) = host.into_parts();
        RunReceipt::new(execution, gas_used, events)
    })
    .map_err(|e| usage(format!("the interpreter crashed (a bug in pvm): {e}")))
}

/// The file in a chain directory where `pvm run` records which contract each
/// source file was deployed as (absolute path to address, JSON).
const RUN_INDEX: &str = "pvm-run-contracts.json";

/// One `pvm run` on a chain.
struct ChainRun<'a> {
    file: &'a Path,
    code: Vec<u8>,
    input: Vec<u8>,
    key: ed25519::PrivateKey,
    gas_limit: u64,
    redeploy: bool,
}

/// Deploys `run.file` on the chain in `dir` unless an earlier run did (then
/// checks the deployed code is still the file's), calls its main(input), and
/// commits the block; the receipt is the call's, or the deploy's if it failed.
fn run_on_chain(dir: &Path, config: &PvmConfig, run: ChainRun<'_>) -> Result<RunReceipt, Failure> {
    create_state_dir(dir)?;
    let file = std::fs::canonicalize(run.file)
        .map_err(|e| usage(format!("cannot read {}: {e}", run.file.display())))?;
    let name = file.display().to_string();
    let index_path = dir.join(RUN_INDEX);
    let mut index: std::collections::BTreeMap<String, String> = match std::fs::read(&index_path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map_err(|e| usage(format!("{} is not valid: {e}", index_path.display())))?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Default::default(),
        Err(e) => return Err(usage(format!("cannot read {}: {e}", index_path.display()))),
    };
    let known: Option<Address> = match index.get(&name) {
        Some(hex) if !run.redeploy => Some(
            parse_hex(RUN_INDEX, hex)?
                .try_into()
                .map_err(|_| usage(format!("{} is not valid", index_path.display())))?,
        ),
        _ => None,
    };
    let shown = run.file.display().to_string();
    let (deployed, receipt) = with_node(Some(dir), config, async |node| {
        let sender = run.key.public_key();
        let mut nonce = pvm_tx::stored_nonce(node.chain().get(&pvm_tx::nonce_key(&sender)))
            .ok_or_else(|| usage("the chain's nonce record is corrupt"))?;
        let mut txs = Vec::new();
        let contract = match known {
            Some(address) => {
                match node.chain().get(&pvm_tx::code_key(&address)) {
                    Some(code) if code == run.code => {}
                    Some(_) => {
                        return Err(usage(format!(
                            "{shown} changed since its first run deployed it at {}; a \
                             contract's code cannot change: pass --redeploy to deploy it as a new \
                             contract (new address, empty state)",
                            hex::encode(address)
                        )))
                    }
                    None => {
                        return Err(usage(format!(
                            "{} records {shown} at {}, which this chain has no contract at; \
                             pass --redeploy to deploy it",
                            index_path.display(),
                            hex::encode(address)
                        )))
                    }
                }
                address
            }
            None => {
                let deploy = Transaction::sign(
                    &run.key,
                    nonce,
                    run.gas_limit,
                    Action::Deploy {
                        code: run.code.clone(),
                        init_input: Vec::new(),
                    },
                );
                nonce += 1;
                txs.push((PVM_TX_KIND, deploy.encode()));
                deploy.deployed_address()
            }
        };
        let call = Transaction::sign(
            &run.key,
            nonce,
            run.gas_limit,
            Action::Call {
                contract,
                input: run.input.clone(),
            },
        );
        txs.push((PVM_TX_KIND, call.encode()));
        let deploying = txs.len() == 2;
        let block = local_block(node.chain().last_committed(), txs);
        let receipts = match node.apply(&block).await {
            Ok((_, receipts)) => receipts,
            Err(NodeError::InvalidBlock { error, .. }) => {
                return Err(usage(format!("{shown}: {error}; nothing was applied")))
            }
            Err(e) => return Err(e.into()),
        };
        let first = &receipts[0];
        if deploying && first.status == TxStatus::Failure {
            return Ok((None, RunReceipt::committed(first)));
        }
        let last = receipts.last().expect("the call's receipt");
        Ok((deploying.then_some(contract), RunReceipt::committed(last)))
    })?;
    if let Some(address) = deployed {
        index.insert(name, hex::encode(address));
        let text = serde_json::to_vec_pretty(&index).expect("index serializes");
        let tmp = dir.join(format!("{RUN_INDEX}.tmp"));
        std::fs::write(&tmp, text)
            .and_then(|()| std::fs::rename(&tmp, &index_path))
            .map_err(|e| usage(format!("cannot write {}: {e}", index_path.display())))?;
        errln!("deployed {shown} at {}", hex::encode(address));
    }
    Ok(receipt)
}

// ---- pvm tx -----------------------------------------------------------------

fn tx(cmd: TxCommand) -> Result<i32, Failure> {
    // Any chain's own cap is checked by its nodes; none takes more than this.
    let (max_input, cap) = (MAX_INPUT_BYTES_CAP, "any chain's max_input_bytes can be");
    let (common, action, address) = match cmd {
        TxCommand::Deploy {
            file,
            allow_no_entry,
            common,
        } => {
            let code = read_file(&file)?;
            let may_run = std::str::from_utf8(&code)
                .map_or(true, pvm_runtime::compile::may_define_entry_point);
            if !may_run && !allow_no_entry {
                return Err(usage(format!(
                    "{} defines no main(input) function and no Actor class, so every call to it \
                     would fail; add one, or pass --allow-no-entry to deploy it anyway",
                    file.display()
                )));
            }
            let action = Action::Deploy {
                code,
                init_input: common.input.bytes(max_input, cap)?,
            };
            (common, action, true)
        }
        TxCommand::Call { addr_hex, common } => {
            let bytes = parse_hex("ADDR_HEX", &addr_hex)?;
            let contract: [u8; 32] = bytes.try_into().map_err(|b: Vec<u8>| {
                usage(format!("ADDR_HEX must be 32 bytes, got {}", b.len()))
            })?;
            let action = Action::Call {
                contract,
                input: common.input.bytes(max_input, cap)?,
            };
            (common, action, false)
        }
    };
    let key = ed25519::PrivateKey::from_seed(common.key_seed);
    let tx = Transaction::sign(&key, common.nonce, common.gas_limit, action);
    outln!("{}", hex::encode(tx.encode()));
    if address {
        errln!("contract address: {}", hex::encode(tx.deployed_address()));
    }
    Ok(0)
}

// ---- pvm block --------------------------------------------------------------

/// Reads a transaction file: `(line number, bytes)` per transaction.
fn read_txfile(path: &Path) -> Result<Vec<(usize, Vec<u8>)>, Failure> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| usage(format!("cannot read {}: {e}", path.display())))?;
    let mut txs = Vec::new();
    for (i, line) in text.lines().enumerate() {
        // Hex has no `#`: everything from one on is a comment.
        let line = line.split('#').next().unwrap_or_default().trim();
        if line.is_empty() {
            continue;
        }
        let bytes = hex::decode(line)
            .map_err(|e| usage(format!("{}:{}: not valid hex: {e}", path.display(), i + 1)))?;
        txs.push((i + 1, bytes));
    }
    Ok(txs)
}

/// Runs `f` with a node on a tokio runtime whose storage is `state` (or a
/// temporary directory removed afterwards).
fn with_node<R: Send + 'static>(
    state: Option<&Path>,
    config: &PvmConfig,
    f: impl AsyncFnOnce(&mut PvmNode<cw_tokio::Context>) -> Result<R, Failure>,
) -> Result<R, Failure> {
    let (dir, temporary) = match state {
        Some(dir) => (dir.to_owned(), false),
        None => (
            std::env::temp_dir().join(format!("pvm-{}-{}", std::process::id(), unique())),
            true,
        ),
    };
    create_state_dir(&dir)?;
    let runner = cw_tokio::Runner::new(cw_tokio::Config::new().with_storage_directory(&dir));
    let result = runner.start(|context| async move {
        let mut node = PvmNode::open(context.child("pvm"), config, "pvm").await?;
        let out = f(&mut node).await;
        node.close().await?;
        out
    });
    if temporary {
        let _ = std::fs::remove_dir_all(&dir);
    }
    result
}

/// Creates a chain state directory (and its parents) unless it exists.
fn create_state_dir(dir: &Path) -> Result<(), Failure> {
    if dir.exists() && !dir.is_dir() {
        return Err(usage(format!(
            "--state {} is not a directory: give a directory for the chain state",
            dir.display()
        )));
    }
    std::fs::create_dir_all(dir).map_err(|e| usage(format!("cannot create {}: {e}", dir.display())))
}

fn unique() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos())
}

fn block(args: BlockArgs) -> Result<i32, Failure> {
    let config = load_config(args.config.as_deref())?;
    let lines = read_txfile(&args.txfile)?;
    let numbers: Vec<usize> = lines.iter().map(|(n, _)| *n).collect();
    let txs: Vec<(u8, Vec<u8>)> = lines.into_iter().map(|(_, b)| (PVM_TX_KIND, b)).collect();
    let file = args.txfile.display().to_string();
    let state = state_dir(args.state.as_deref(), args.config.as_deref(), &config);
    let (height, root, receipts) = with_node(state.as_deref(), &config, async |node| {
        let block = local_block(node.chain().last_committed(), txs);
        match node.apply(&block).await {
            Ok((info, receipts)) => Ok((info.height, info.state_root, receipts)),
            Err(NodeError::InvalidBlock { error, .. }) => {
                Err(usage(name_line(&file, &numbers, &error)))
            }
            Err(e) => Err(e.into()),
        }
    })?;
    let failed = receipts
        .iter()
        .filter(|r| r.status == TxStatus::Failure)
        .count();
    if args.json {
        let value = json!({
            "height": height,
            "state_root": hex::encode(root),
            "receipts": receipts.iter().map(receipt_json).collect::<Vec<_>>(),
        });
        outln!("{value}");
    } else {
        outln!(
            "block {height}: {} transactions, {failed} failed",
            receipts.len()
        );
        outln!("state root: {}", hex::encode(root));
        for r in &receipts {
            let status = match &r.error {
                None => "success".to_owned(),
                Some(e) => format!("failure ({}: {})", e.kind, escaped(&e.message)),
            };
            outln!(
                "  {} gas {:>9}  {status}",
                hex::encode(r.tx_hash),
                r.gas_used
            );
            for log in &r.logs {
                outln!("    log: {}", escaped(log));
            }
            if r.truncated.logs {
                outln!("    (logs cut at the chain's limit)");
            }
        }
    }
    Ok(if failed == 0 { 0 } else { EXIT_FAILURE })
}

/// An invalid-block error with the transaction index replaced by its file line.
fn name_line(file: &str, numbers: &[usize], error: &pvm_plugin::executor::BlockError) -> String {
    use pvm_plugin::{executor::BlockError, payload::PayloadError};
    match error {
        BlockError::Payload(PayloadError::TxTooLarge { index, len, limit }) => {
            match numbers.get(*index) {
                Some(line) => format!(
                    "{file}:{line}: transaction of {len} bytes, more than the limit of {limit} \
                     (the chain's max_code_bytes + max_input_bytes + the envelope); nothing was applied"
                ),
                None => format!("{error}; nothing was applied"),
            }
        }
        BlockError::InvalidTx { index, reason } => match numbers.get(*index) {
            Some(line) => {
                format!("{file}:{line}: invalid transaction: {reason}; nothing was applied")
            }
            None => format!("{error}; nothing was applied"),
        },
        other => format!("{other}; nothing was applied"),
    }
}

/// A committed receipt as JSON.
pub fn receipt_json(r: &Receipt) -> Value {
    json!({
        "tx_hash": hex::encode(r.tx_hash),
        "status": match r.status { TxStatus::Success => "success", TxStatus::Failure => "failure" },
        "gas_used": r.gas_used,
        "output_hex": hex::encode(&r.output),
        "events": r.events.iter().map(|e| json!({
            "contract": hex::encode(e.contract),
            "topic": e.topic,
            "data_hex": hex::encode(&e.data),
        })).collect::<Vec<_>>(),
        "error": r.error.as_ref().map(|e| json!({
            "kind": e.kind,
            "message": e.message,
            "line": e.line,
        })),
        "logs": r.logs,
        "truncated": {"error": r.truncated.error, "logs": r.truncated.logs},
    })
}

// ---- pvm receipt ------------------------------------------------------------

fn receipt(args: ReceiptArgs) -> Result<i32, Failure> {
    let (config, state) = args.chain.open()?;
    let hash: [u8; 32] = parse_hex("TX_HASH", &args.tx_hash)?
        .try_into()
        .map_err(|b: Vec<u8>| usage(format!("TX_HASH must be 32 bytes, got {}", b.len())))?;
    let found = with_node(Some(&state), &config, async |node| {
        node.chain()
            .receipt(&hash)
            .await
            .map_err(|e| usage(e.to_string()))
    })?;
    let Some((height, r)) = found else {
        return Err(Failure(
            EXIT_FAILURE,
            format!("no committed transaction {}", hex::encode(hash)),
        ));
    };
    if args.json {
        outln!("{}", json!({"height": height, "receipt": receipt_json(&r)}));
    } else {
        outln!("block {height}");
        outln!(
            "{}",
            serde_json::to_string_pretty(&receipt_json(&r)).unwrap_or_default()
        );
    }
    Ok(0)
}

// ---- pvm state --------------------------------------------------------------

fn state(args: StateArgs) -> Result<i32, Failure> {
    let (config, dir) = args.chain.open()?;
    let contract: Address = parse_hex("ADDR_HEX", &args.addr_hex)?
        .try_into()
        .map_err(|b: Vec<u8>| usage(format!("ADDR_HEX must be 32 bytes, got {}", b.len())))?;
    let key = match (&args.key, &args.key_hex) {
        (Some(text), _) => Some(text.as_bytes().to_vec()),
        (_, Some(h)) => Some(parse_hex("--key-hex", h)?),
        (None, None) => None,
    };
    let entries = with_node(Some(&dir), &config, async |node| {
        let chain = node.chain();
        if chain.get(&pvm_tx::code_key(&contract)).is_none() {
            return Err(Failure(
                EXIT_FAILURE,
                format!("no contract at {} on this chain", hex::encode(contract)),
            ));
        }
        Ok(match &key {
            Some(k) => vec![(k.clone(), chain.get(&StateKey::new(contract, k.clone())))],
            None => chain
                .committed_state()
                .into_iter()
                .filter(|(k, _)| k.namespace == contract)
                .map(|(k, v)| (k.key, Some(v)))
                .collect(),
        })
    })?;
    if args.json {
        let list: Vec<Value> = entries
            .iter()
            .map(|(k, v)| json!({"key_hex": hex::encode(k), "value_hex": v.as_ref().map(hex::encode)}))
            .collect();
        outln!(
            "{}",
            json!({"contract": hex::encode(contract), "entries": list})
        );
    } else if key.is_none() && entries.is_empty() {
        outln!("(no state)");
    } else {
        for (k, v) in &entries {
            let value = v
                .as_deref()
                .map_or_else(|| "(not set)".to_owned(), printable);
            outln!("{} = {value}", printable(k));
        }
    }
    let missing = key.is_some() && entries.iter().any(|(_, v)| v.is_none());
    Ok(if missing { EXIT_FAILURE } else { 0 })
}

// ---- pvm demo ---------------------------------------------------------------

/// Gas limit of a demo transfer that is not its block's first.
pub const DEMO_TRANSFER_GAS: u64 = 200_000;

/// Gas limit of the first demo transfer of each block: the token contract's
/// first call in a block also pays for compiling it (about 600 gas per byte).
pub const DEMO_FIRST_TRANSFER_GAS: u64 = 2_000_000;

/// Gas limit of the demo transfer at `position` (from 0) in its block.
pub fn demo_transfer_gas(position: u64) -> u64 {
    if position == 0 {
        DEMO_FIRST_TRANSFER_GAS
    } else {
        DEMO_TRANSFER_GAS
    }
}

/// The demo's `nonce`-th transaction: `owner` sends one token of the token
/// contract at `token` to an address derived from `nonce`, asking for `gas_limit`.
pub fn demo_transfer(
    owner: &ed25519::PrivateKey,
    token: Address,
    nonce: u64,
    gas_limit: u64,
) -> Transaction {
    let to = Sha256::hash(&[&nonce.to_be_bytes()]).0;
    Transaction::sign(
        owner,
        nonce,
        gas_limit,
        Action::Call {
            contract: token,
            input: format!("transfer {} 1", hex::encode(&to[..8])).into_bytes(),
        },
    )
}

/// Sizes of the blocks `count` transfers are cut into, as a proposer would:
/// at most `max_txs` each, gas limits summing to at most `max_gas`, each
/// block's first transfer asking for `first_gas` and the others for `gas` (a
/// first transfer asking for more than `max_gas` alone still gets a block,
/// which the executor then refuses with the limit named).
fn block_sizes(count: u64, max_txs: usize, max_gas: u64, first_gas: u64, gas: u64) -> Vec<u64> {
    let mut sizes = Vec::new();
    let (mut current, mut used) = (0u64, 0u64);
    for _ in 0..count {
        let full = current as usize >= max_txs.max(1) || used.saturating_add(gas) > max_gas;
        if current > 0 && full {
            sizes.push(current);
            current = 0;
        }
        used = if current == 0 {
            first_gas
        } else {
            used.saturating_add(gas)
        };
        current += 1;
    }
    if current > 0 {
        sizes.push(current);
    }
    sizes
}

fn demo(args: DemoArgs) -> Result<i32, Failure> {
    let config = load_config(args.config.as_deref())?;
    let chain = &config.chain;
    if DEMO_FIRST_TRANSFER_GAS > chain.tx_gas_limit {
        return Err(usage(format!(
            "a block's first demo transfer asks for {DEMO_FIRST_TRANSFER_GAS} gas, more than \
             chain.tx_gas_limit ({})",
            chain.tx_gas_limit
        )));
    }
    if let Some(addr) = args.metrics_addr {
        let bound = telemetry::serve(addr).map_err(|e| usage(e.to_string()))?;
        errln!("serving metrics at http://{bound}/metrics");
    } else {
        telemetry::install().map_err(|e| usage(e.to_string()))?;
    }
    let owner = ed25519::PrivateKey::from_seed(1);
    let deploy = Transaction::sign(
        &owner,
        0,
        DEFAULT_GAS_LIMIT.min(chain.tx_gas_limit),
        Action::Deploy {
            code: DEMO_TOKEN.to_vec(),
            init_input: Vec::new(),
        },
    );
    let token = deploy.deployed_address();
    // Sign before timing: the figure is the node's, not the wallet's. Blocks are
    // cut by the chain's transaction count and gas limits, as a proposer would.
    let mut nonce = 0u64;
    let transfers: Vec<Vec<(u8, Bytes)>> = block_sizes(
        args.txs,
        chain.max_block_txs,
        chain.block_gas_limit,
        DEMO_FIRST_TRANSFER_GAS,
        DEMO_TRANSFER_GAS,
    )
    .into_iter()
    .map(|size| {
        (0..size)
            .map(|i| {
                nonce += 1;
                let tx = demo_transfer(&owner, token, nonce, demo_transfer_gas(i));
                (PVM_TX_KIND, tx.encode())
            })
            .collect()
    })
    .collect();
    let blocks = transfers.len();
    let json_out = args.json;
    let summary = with_node(args.state.as_deref(), &config, async |node| {
        if let Some(tip) = node.chain().last_committed() {
            let dir = args.state.as_deref().unwrap_or(Path::new("")).display();
            return Err(usage(format!(
                "pvm demo needs a fresh chain, and {dir} already holds one (height {}): \
                 give a new --state directory, or none for a temporary one",
                tip.height
            )));
        }
        let first = local_block(
            node.chain().last_committed(),
            vec![(PVM_TX_KIND, deploy.encode())],
        );
        let (deployed, receipts) = node.apply(&first).await?;
        if receipts[0].status != TxStatus::Success {
            return Err(usage(format!(
                "deploying the token failed: {:?}",
                receipts[0].error
            )));
        }
        if !json_out {
            outln!("deployed the token contract at {}", hex::encode(token));
        }
        let start = Instant::now();
        let (mut succeeded, mut failed, mut gas) = (0u64, 0u64, 0u64);
        let mut root = deployed.state_root;
        let mut done = 0u64;
        for txs in transfers {
            done += txs.len() as u64;
            let block = local_block(node.chain().last_committed(), txs);
            let (info, receipts) = node.apply(&block).await?;
            root = info.state_root;
            if blocks > 1 {
                errln!("block {}: {done}/{} transfers", info.height, args.txs);
            }
            for r in &receipts {
                gas += r.gas_used;
                match r.status {
                    TxStatus::Success => succeeded += 1,
                    TxStatus::Failure => failed += 1,
                }
            }
        }
        let elapsed = start.elapsed();
        Ok((succeeded, failed, gas, root, elapsed))
    })?;
    let (succeeded, failed, gas, root, elapsed) = summary;
    let tx_per_s = if elapsed.is_zero() {
        0.0
    } else {
        args.txs as f64 / elapsed.as_secs_f64()
    };
    if args.json {
        outln!(
            "{}",
            json!({
                "txs": args.txs,
                "blocks": blocks,
                "succeeded": succeeded,
                "failed": failed,
                "gas_used": gas,
                "state_root": hex::encode(root),
                "tx_per_s": (tx_per_s * 10.0).round() / 10.0,
            })
        );
    } else {
        outln!(
            "{} transfers: {succeeded} succeeded, {failed} failed",
            args.txs
        );
        outln!("gas used:   {gas}");
        outln!("state root: {}", hex::encode(root));
        outln!(
            "throughput: {tx_per_s:.0} tx/s ({:.3} s, signature checks, execution and commit)",
            elapsed.as_secs_f64()
        );
    }
    if args.linger_ms > 0 {
        std::thread::sleep(Duration::from_millis(args.linger_ms));
    }
    Ok(if failed == 0 { 0 } else { EXIT_FAILURE })
}

#[cfg(test)]
mod tests {
    use super::block_sizes;

    #[test]
    fn demo_blocks_are_cut_by_count_and_by_gas_with_a_dearer_first_transfer() {
        assert_eq!(block_sizes(5, 2, 1_000, 500, 100), vec![2, 2, 1]);
        // 500 + 100 + 100 fills 700; the fourth starts a block at 500 again.
        assert_eq!(block_sizes(5, 100, 700, 500, 100), vec![3, 2]);
        // A first transfer over the block limit still gets a block of its own.
        assert_eq!(block_sizes(2, 100, 400, 500, 100), vec![1, 1]);
        assert!(block_sizes(0, 10, 1_000, 500, 100).is_empty());
    }
}
