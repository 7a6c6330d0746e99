//! Differential runs: generated programs ([`crate::progen`]) executed by PVM
//! and by CPython 3.11, and by PVM under different histories, compared
//! receipt by receipt.
//!
//! A [`Receipt`] is everything a call leaves behind: output or failure (kind,
//! message, line), the debug log, events, the state written and, for PVM,
//! the gas used. Two kinds of comparison use it:
//!
//! - **Semantics** ([`compare_with_cpython`]): PVM against `python3` running
//!   the same program through `harness.py`, which gives each program what PVM
//!   gives a contract (restricted builtins and imports, `print` into the log,
//!   and a `pvm_host` that behaves like the native module over a
//!   `MemoryHost`). Gas is not compared; everything else must be equal.
//! - **Determinism** ([`pvm`]): PVM against itself on a fresh interpreter, on a
//!   pool worker warmed by other contracts, after an allocation churn on
//!   another worker, and in another process. Here the receipts, gas included,
//!   must be byte-identical ([`Receipt::encode`]).
//!
//! A mismatch is shrunk by [`minimize`], which drops program chunks while the
//! programs still disagree.

pub mod cpython;
pub mod pvm;

use std::fmt::Write as _;

use pvm_host::{HostApi, HostContext, MemoryHost};

use crate::progen::{Program, DOMAINS};

/// Gas every differential call gets: far more than any generated program
/// needs, so no program ends out of gas (which CPython cannot mirror).
pub const GAS_LIMIT: u64 = 5_000_000_000;

/// The block context every differential call runs under.
pub fn context() -> HostContext {
    HostContext {
        block_height: 4242,
        block_hash: [0x5a; 32],
        tx_hash: [0x3c; 32],
        sender: b"diff-sender".to_vec(),
        timestamp_ms: 1_750_000_000_321,
    }
}

/// A fresh host for one differential call.
pub fn host() -> MemoryHost {
    MemoryHost::new(context(), GAS_LIMIT)
}

/// What `pvm_host.randomness` returns for each of [`DOMAINS`] under [`context`].
pub fn randomness_table() -> Vec<(Vec<u8>, [u8; 32])> {
    let mut h = host();
    DOMAINS
        .iter()
        .map(|d| (d.to_vec(), h.randomness(d).expect("memory host randomness")))
        .collect()
}

/// Why a call failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// The receipt's error kind (`Exception`, `SyntaxError`, `OutOfGas`, ...).
    pub kind: String,
    /// The message, `"Class: text"` for exceptions.
    pub message: String,
    /// The contract line, when known.
    pub line: Option<u32>,
}

/// Everything one call left behind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Receipt {
    /// Output bytes or the failure.
    pub result: Result<Vec<u8>, Failure>,
    /// Debug log lines.
    pub logs: Vec<String>,
    /// Events `(topic, data)` in order.
    pub events: Vec<(String, Vec<u8>)>,
    /// State after the call, sorted by key.
    pub state: Vec<(Vec<u8>, Vec<u8>)>,
    /// Gas used (PVM only).
    pub gas_used: Option<u64>,
}

impl Receipt {
    /// The canonical bytes of the receipt: equal receipts, equal bytes.
    pub fn encode(&self) -> Vec<u8> {
        let mut s = String::new();
        let q = |t: &str| serde_json::to_string(t).expect("strings serialize");
        match &self.result {
            Ok(out) => writeln!(s, "ok {}", hex::encode(out)).unwrap(),
            Err(f) => {
                let line = f.line.map_or("-".to_owned(), |l| l.to_string());
                writeln!(s, "err {} {line} {}", f.kind, q(&f.message)).unwrap();
            }
        }
        for l in &self.logs {
            writeln!(s, "log {}", q(l)).unwrap();
        }
        for (t, d) in &self.events {
            writeln!(s, "event {} {}", q(t), hex::encode(d)).unwrap();
        }
        for (k, v) in &self.state {
            writeln!(s, "state {} {}", hex::encode(k), hex::encode(v)).unwrap();
        }
        if let Some(g) = self.gas_used {
            writeln!(s, "gas {g}").unwrap();
        }
        s.into_bytes()
    }

    /// The receipt with the gas left out (what CPython can be compared on).
    pub fn without_gas(&self) -> Receipt {
        Receipt {
            gas_used: None,
            ..self.clone()
        }
    }

    /// A readable rendering: the output as text, one transcript line per line.
    pub fn render(&self) -> String {
        let mut s = String::new();
        match &self.result {
            Ok(out) => {
                for line in String::from_utf8_lossy(out).lines() {
                    writeln!(s, "  | {line}").unwrap();
                }
            }
            Err(f) => {
                writeln!(s, "  error {} at line {:?}: {}", f.kind, f.line, f.message).unwrap()
            }
        }
        for l in &self.logs {
            writeln!(s, "  log {l:?}").unwrap();
        }
        for (t, d) in &self.events {
            writeln!(s, "  event {t:?} {}", String::from_utf8_lossy(d)).unwrap();
        }
        for (k, v) in &self.state {
            writeln!(
                s,
                "  state {} = {}",
                String::from_utf8_lossy(k),
                String::from_utf8_lossy(v)
            )
            .unwrap();
        }
        if let Some(g) = self.gas_used {
            writeln!(s, "  gas {g}").unwrap();
        }
        s
    }
}

/// The first place two receipts differ, in a few lines.
pub fn first_difference(want: &Receipt, got: &Receipt) -> String {
    let a = String::from_utf8_lossy(&want.encode()).into_owned();
    let b = String::from_utf8_lossy(&got.encode()).into_owned();
    // Transcript lines are inside the hex output; compare them as text first.
    if let (Ok(x), Ok(y)) = (&want.result, &got.result) {
        let (x, y) = (String::from_utf8_lossy(x), String::from_utf8_lossy(y));
        for (i, (l, r)) in x.lines().zip(y.lines()).enumerate() {
            if l != r {
                return format!("transcript line {}:\n    want {l}\n    got  {r}", i + 1);
            }
        }
        if x.lines().count() != y.lines().count() {
            return format!(
                "transcript length: want {} lines, got {}",
                x.lines().count(),
                y.lines().count()
            );
        }
    }
    for (l, r) in a.lines().zip(b.lines()) {
        if l != r {
            return format!("\n    want {l}\n    got  {r}");
        }
    }
    format!(
        "receipt length: want {} lines, got {}",
        a.lines().count(),
        b.lines().count()
    )
}

/// A program on which CPython and PVM disagree.
#[derive(Clone, Debug)]
pub struct Mismatch {
    /// The program.
    pub program: Program,
    /// What CPython 3.11 did.
    pub cpython: Receipt,
    /// What PVM did (without gas).
    pub pvm: Receipt,
}

impl Mismatch {
    /// A report: seed, the first difference, the program and both receipts.
    pub fn report(&self) -> String {
        format!(
            "seed {}: {}\n--- program ---\n{}--- cpython ---\n{}--- pvm ---\n{}",
            self.program.seed,
            first_difference(&self.cpython, &self.pvm),
            self.program.source(),
            self.cpython.render(),
            self.pvm.render()
        )
    }
}

/// Runs `programs` on PVM (one interpreter, in order) and in CPython 3.11 (one
/// process) at the same time, and returns the programs whose receipts differ.
pub fn compare_with_cpython(programs: &[Program]) -> Result<Vec<Mismatch>, cpython::HarnessError> {
    let (theirs, ours) = std::thread::scope(|s| {
        let cpy = s.spawn(|| cpython::run(programs));
        let ours = pvm::run_shared(programs);
        (cpy.join().expect("cpython runner"), ours)
    });
    let theirs = theirs?;
    Ok(programs
        .iter()
        .zip(theirs)
        .zip(ours)
        .filter_map(|((p, c), r)| {
            let r = r.without_gas();
            (c != r).then(|| Mismatch {
                program: p.clone(),
                cpython: c,
                pvm: r,
            })
        })
        .collect())
}

/// Shrinks `program` by dropping chunks (last first) while `differs` stays
/// true, until no single chunk can go.
pub fn minimize(program: &Program, differs: impl Fn(&Program) -> bool) -> Program {
    let mut best = program.clone();
    loop {
        let mut shrunk = false;
        let mut i = best.chunks.len();
        while i > 0 {
            i -= 1;
            let candidate = best.without(i);
            if differs(&candidate) {
                best = candidate;
                shrunk = true;
            }
        }
        if !shrunk {
            return best;
        }
    }
}

/// Whether CPython and PVM still disagree on `program` (for [`minimize`]).
pub fn disagrees_with_cpython(program: &Program) -> bool {
    match compare_with_cpython(std::slice::from_ref(program)) {
        Ok(m) => !m.is_empty(),
        Err(_) => false,
    }
}
