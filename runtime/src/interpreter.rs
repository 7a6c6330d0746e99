//! [`PvmInterpreter`]: one hardened interpreter that executes contract calls.
//!
//! A call ([`PvmInterpreter::execute`]) charges the intrinsic gas, charges and
//! compiles the contract (compiled code is cached by the SHA-256 of its source,
//! see [`CodeCache`]; compiling is charged once per code per block, see
//! [`PvmInterpreter::begin_block`]), runs the module in a fresh globals dict, calls
//! `main(input: bytes)`, converts the result (`bytes`, `str` as UTF-8, or
//! `None`) to output bytes and leaves the interpreter as it found it
//! ([`crate::pristine`]).
//!
//! A panic anywhere under a call (the interpreter, `pvm_host`, the host, our
//! patch) becomes a failure of kind `Internal`; every piece of per-thread
//! state the call touched is reset, the interpreter is marked poisoned and is
//! rebuilt before it serves again, so the next call succeeds as on a new one.
//! Outside a call the interpreter's gas budget is closed, so no Python code
//! (a `__del__` run while an interpreter is dropped, say) can ever run
//! unmetered.
//!
//! ```
//! use pvm_host::{HostContext, MemoryHost};
//! use pvm_runtime::PvmInterpreter;
//!
//! let mut vm = PvmInterpreter::new();
//! let mut host = MemoryHost::new(HostContext::default(), 1_000_000);
//! let code = b"def main(input):\n    return input.upper()\n";
//! let out = vm.execute(&mut host, code, b"hi").result.unwrap();
//! assert_eq!(out, b"HI");
//! ```

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::panic::{self, AssertUnwindSafe};
use std::rc::Rc;

use pvm_host::{Bytes, HostApi, HostError, HostErrorKind};
use rustpython_vm::builtins::{PyBaseExceptionRef, PyBytes, PyCode, PyStr};
use rustpython_vm::compiler::Mode;
use rustpython_vm::scope::Scope;
use rustpython_vm::{AsObject, Interpreter, PyObjectRef, PyRef, VirtualMachine};
use sha2::{Digest, Sha256};

use crate::binding::{self, CallRecord};
use crate::host_module::HostExceptions;
use crate::metering::{RuntimeConfig, Session};
use crate::pristine::{self, Dirty, Pristine};
use crate::sandbox;

/// File name contract code is compiled under; traceback lines in it are the contract's.
pub const CONTRACT_FILENAME: &str = "<contract>";

/// Bytes of contract source whose compiled form one interpreter keeps.
pub const CODE_CACHE_BYTES: usize = 16 * 1024 * 1024;

/// Compiled contracts by the SHA-256 of their source, least recently used
/// evicted first once they hold more than [`CODE_CACHE_BYTES`] of source.
///
/// Whether a contract is cached changes only how long a call takes, never
/// its gas. Compiling is priced by source size ([`pvm_gas::GasSchedule::compile`])
/// on a code's first call in a block and on every call outside a block, hit or
/// miss; later calls in the block pay the lookup only, and find the code here:
/// a block cannot pay to compile more than this cache holds (the node's config
/// refuses a block gas limit that could), so nothing a block paid to compile is
/// evicted before the block ends. Evicting others' contracts therefore costs an
/// attacker what recompiling them costs the node.
pub struct CodeCache {
    entries: HashMap<[u8; 32], CacheEntry>,
    bytes: usize,
    clock: u64,
}

struct CacheEntry {
    code: PyRef<PyCode>,
    len: usize,
    used: u64,
}

impl CodeCache {
    fn new() -> Self {
        Self {
            entries: HashMap::new(),
            bytes: 0,
            clock: 0,
        }
    }

    fn get(&mut self, hash: &[u8; 32]) -> Option<PyRef<PyCode>> {
        self.clock += 1;
        let entry = self.entries.get_mut(hash)?;
        entry.used = self.clock;
        Some(entry.code.clone())
    }

    fn insert(&mut self, hash: [u8; 32], code: PyRef<PyCode>, len: usize) {
        while self.bytes + len > CODE_CACHE_BYTES && !self.entries.is_empty() {
            let oldest = *self
                .entries
                .iter()
                .min_by_key(|(_, e)| e.used)
                .map(|(h, _)| h)
                .expect("not empty");
            if let Some(e) = self.entries.remove(&oldest) {
                self.bytes -= e.len;
            }
        }
        self.clock += 1;
        self.bytes += len;
        self.entries.insert(
            hash,
            CacheEntry {
                code,
                len,
                used: self.clock,
            },
        );
    }

    /// Contracts cached.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Bytes of source cached.
    pub fn bytes(&self) -> usize {
        self.bytes
    }
}

/// Why a call failed, as named in receipts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// A host error ended the call.
    Host(HostErrorKind),
    /// An uncaught Python exception (the message starts with its class).
    Exception,
    /// The contract does not compile.
    SyntaxError,
}

impl ErrorKind {
    /// The name written in receipts: the `HostError` name, `Exception` or `SyntaxError`.
    pub fn name(self) -> &'static str {
        match self {
            ErrorKind::Host(k) => k.name(),
            ErrorKind::Exception => "Exception",
            ErrorKind::SyntaxError => "SyntaxError",
        }
    }
}

/// A failed call: what kind of failure, its message and the contract line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExecError {
    /// Kind of failure.
    pub kind: ErrorKind,
    /// Human-readable message; for exceptions, `"Class: text"`.
    pub message: String,
    /// Line of the contract where it happened, when known.
    pub line: Option<u32>,
}

impl fmt::Display for ExecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{} at line {}: {}", self.kind.name(), line, self.message),
            None => write!(f, "{}: {}", self.kind.name(), self.message),
        }
    }
}

impl std::error::Error for ExecError {}

impl ExecError {
    fn host(e: HostError) -> Self {
        ExecError {
            kind: ErrorKind::Host(e.kind()),
            message: e.to_string(),
            line: None,
        }
    }
}

/// Which function of a contract a call runs after executing the module.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Entry {
    /// `main(input)`: every call; the contract must define it.
    Main,
    /// `init(input)`: once, when the contract is deployed; optional.
    Init,
}

impl Entry {
    /// The function's name.
    pub fn name(self) -> &'static str {
        match self {
            Entry::Main => "main",
            Entry::Init => "init",
        }
    }
}

/// The result of one call and its debug log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Execution {
    /// Output bytes, or why the call failed.
    pub result: Result<Bytes, ExecError>,
    /// Lines the contract printed.
    pub logs: Vec<String>,
}

/// A hardened RustPython interpreter executing contract calls one at a time.
///
/// Not `Send`: it lives on the thread that created it, which needs a stack of
/// [`sandbox::STACK_SIZE`] bytes for deep recursion to end in `RecursionError`.
pub struct PvmInterpreter {
    interp: Interpreter,
    pristine: Rc<Pristine>,
    code_cache: CodeCache,
    /// Codes compiled and paid for in the current block; `None` outside a block.
    block_compiled: Option<HashSet<[u8; 32]>>,
    config: RuntimeConfig,
    calls: u64,
    poisoned: Option<Poison>,
}

/// Why an interpreter was poisoned (it is rebuilt before its next call).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Poison {
    /// A call panicked.
    Panicked,
    /// A call left something behind ([`crate::pristine`]).
    Dirty(Dirty),
}

impl Default for PvmInterpreter {
    fn default() -> Self {
        Self::new()
    }
}

impl PvmInterpreter {
    /// Builds and hardens a new interpreter (a few milliseconds) with the
    /// default configuration ([`RuntimeConfig::default`]).
    pub fn new() -> Self {
        Self::with_config(RuntimeConfig::default())
    }

    /// Builds and hardens a new interpreter that executes under `config`.
    ///
    /// Callers that take `config` from outside should first check it with
    /// [`RuntimeConfig::check_supported`]; an unsupported mode meters coarsely.
    pub fn with_config(config: RuntimeConfig) -> Self {
        // Building runs no contract code; the budget is opened for it and
        // closed again, so nothing can run between calls.
        rustpython_vm::pvm::gas::set_budget(i64::MAX);
        let interp = sandbox::new_interpreter();
        let pristine = interp.enter(|vm| {
            let allowed = sandbox::harden(vm).unwrap_or_else(|exc| {
                panic!(
                    "hardening the interpreter failed: {}",
                    exception_to_error(vm, &exc).message
                )
            });
            let dicts = std::iter::once(vm.builtins.dict())
                .chain(allowed.modules.iter().map(|(_, m)| m.dict()));
            Pristine::capture(dicts)
        });
        rustpython_vm::pvm::gas::close();
        Self {
            interp,
            pristine: Rc::new(pristine),
            code_cache: CodeCache::new(),
            block_compiled: None,
            config,
            calls: 0,
            poisoned: None,
        }
    }

    /// The configuration this interpreter executes under.
    pub fn config(&self) -> &RuntimeConfig {
        &self.config
    }

    /// Calls served so far.
    pub fn calls(&self) -> u64 {
        self.calls
    }

    /// Whether a panic inside the interpreter, or a call that left something
    /// behind, has made it unusable; the next call rebuilds it.
    pub fn is_poisoned(&self) -> bool {
        self.poisoned.is_some()
    }

    /// Why the interpreter is poisoned, if it is.
    pub fn poison(&self) -> Option<&Poison> {
        self.poisoned.as_ref()
    }

    /// The compiled contracts this interpreter keeps.
    pub fn code_cache(&self) -> &CodeCache {
        &self.code_cache
    }

    /// Starts a block: from now until [`PvmInterpreter::end_block`], a code
    /// pays for compiling on its first call only, later calls pay the cache
    /// lookup. Gas therefore depends on the block's transactions and their
    /// order, never on what this interpreter ran before. Starting a block ends
    /// any block left open.
    pub fn begin_block(&mut self) {
        self.block_compiled = Some(HashSet::new());
    }

    /// Ends the block: every call pays for compiling again until the next
    /// [`PvmInterpreter::begin_block`].
    pub fn end_block(&mut self) {
        self.block_compiled = None;
    }

    /// Runs `code`'s `main(input)` against `host`.
    pub fn execute(&mut self, host: &mut dyn HostApi, code: &[u8], input: &[u8]) -> Execution {
        self.execute_entry(host, code, Entry::Main, input)
    }

    /// Runs `code` and then its `entry` function with `input` against `host`.
    pub fn execute_entry(
        &mut self,
        host: &mut dyn HostApi,
        code: &[u8],
        entry: Entry,
        input: &[u8],
    ) -> Execution {
        if self.poisoned.is_some() {
            // Free what the failed call left while the budget is closed, so
            // no finalizer of it can run, now or in a later call's collection.
            self.interp.enter(|vm| vm.state.gc.collect_force(2));
            // What the block paid for stays paid: gas must not depend on
            // whether this worker was rebuilt (the codes are compiled again,
            // once each, unpaid).
            let block_compiled = self.block_compiled.take();
            *self = Self::with_config(self.config.clone());
            self.block_compiled = block_compiled;
        }
        self.calls += 1;
        let hash: [u8; 32] = Sha256::digest(code).into();
        let paid = self
            .block_compiled
            .as_ref()
            .is_some_and(|b| b.contains(&hash));
        let schedule = &self.config.schedule;
        let mut gas = schedule.intrinsic(code.len(), input.len());
        if !paid {
            gas = gas.saturating_add(schedule.compile(code.len()));
        }
        if let Err(e) = host.charge_gas(gas) {
            return Execution {
                result: Err(ExecError::host(e)),
                logs: Vec::new(),
            };
        }
        let code_obj = match self.compiled(hash, code) {
            Ok(c) => c,
            Err(e) => {
                return Execution {
                    result: Err(e),
                    logs: Vec::new(),
                }
            }
        };
        let interp = &self.interp;
        let pristine = self.pristine.clone();
        let session = Session::start(&self.config);
        let outcome = panic::catch_unwind(AssertUnwindSafe(|| {
            binding::with_host(host, || {
                interp.enter(|vm| {
                    let before = rustpython_vm::pvm::census();
                    let r = run_main(vm, code_obj, entry, input);
                    // The host's exceptions were only needed to name the
                    // failure; they must not count as survivors.
                    binding::with_record(|r| r.host_raised.clear());
                    (r, pristine::finish_call(vm, before, &pristine))
                })
            })
        }));
        drop(session);
        match outcome {
            Ok(((result, cleanup), record)) => {
                if let Err(dirty) = cleanup {
                    metrics::counter!("pvm_interpreter_poisoned_total", "reason" => dirty.reason())
                        .increment(1);
                    self.poisoned = Some(Poison::Dirty(dirty));
                }
                finish(result, record)
            }
            Err(payload) => {
                // Guards that restore per-thread state may not all have run.
                binding::reset_thread();
                rustpython_vm::pvm::reset_thread();
                metrics::counter!("pvm_interpreter_poisoned_total", "reason" => "panic")
                    .increment(1);
                self.poisoned = Some(Poison::Panicked);
                Execution {
                    result: Err(ExecError {
                        kind: ErrorKind::Host(HostErrorKind::Internal),
                        message: format!(
                            "Internal: the interpreter panicked: {}",
                            panic_message(&*payload)
                        ),
                        line: None,
                    }),
                    logs: Vec::new(),
                }
            }
        }
    }

    /// The compiled module for `code`, from the cache or freshly compiled; a
    /// code that compiles is marked paid for in the current block.
    fn compiled(&mut self, hash: [u8; 32], code: &[u8]) -> Result<PyRef<PyCode>, ExecError> {
        let compiled = match self.code_cache.get(&hash) {
            Some(c) => c,
            None => self.compile(hash, code)?,
        };
        if let Some(block) = &mut self.block_compiled {
            block.insert(hash);
        }
        Ok(compiled)
    }

    /// Compiles `code` and caches it under `hash`.
    fn compile(&mut self, hash: [u8; 32], code: &[u8]) -> Result<PyRef<PyCode>, ExecError> {
        let source = std::str::from_utf8(code).map_err(|e| ExecError {
            kind: ErrorKind::SyntaxError,
            message: format!(
                "contract source is not valid UTF-8 (byte {})",
                e.valid_up_to()
            ),
            line: None,
        })?;
        crate::compile::check_source(source).map_err(|e| ExecError {
            kind: ErrorKind::SyntaxError,
            message: format!("SyntaxError: {e}"),
            line: e.line(),
        })?;
        let compiled = self.interp.enter(|vm| {
            vm.compile(source, Mode::Exec, CONTRACT_FILENAME.to_owned())
                .map_err(|err| {
                    let exc = err.into_pyexception(vm, Some(source));
                    let line = exc
                        .as_object()
                        .get_attr("lineno", vm)
                        .ok()
                        .and_then(|l| l.try_int(vm).ok())
                        .and_then(|i| u32::try_from(i.as_bigint()).ok());
                    let msg = exc
                        .as_object()
                        .get_attr("msg", vm)
                        .ok()
                        .and_then(|m| m.str(vm).ok())
                        .map(|s| s.to_string_lossy().into_owned())
                        .unwrap_or_else(|| "invalid syntax".to_owned());
                    ExecError {
                        kind: ErrorKind::SyntaxError,
                        message: format!("SyntaxError: {msg}"),
                        line,
                    }
                })
        })?;
        self.code_cache.insert(hash, compiled.clone(), code.len());
        // The compiled objects live as long as the cache keeps them: move
        // them out of the collector's reach, so every call's census starts
        // from the same count and full collections never scan them.
        self.interp.enter(|vm| vm.state.gc.freeze());
        Ok(compiled)
    }
}

/// Executes the module and its `main`, converting the outcome.
fn run_main(
    vm: &VirtualMachine,
    code: PyRef<PyCode>,
    entry: Entry,
    input: &[u8],
) -> Result<Bytes, ExecError> {
    let globals = vm.ctx.new_dict();
    let to_err = |exc: PyBaseExceptionRef| exception_to_error(vm, &exc);
    globals
        .set_item("__name__", vm.ctx.new_str("__contract__").into(), vm)
        .map_err(to_err)?;
    globals
        .set_item("__builtins__", vm.builtins.clone().into(), vm)
        .map_err(to_err)?;
    let result = run_module_and_main(vm, code, &globals, entry, input);
    // Cycles the call made are collected while the module's names still
    // exist, so their finalizers can use them (metered, logged in this call).
    vm.state.gc.collect_force(2);
    // Globals and the functions in them form a cycle that reference counting
    // cannot free; break it now, inside the call, so that what is left dies in
    // the collection that ends the call ([`crate::pristine::finish_call`]).
    globals.clear();
    result
}

fn run_module_and_main(
    vm: &VirtualMachine,
    code: PyRef<PyCode>,
    globals: &rustpython_vm::builtins::PyDictRef,
    entry: Entry,
    input: &[u8],
) -> Result<Bytes, ExecError> {
    let to_err = |exc: PyBaseExceptionRef| exception_to_error(vm, &exc);
    let scope = Scope::with_builtins(None, globals.clone(), vm);
    vm.run_code_obj(code, scope).map_err(to_err)?;
    let Some(main) = globals.get_item_opt(entry.name(), vm).map_err(to_err)? else {
        return match entry {
            Entry::Init => Ok(Vec::new()),
            Entry::Main => Err(ExecError {
                kind: ErrorKind::Exception,
                message: "AttributeError: contract defines no main(input) function".to_owned(),
                line: None,
            }),
        };
    };
    let arg: PyObjectRef = vm.ctx.new_bytes(input.to_vec()).into();
    let ret = main.call((arg,), vm).map_err(to_err)?;
    output_bytes(vm, &ret)
}

fn output_bytes(vm: &VirtualMachine, ret: &PyObjectRef) -> Result<Bytes, ExecError> {
    if vm.is_none(ret) {
        return Ok(Vec::new());
    }
    if let Some(b) = ret.downcast_ref::<PyBytes>() {
        return Ok(b.as_bytes().to_vec());
    }
    if let Some(s) = ret.downcast_ref::<PyStr>() {
        return match s.to_str() {
            Some(s) => Ok(s.as_bytes().to_vec()),
            None => Err(ExecError {
                kind: ErrorKind::Exception,
                message: "UnicodeEncodeError: main() returned a str that is not valid UTF-8".into(),
                line: None,
            }),
        };
    }
    Err(ExecError {
        kind: ErrorKind::Exception,
        message: format!(
            "TypeError: main() must return bytes, str or None, not {}",
            ret.class().name()
        ),
        line: None,
    })
}

/// Describes an uncaught exception: class, text and innermost contract line.
fn exception_to_error(vm: &VirtualMachine, exc: &PyBaseExceptionRef) -> ExecError {
    let class = exc.class().name().to_string();
    let text = exc
        .as_object()
        .str(vm)
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let message = if text.is_empty() {
        class
    } else {
        format!("{class}: {text}")
    };
    let raised = binding::with_record(|r| r.host_raised.clone()).unwrap_or_default();
    let kind = match HostExceptions::get(vm).kind_of(exc, &raised) {
        Some(k) => ErrorKind::Host(k),
        None => ErrorKind::Exception,
    };
    ExecError {
        kind,
        message,
        line: contract_line(exc),
    }
}

/// The line of the innermost traceback entry that is contract code.
fn contract_line(exc: &PyBaseExceptionRef) -> Option<u32> {
    let mut tb = exc.__traceback__();
    let mut line = None;
    while let Some(t) = tb {
        if t.frame.f_code().source_path().as_str() == CONTRACT_FILENAME {
            line = u32::try_from(t.lineno.get()).ok();
        }
        tb = t.next.lock().clone();
    }
    line
}

/// Combines the call's result with what the host record says: a fatal host
/// error (out of gas, storage, internal) fails the call even if the contract
/// caught the exception.
fn finish(result: Result<Bytes, ExecError>, record: CallRecord) -> Execution {
    let result = match (record.fatal, result) {
        (Some(fatal), Ok(_)) => Err(ExecError::host(fatal)),
        (Some(fatal), Err(e)) if e.kind != ErrorKind::Host(fatal.kind()) => Err(ExecError {
            line: e.line,
            ..ExecError::host(fatal)
        }),
        (_, r) => r,
    };
    Execution {
        result,
        logs: record.logs,
    }
}

thread_local! {
    static THREAD_VM: std::cell::RefCell<Option<PvmInterpreter>> = const { std::cell::RefCell::new(None) };
}

/// Runs `code`'s `main(input)` against `host` on this thread's interpreter
/// (created on first use) and returns the output bytes.
///
/// The debug log is dropped; use [`PvmInterpreter::execute`] to keep it.
pub fn execute_tx(host: &mut dyn HostApi, code: &[u8], input: &[u8]) -> Result<Bytes, ExecError> {
    THREAD_VM.with(|cell| {
        let mut slot = cell.borrow_mut();
        let vm = slot.get_or_insert_with(PvmInterpreter::new);
        vm.execute(host, code, input).result
    })
}

/// Runs `f` on a new thread with the stack an interpreter needs
/// ([`sandbox::STACK_SIZE`]) and returns its result; a panic in `f` is
/// returned as `Err` with its message.
pub fn on_interpreter_thread<R, F>(f: F) -> Result<R, String>
where
    R: Send + 'static,
    F: FnOnce() -> R + Send + 'static,
{
    let handle = std::thread::Builder::new()
        .name("pvm-interpreter".into())
        .stack_size(sandbox::STACK_SIZE)
        .spawn(f)
        .map_err(|e| format!("cannot start an interpreter thread: {e}"))?;
    handle.join().map_err(|p| panic_message(&*p))
}

/// The text of a panic payload.
fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_owned())
}
