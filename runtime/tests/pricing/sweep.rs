//! The pricing sweep: every native operation a contract can reach, run on
//! operands from a few bytes to a megabyte, with the gas each one is charged.
//!
//! The operations live in `catalogue.txt` beside this file, grouped in
//! families. A family builds its operands from a payload size `n` (bytes of a
//! string, buffer or integer; eight bytes per element of a container) and
//! lists one row per operation: the callable it exercises (a method name from a
//! type's `__dict__`, a module function, or an operator's dunder), whether its
//! work grows with `n`, and one Python statement. `@enum` lines name the types
//! and modules whose `__dict__` the family covers; [`uncovered`] lists every
//! name found there (inside the interpreter) that no row or `@skip` accounts
//! for, so a callable cannot be forgotten.
//!
//! A family at one size becomes one contract ([`contract`]): the operands are
//! built at module level, each row is a function that runs its statement `reps_`
//! times between two calls of the mark `gl()`, and [`MarkHost`] records
//! the instant and the gas left at every such call. The gas between two marks
//! is deterministic (the pricing test reads it); the time is what the
//! calibration bench divides it by. Rows that mutate their operand run on a
//! fresh copy made before the first mark of every repetition; the others run
//! their statement once before the first mark, so that work done once on first
//! use (a table an operand builds and keeps, a resize it settles into) is not
//! counted against every repetition of the row.
//!
//! Shared by `runtime/tests/pricing.rs` (gas only, no clock) and
//! `runtime/benches/pricing_sweep.rs` (gas per microsecond).

#![allow(dead_code)]

use std::cell::RefCell;
use std::time::{Duration, Instant};

use pvm_host::{Bytes, HostApi, HostContext, HostError, MemoryHost};
use pvm_runtime::{PvmInterpreter, RuntimeConfig};

/// The catalogue's text.
pub const CATALOGUE: &str = include_str!("catalogue.txt");

/// Payload sizes every family runs at unless it says otherwise.
pub const SIZES: &[usize] = &[16, 1 << 10, 1 << 16, 1 << 20];

/// One operation of a family.
#[derive(Clone, Debug)]
pub struct Row {
    /// The callable it exercises (for coverage) and its label in tables.
    pub name: String,
    /// Whether the work grows with the payload size (the test asserts the gas does).
    pub grows: bool,
    /// Marked `~`: the work grows and the gas is known not to (an open gap,
    /// listed in docs/THREAT-MODEL.md); the test fails once it is priced, so
    /// the mark is removed with the fix.
    pub known_gap: bool,
    /// Run before every repetition, outside the measurement (a fresh copy).
    pub prep: Option<String>,
    /// The statement measured.
    pub stmt: String,
}

/// Operands built one way, and the operations run on them.
#[derive(Clone, Debug, Default)]
pub struct Family {
    /// Name, as in `@family NAME`.
    pub name: String,
    /// Payload sizes to run at.
    pub sizes: Vec<usize>,
    /// Module-level setup; `n` is the payload size.
    pub setup: Vec<String>,
    /// `(label, expression)` of each type or module whose `__dict__` it covers.
    pub enums: Vec<(String, String)>,
    /// The operations.
    pub rows: Vec<Row>,
    /// `(name, reason)` of each callable deliberately not run.
    pub skips: Vec<(String, String)>,
}

/// Parses [`CATALOGUE`].
///
/// Format: `@family NAME [sizes=A,B,...]` starts a family; `| code` is a setup
/// line; `@enum LABEL EXPR` a covered type or module; `@skip NAME reason`;
/// anything else is a row, `NAME FLAGS STATEMENT`, where FLAGS is `+` (work
/// grows with `n`) or `=` (bounded), optionally followed by `!` (mutates: run on
/// a fresh copy, the statement being `PREP ;; STATEMENT`). `#` starts a comment
/// line.
pub fn catalogue() -> Vec<Family> {
    let mut families: Vec<Family> = Vec::new();
    for (number, raw) in CATALOGUE.lines().enumerate() {
        let line = raw.trim_end();
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let at = |what: &str| format!("catalogue.txt line {}: {what}: {line}", number + 1);
        if let Some(rest) = trimmed.strip_prefix("@family ") {
            let mut words = rest.split_whitespace();
            let name = words.next().expect("a family name").to_owned();
            let mut sizes = SIZES.to_vec();
            for w in words {
                if let Some(list) = w.strip_prefix("sizes=") {
                    sizes = list
                        .split(',')
                        .map(|s| s.parse().unwrap_or_else(|_| panic!("{}", at("bad size"))))
                        .collect();
                } else {
                    panic!("{}", at("unknown family option"));
                }
            }
            families.push(Family {
                name,
                sizes,
                ..Family::default()
            });
            continue;
        }
        let family = families
            .last_mut()
            .unwrap_or_else(|| panic!("{}", at("row before any @family")));
        if let Some(code) = line.strip_prefix("| ").or(line.strip_prefix("|")) {
            family.setup.push(code.to_owned());
        } else if let Some(rest) = trimmed.strip_prefix("@enum ") {
            let (label, expr) = rest.split_once(' ').expect("@enum LABEL EXPR");
            family
                .enums
                .push((label.to_owned(), expr.trim().to_owned()));
        } else if let Some(rest) = trimmed.strip_prefix("@skip ") {
            let (name, reason) = rest.split_once(' ').expect("@skip NAME reason");
            family
                .skips
                .push((name.to_owned(), reason.trim().to_owned()));
        } else {
            let (name, rest) = trimmed
                .split_once(' ')
                .unwrap_or_else(|| panic!("{}", at("row without flags")));
            let rest = rest.trim_start();
            let (flags, stmt) = rest
                .split_once(' ')
                .unwrap_or_else(|| panic!("{}", at("row without a statement")));
            let (grows, known_gap) = match flags.trim_end_matches('!') {
                "+" => (true, false),
                "~" => (true, true),
                "=" => (false, false),
                _ => panic!("{}", at("flags must be +, ~ or =, optionally with !")),
            };
            let stmt = stmt.trim();
            let (prep, stmt) = if flags.ends_with('!') {
                let (p, s) = stmt
                    .split_once(";;")
                    .unwrap_or_else(|| panic!("{}", at("a ! row needs PREP ;; STATEMENT")));
                (Some(p.trim().to_owned()), s.trim().to_owned())
            } else {
                (None, stmt.to_owned())
            };
            family.rows.push(Row {
                name: name.to_owned(),
                grows,
                known_gap,
                prep,
                stmt,
            });
        }
    }
    families
}

/// Modules every contract of the sweep imports.
/// `gl()` is the mark: it calls `pvm_host.randomness` (a host call the
/// runtime never makes on its own), where [`MarkHost`] records the instant,
/// and appends `pvm_host.gas_left()` to `M` (the value the contract sees is
/// exact: the runtime syncs its budget before answering). `main` returns `M`.
const PRELUDE: &str = "import pvm_host, itertools, _functools, _collections, _operator\n\
                       M = []\n\
                       _gl = pvm_host.gas_left\n\
                       _tm = pvm_host.randomness\n\
                       def gl():\n    _tm(b'')\n    M.append(_gl())\n";

/// The contract that measures `family` at payload size `n`: `main(input)` reads
/// one repetition count per row (comma-separated) and prints `E i Class` for
/// each row `i` whose statement raised.
pub fn contract(family: &Family, n: usize) -> String {
    let mut code = String::from(PRELUDE);
    code.push_str(&format!("n = {n}\n"));
    for line in &family.setup {
        code.push_str(line);
        code.push('\n');
    }
    code.push_str(&format!(
        "EMPTY_PAIRS = {EMPTY_PAIRS}\n\
         def r_empty(reps_):\n    for _ in range(reps_):\n        gl()\n        gl()\n"
    ));
    for (i, row) in family.rows.iter().enumerate() {
        code.push_str(&format!("def r{i}(reps_):\n    err_ = None\n"));
        match &row.prep {
            None => {
                code.push_str("    try:\n");
                code.push_str(&indent(&row.stmt, 8));
                code.push_str("    except Exception as x_:\n        err_ = x_\n");
                code.push_str("    gl()\n    for _ in range(reps_):\n        try:\n");
                code.push_str(&indent(&row.stmt, 12));
                code.push_str("        except Exception as x_:\n            err_ = x_\n    gl()\n");
            }
            Some(prep) => {
                // Each repetition runs a control first: the same prep and
                // marks around `pass`, so what the prep leaves behind (caches
                // it evicted, memory the allocator settles later) is charged
                // to neither, and a machine whose speed drifts moves both
                // alike (a statement far cheaper than its prep, `del z[-1]`
                // on a fresh 1 MiB list, was otherwise all drift).
                code.push_str("    for _ in range(reps_):\n");
                for stmt in ["pass", row.stmt.as_str()] {
                    code.push_str(&indent(prep, 8));
                    code.push_str("        gl()\n        try:\n");
                    code.push_str(&indent(stmt, 12));
                    code.push_str(
                        "        except Exception as x_:\n            err_ = x_\n        gl()\n",
                    );
                }
            }
        }
        code.push_str("    return err_\n");
    }
    code.push_str("ROWS = [");
    for i in 0..family.rows.len() {
        code.push_str(&format!("r{i}, "));
    }
    code.push_str("]\n");
    code.push_str(
        "def main(input):\n\
         \x20   ks = [int(v) for v in input.split(b',')]\n\
         \x20   r_empty(EMPTY_PAIRS)\n\
         \x20   for i in range(len(ROWS)):\n\
         \x20       e = ROWS[i](ks[i])\n\
         \x20       if e is not None:\n\
         \x20           print('E', i, type(e).__name__)\n\
         \x20   return ','.join([str(v) for v in M])\n",
    );
    code
}

/// `text` (statements separated by `;` or newlines as written) indented by `by`.
fn indent(text: &str, by: usize) -> String {
    let pad = " ".repeat(by);
    text.split(" ;; ")
        .flat_map(|s| s.split('\n'))
        .map(|l| format!("{pad}{l}\n"))
        .collect()
}

/// A [`MemoryHost`] that records the instant and the gas left at every
/// `randomness` call (the mark), the sweep's marks.
pub struct MarkHost {
    inner: MemoryHost,
    marks: RefCell<Vec<(Instant, u64)>>,
}

impl MarkHost {
    /// A host with `gas` gas.
    pub fn new(gas: u64) -> Self {
        let ctx = HostContext {
            sender: vec![1; 32],
            ..HostContext::default()
        };
        Self {
            inner: MemoryHost::new(ctx, gas),
            marks: RefCell::new(Vec::with_capacity(1 << 16)),
        }
    }
}

impl HostApi for MarkHost {
    fn get_state(&mut self, key: &[u8]) -> Result<Option<Bytes>, HostError> {
        self.inner.get_state(key)
    }
    fn set_state(&mut self, key: &[u8], value: &[u8]) -> Result<(), HostError> {
        self.inner.set_state(key, value)
    }
    fn delete_state(&mut self, key: &[u8]) -> Result<(), HostError> {
        self.inner.delete_state(key)
    }
    fn emit_event(&mut self, topic: &str, data: &[u8]) -> Result<(), HostError> {
        self.inner.emit_event(topic, data)
    }
    fn charge_gas(&mut self, amount: u64) -> Result<(), HostError> {
        self.inner.charge_gas(amount)
    }
    fn gas_left(&self) -> u64 {
        self.inner.gas_left()
    }
    fn context(&self) -> &HostContext {
        self.inner.context()
    }
    fn randomness(&mut self, domain: &[u8]) -> Result<[u8; 32], HostError> {
        self.marks
            .borrow_mut()
            .push((Instant::now(), self.inner.gas_left()));
        self.inner.randomness(domain)
    }
}

/// What one row cost.
#[derive(Clone, Debug, Default)]
pub struct Measure {
    /// Gas of all repetitions, less the cost of the marks themselves.
    pub gas: u64,
    /// Time of all repetitions, between the marks.
    pub time: Duration,
    /// The exception class the statement raised, if it did.
    pub raised: Option<String>,
}

/// Gas given to every sweep contract (the sweep measures, it does not limit).
pub const SWEEP_GAS: u64 = 1 << 50;

/// The configuration the sweep runs under: the chain's prices, and a memory
/// limit high enough that no megabyte operand trips it.
pub fn sweep_config() -> RuntimeConfig {
    RuntimeConfig {
        memory_limit: 1 << 34,
        ..RuntimeConfig::default()
    }
}

/// Empty mark pairs each contract runs first, to learn what a pair costs.
const EMPTY_PAIRS: usize = 64;

/// Runs `family` at size `n` with `reps[i]` repetitions of row `i`.
pub fn run_family(
    vm: &mut PvmInterpreter,
    family: &Family,
    n: usize,
    reps: &[u64],
) -> Result<Vec<Measure>, String> {
    let code = contract(family, n);
    let input = reps
        .iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join(",");
    let mut host = MarkHost::new(SWEEP_GAS);
    let exec = vm.execute(&mut host, code.as_bytes(), input.as_bytes());
    let gas: Vec<u64> = match &exec.result {
        Ok(out) => String::from_utf8_lossy(out)
            .split(',')
            .map(|v| v.parse().expect("gas values"))
            .collect(),
        Err(e) => return Err(format!("family {} at n={n} failed: {e}", family.name)),
    };
    let instants = host.marks.into_inner();
    assert_eq!(instants.len(), gas.len(), "one instant per mark");
    let marks: Vec<(Instant, u64)> = instants.into_iter().map(|(t, _)| t).zip(gas).collect();
    // The empty row: pairs of marks with nothing between them. The median
    // pair is what every measured span is charged for its own marks (one
    // early, cold pair would otherwise be subtracted from each repetition of
    // a `!` row and make it look nearly free).
    let mut at = 0;
    let mut pairs = |count: usize| -> Vec<(u64, Duration)> {
        let spans = marks[at..at + 2 * count]
            .chunks_exact(2)
            .map(|p| span(&p[0], &p[1]))
            .collect();
        at += 2 * count;
        spans
    };
    let mut empties = pairs(EMPTY_PAIRS);
    let empty_gas = empties[0].0;
    assert!(
        empties.iter().all(|e| e.0 == empty_gas),
        "every empty pair costs the same gas"
    );
    empties.sort_by_key(|e| e.1);
    let empty_time = empties[empties.len() / 2].1;
    let mut out = Vec::with_capacity(family.rows.len());
    for (row, &k) in family.rows.iter().zip(reps) {
        let mut m = Measure::default();
        if row.prep.is_some() {
            // A `!` row: each repetition between its own marks. Its time is
            // the typical repetition's less the typical control pair's (the
            // same prep around `pass`), times the repetitions; typical is
            // the mean of the middle half, so one pair that a timer tick or
            // the allocator's deferred work landed in moves neither.
            let (control, measured): (Vec<_>, Vec<_>) = pairs(2 * k as usize)
                .chunks_exact(2)
                .map(|p| (p[0], p[1]))
                .unzip();
            let base_gas = control[0].0;
            m.gas = measured.iter().map(|p| p.0.saturating_sub(base_gas)).sum();
            m.time = middle_mean(measured).saturating_sub(middle_mean(control)) * k as u32;
        } else {
            let (g, t) = pairs(1)[0];
            m.gas = g.saturating_sub(empty_gas);
            m.time = t.saturating_sub(empty_time);
        }
        out.push(m);
    }
    for line in &exec.logs {
        let mut words = line.split_whitespace();
        if words.next() == Some("E") {
            if let (Some(i), Some(class)) = (words.next(), words.next()) {
                if let Ok(i) = i.parse::<usize>() {
                    out[i].raised = Some(class.to_owned());
                }
            }
        }
    }
    Ok(out)
}

/// The mean time of the middle half of `spans` (all of them when fewer than four).
fn middle_mean(mut spans: Vec<(u64, Duration)>) -> Duration {
    spans.sort_by_key(|p| p.1);
    let quarter = spans.len() / 4;
    let middle = &spans[quarter..spans.len() - quarter];
    middle.iter().map(|p| p.1).sum::<Duration>() / middle.len() as u32
}

fn span(a: &(Instant, u64), b: &(Instant, u64)) -> (u64, Duration) {
    (a.1 - b.1, b.0 - a.0)
}

/// Every name in the `__dict__` of each `@enum` target, as `(family, label,
/// name)`, read inside the interpreter.
pub fn enumerate(
    vm: &mut PvmInterpreter,
    families: &[Family],
) -> Result<Vec<(String, String, String)>, String> {
    let mut out = Vec::new();
    for f in families.iter().filter(|f| !f.enums.is_empty()) {
        let mut code = String::from(PRELUDE);
        code.push_str(&format!("n = {}\n", f.sizes[0]));
        for line in &f.setup {
            code.push_str(line);
            code.push('\n');
        }
        code.push_str("def main(input):\n    out = []\n");
        for (label, expr) in &f.enums {
            code.push_str(&format!(
                "    for k in sorted(({expr}).__dict__):\n        out.append('{label} ' + k)\n"
            ));
        }
        code.push_str("    return '\\n'.join(out)\n");
        let mut host = MarkHost::new(SWEEP_GAS);
        let exec = vm.execute(&mut host, code.as_bytes(), b"");
        let text = exec
            .result
            .map_err(|e| format!("enumerating family {}: {e}", f.name))?;
        for line in String::from_utf8_lossy(&text).lines() {
            if let Some((label, name)) = line.split_once(' ') {
                out.push((f.name.clone(), label.to_owned(), name.to_owned()));
            }
        }
    }
    Ok(out)
}

/// Names found by [`enumerate`] that no row or skip of the same family covers.
pub fn uncovered(families: &[Family], found: &[(String, String, String)]) -> Vec<String> {
    let mut missing = Vec::new();
    for (family, label, name) in found {
        let f = families
            .iter()
            .find(|f| &f.name == family)
            .expect("enumerated family exists");
        let covered = f.rows.iter().any(|r| &r.name == name)
            || f.skips.iter().any(|(s, _)| skip_matches(s, name));
        if !covered {
            missing.push(format!("{family}: {label}.{name}"));
        }
    }
    missing
}

/// Whether a `@skip` pattern names `name`: exactly, or `*suffix` / `prefix*`.
fn skip_matches(pattern: &str, name: &str) -> bool {
    if let Some(suffix) = pattern.strip_prefix('*') {
        name.ends_with(suffix)
    } else if let Some(prefix) = pattern.strip_suffix('*') {
        name.starts_with(prefix)
    } else {
        pattern == name
    }
}

/// Rows per payload size of a family whose gas is compared in the test.
pub fn row_label(family: &Family, row: &Row) -> String {
    format!("{}.{}: {}", family.name, row.name, row.stmt)
}
