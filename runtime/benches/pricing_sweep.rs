//! The pricing sweep: is every native operation priced for its time?
//!
//! Runs every row of `runtime/tests/pricing/catalogue.txt` (every method and
//! operator of the types a contract can reach, the allowed modules' callables
//! and the builtins, see `runtime/tests/pricing/sweep.rs`) at each of its
//! family's payload sizes, from 16 bytes to 1 MiB, on one warm interpreter,
//! and prints one line per row and size: gas, time and gas per microsecond.
//!
//! The schedule prices native work at the rate plain Python earns: the
//! opcode prices were calibrated so that loops, calls, attribute and
//! container work cost about one gas per 3 ns on the machine they were
//! measured on (333 gas/µs). Gas per µs scales with the machine, so the sweep
//! measures that rate where it runs, before and after each family (the median
//! of the plain workloads of `common/plain.rs`, which the calibration bench
//! prints too; a shared machine's speed drifts over a run): the faster of the
//! two is the family's aim (noise only slows code down), and the band is
//! [`BAND`] times either side of it. A row below the band is under-priced (a
//! contract buys more time than it pays for: a bug under the aim divided by
//! [`BUG`]); a row above it over-priced (safe, but a contract pays for time
//! it does not use). Each row first runs once to size
//! its repetitions so that it takes about [`TARGET`]; then [`RUNS`] timed
//! runs, the fastest kept (the median for fresh-copy rows, whose time is a
//! difference). Rows below the band are measured again after the whole sweep,
//! next to a fresh measurement of the aim, and keep the better of the two
//! passes against the higher aim: a machine that slowed down while one family
//! ran (it happens on shared machines, for minutes) only ever makes rows look
//! slower.
//!
//! ```sh
//! cargo bench --ignore-rust-version -p pvm-runtime --bench pricing_sweep            # every row
//! cargo bench --ignore-rust-version -p pvm-runtime --bench pricing_sweep -- int str # some families
//! cargo bench --ignore-rust-version -p pvm-runtime --bench pricing_sweep -- --list  # what is covered
//! ```

/// The allocator the `pvm` binary uses, so the numbers are the node's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[path = "../tests/pricing/sweep.rs"]
mod sweep;

#[path = "common/plain.rs"]
mod plain;

use std::time::Duration;

use pvm_runtime::{on_interpreter_thread, PvmInterpreter};
use sweep::{Family, Measure};

/// How far either side of the aim the band reaches (a factor).
const BAND: f64 = 3.0;
/// Under the aim divided by this a row is a pricing bug, not noise.
const BUG: f64 = 10.0;
/// Time each row's repetitions should take.
const TARGET: Duration = Duration::from_millis(2);
/// Timed runs per family and size; the fastest is kept per row (the median
/// for fresh-copy rows).
const RUNS: usize = 3;
/// Fewest repetitions of a `!` row, whose time is the mean of the middle half of them.
const MIN_PREP_REPS: u64 = 9;
/// Most repetitions of one row.
const MAX_REPS: u64 = 20_000;

struct Line {
    family: String,
    name: String,
    stmt: String,
    n: usize,
    best: Measure,
    /// Every timed run's time (the kept one is [`pick`] of them).
    times: Vec<Duration>,
    /// Repetitions per run.
    reps: u64,
    /// Whether each repetition has its own fresh copy (a `!` row).
    fresh: bool,
    /// What plain code earned just before this row's family ran (the higher
    /// of the two measurements for a row measured again).
    aim: f64,
    /// Whether the row was below the band and measured again at the end.
    again: bool,
}

impl Line {
    fn below(&self) -> bool {
        rate(&self.best) < self.aim / BAND
    }
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--bench"))
        .collect();
    let list = args.iter().any(|a| a == "--list");
    let wanted: Vec<String> = args
        .iter()
        .filter(|a| !a.starts_with("--"))
        .cloned()
        .collect();
    let families: Vec<Family> = sweep::catalogue()
        .into_iter()
        .filter(|f| wanted.is_empty() || wanted.contains(&f.name))
        .collect();
    let out = on_interpreter_thread(move || {
        let mut vm = PvmInterpreter::with_config(sweep::sweep_config());
        let found = sweep::enumerate(&mut vm, &families)?;
        if list {
            for (family, label, name) in &found {
                println!("{family} {label} {name}");
            }
            return Ok((Vec::new(), Vec::new(), families));
        }
        let missing = sweep::uncovered(&families, &found);
        let mut lines = Vec::new();
        for f in &families {
            // Measured again before and after each family: a shared machine's
            // speed drifts over a run, and each row is judged against the rate
            // plain code earned next to it. Noise only slows plain code, so
            // the faster of the two is the aim (as each row keeps its fastest
            // run).
            let before = plain::aim(&mut vm);
            let first = lines.len();
            for &n in &f.sizes {
                lines.extend(measure(&mut vm, f, n, before)?);
            }
            let aim = before.max(plain::aim(&mut vm));
            for l in &mut lines[first..] {
                l.aim = aim;
            }
            eprintln!(
                "aim: plain code runs at {aim:.0} gas/µs here ({} measured at {before:.0} before it)",
                f.name
            );
        }
        confirm_below(&mut vm, &families, &mut lines)?;
        Ok::<_, String>((lines, missing, families))
    })
    .expect("interpreter thread");
    let (lines, missing, families) = match out {
        Ok(x) => x,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    };
    if list {
        return;
    }
    report(&lines, &missing, &families);
}

/// Sizes the repetitions from one run, then keeps the fastest of [`RUNS`]
/// (the median for fresh-copy rows).
fn measure(vm: &mut PvmInterpreter, f: &Family, n: usize, aim: f64) -> Result<Vec<Line>, String> {
    let ones = vec![1; f.rows.len()];
    let first = sweep::run_family(vm, f, n, &ones)?;
    let reps: Vec<u64> = first
        .iter()
        .zip(&f.rows)
        .map(|(m, row)| {
            let t = m.time.as_secs_f64().max(1e-7);
            let least = if row.prep.is_some() { MIN_PREP_REPS } else { 1 };
            ((TARGET.as_secs_f64() / t).ceil() as u64).clamp(least, MAX_REPS)
        })
        .collect();
    let mut runs: Vec<Vec<Measure>> = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        runs.push(sweep::run_family(vm, f, n, &reps)?);
    }
    Ok(f.rows
        .iter()
        .enumerate()
        .map(|(i, row)| {
            let times: Vec<Duration> = runs.iter().map(|r| r[i].time).collect();
            let fresh = row.prep.is_some();
            Line {
                family: f.name.clone(),
                name: row.name.clone(),
                stmt: row.stmt.clone(),
                n,
                best: Measure {
                    time: pick(&times, fresh),
                    ..runs[0][i].clone()
                },
                times,
                reps: reps[i],
                fresh,
                aim,
                again: false,
            }
        })
        .collect())
}

/// The time kept of several runs: the fastest, or for a fresh-copy row the
/// median (its time is a difference, row less control, and the least of
/// several noisy differences is biased toward zero).
fn pick(times: &[Duration], fresh: bool) -> Duration {
    let mut sorted = times.to_vec();
    sorted.sort();
    if fresh {
        sorted[sorted.len() / 2]
    } else {
        sorted[0]
    }
}

/// Measures every row below the band again, family by family after the
/// whole sweep, with the aim measured again next to it: a shared machine
/// that slowed down while a family ran makes its rows look under-priced (it
/// never makes them faster). The row keeps the pick of all its runs, judged
/// against the higher of its two aims, so a second pass can only clear a
/// row that really runs inside the band.
fn confirm_below(
    vm: &mut PvmInterpreter,
    families: &[Family],
    lines: &mut [Line],
) -> Result<(), String> {
    for f in families {
        let mut aim = None;
        for &n in &f.sizes {
            let at: Vec<usize> = (0..lines.len())
                .filter(|&i| lines[i].family == f.name && lines[i].n == n)
                .collect();
            if !at.iter().any(|&i| lines[i].below()) {
                continue;
            }
            let aim = *aim.get_or_insert_with(|| plain::aim(vm));
            // Rows in the band run once, only to keep the contract's order.
            let reps: Vec<u64> = at
                .iter()
                .map(|&i| if lines[i].below() { lines[i].reps } else { 1 })
                .collect();
            let mut runs = Vec::with_capacity(RUNS);
            for _ in 0..RUNS {
                runs.push(sweep::run_family(vm, f, n, &reps)?);
            }
            for (k, &i) in at.iter().enumerate() {
                let l = &mut lines[i];
                if !l.below() {
                    continue;
                }
                l.times.extend(runs.iter().map(|r| r[k].time));
                l.best.time = pick(&l.times, l.fresh);
                l.aim = l.aim.max(aim);
                l.again = true;
            }
        }
        if let Some(aim) = aim {
            eprintln!(
                "again: rows of {} below the band (aim now {aim:.0} gas/µs)",
                f.name
            );
        }
    }
    Ok(())
}

fn rate(m: &Measure) -> f64 {
    m.gas as f64 / (m.time.as_secs_f64() * 1e6).max(1e-3)
}

fn report(lines: &[Line], missing: &[String], families: &[Family]) {
    println!("| family | callable | statement | n | gas | µs | gas/µs | |");
    println!("|---|---|---|---:|---:|---:|---:|---|");
    let (mut low, mut high, mut bugs) = (0, 0, 0);
    let mut rates: Vec<(f64, String)> = Vec::new();
    for l in lines {
        let (band_high, bug) = (l.aim * BAND, l.aim / BUG);
        let r = rate(&l.best);
        let mark = if r < bug {
            bugs += 1;
            low += 1;
            "BUG"
        } else if l.below() {
            low += 1;
            "low"
        } else if r > band_high {
            high += 1;
            "high"
        } else {
            ""
        };
        let raised = l
            .best
            .raised
            .as_deref()
            .map(|c| format!(" (raises {c})"))
            .unwrap_or_default();
        let again = if l.again { " (again)" } else { "" };
        println!(
            "| {} | {} | `{}`{raised} | {} | {} | {:.1} | {:.0} | {mark}{again} |",
            l.family,
            l.name,
            l.stmt.replace('|', "\\|"),
            l.n,
            l.best.gas,
            l.best.time.as_secs_f64() * 1e6,
            r
        );
        rates.push((r, format!("{}.{} n={}", l.family, l.name, l.n)));
    }
    rates.sort_by(|a, b| a.0.total_cmp(&b.0));
    println!();
    println!("Skipped on purpose:");
    for f in families {
        for (name, reason) in &f.skips {
            println!("- {}.{name}: {reason}", f.name);
        }
    }
    if !missing.is_empty() {
        println!();
        println!("NOT COVERED (found in a type's or module's __dict__, no row and no skip):");
        for m in missing {
            println!("- {m}");
        }
    }
    if let (Some(min), Some(max)) = (rates.first(), rates.last()) {
        let median = rates[rates.len() / 2].0;
        println!();
        let mut aims: Vec<f64> = lines.iter().map(|l| l.aim).collect();
        aims.sort_by(f64::total_cmp);
        let (least, most) = (aims[0], aims[aims.len() - 1]);
        println!(
            "{} rows; aim {least:.0}..{most:.0} gas/µs (plain code on this machine, the faster of two \
             measurements around each family), band aim/{BAND}..aim*{BAND}; {low} below it ({bugs} under aim/{BUG}: \
             pricing bugs), {high} above it; {again} rows first below it were measured again at \
             the end",
            rates.len(),
            again = lines.iter().filter(|l| l.again).count()
        );
        println!(
            "spread max/min {:.1}x (min {:.0} {}, median {median:.0}, max {:.0} {})",
            max.0 / min.0,
            min.0,
            min.1,
            max.0,
            max.1
        );
        println!("lowest ten:");
        for (r, name) in rates.iter().take(10) {
            println!("  {r:.1} {name}");
        }
    }
}
