//! `pvm-difftest`: long differential runs of generated programs.
//!
//! ```text
//! pvm-difftest cpython   --seeds 0..100000 [--batch 1000] [--minimize] [--verbose]
//! pvm-difftest histories --seeds 0..5000  [--batch 500]
//! pvm-difftest receipts  --seeds 0..100     one canonical receipt per line (a second process)
//! pvm-difftest show SEED                    the program's source
//! pvm-difftest minimize SEED                the smallest chunk subset that still disagrees
//! ```
//!
//! `cpython` compares PVM with CPython 3.11; `histories` compares PVM with
//! itself across fresh, shared, warmed-pool, churned-pool interpreters and a
//! second process. Both print program counts and every difference, and exit
//! with status 1 when there is any.

use std::ops::Range;
use std::process::ExitCode;
use std::time::Instant;

use pvm_integration::differential::{self, first_difference, pvm, Receipt};
use pvm_integration::progen::{self, Program};

struct Args {
    command: String,
    seeds: Range<u64>,
    batch: usize,
    minimize: bool,
    verbose: bool,
    seed: Option<u64>,
}

fn parse_args() -> Result<Args, String> {
    let mut it = std::env::args().skip(1);
    let command = it
        .next()
        .ok_or("missing command (cpython, histories, receipts, show, minimize)")?;
    let mut args = Args {
        command,
        seeds: 0..1000,
        batch: 1000,
        minimize: false,
        verbose: false,
        seed: None,
    };
    while let Some(a) = it.next() {
        match a.as_str() {
            "--seeds" => {
                let spec = it.next().ok_or("--seeds needs A..B")?;
                let (a, b) = spec.split_once("..").ok_or("--seeds needs A..B")?;
                let a = a.parse().map_err(|_| format!("bad seed {a}"))?;
                let b = b.parse().map_err(|_| format!("bad seed {b}"))?;
                args.seeds = a..b;
            }
            "--batch" => {
                args.batch = it
                    .next()
                    .and_then(|b| b.parse().ok())
                    .filter(|&b| b > 0)
                    .ok_or("--batch needs a positive number")?;
            }
            "--minimize" => args.minimize = true,
            "--verbose" => args.verbose = true,
            other => {
                args.seed = Some(
                    other
                        .parse()
                        .map_err(|_| format!("unexpected argument {other}"))?,
                );
            }
        }
    }
    Ok(args)
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("pvm-difftest: {e}");
            return ExitCode::from(2);
        }
    };
    let clean = match args.command.as_str() {
        "cpython" => cpython(&args),
        "histories" => histories(&args),
        "receipts" => {
            let programs: Vec<Program> = args.seeds.clone().map(progen::generate).collect();
            for (p, r) in programs.iter().zip(pvm::run_shared(&programs)) {
                let line = serde_json::to_string(&(p.seed, String::from_utf8_lossy(&r.encode())))
                    .expect("receipt serializes");
                println!("{line}");
            }
            true
        }
        "show" => {
            let Some(seed) = args.seed else {
                eprintln!("pvm-difftest: show needs a seed");
                return ExitCode::from(2);
            };
            print!("{}", progen::generate(seed).source());
            true
        }
        "minimize" => {
            let Some(seed) = args.seed else {
                eprintln!("pvm-difftest: minimize needs a seed");
                return ExitCode::from(2);
            };
            let p = progen::generate(seed);
            if !differential::disagrees_with_cpython(&p) {
                println!("seed {seed}: PVM and CPython agree");
                return ExitCode::SUCCESS;
            }
            report_minimized(&p);
            false
        }
        other => {
            eprintln!("pvm-difftest: unknown command {other}");
            return ExitCode::from(2);
        }
    };
    if clean {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn report_minimized(p: &Program) {
    let small = differential::minimize(p, differential::disagrees_with_cpython);
    match differential::compare_with_cpython(std::slice::from_ref(&small)) {
        Ok(m) if !m.is_empty() => println!("minimized {}", m[0].report()),
        _ => println!("seed {}: minimizing lost the mismatch", p.seed),
    }
}

fn batches(args: &Args) -> impl Iterator<Item = Vec<Program>> + '_ {
    let mut next = args.seeds.start;
    std::iter::from_fn(move || {
        if next >= args.seeds.end {
            return None;
        }
        let end = (next + args.batch as u64).min(args.seeds.end);
        let batch = (next..end).map(progen::generate).collect();
        next = end;
        Some(batch)
    })
}

fn cpython(args: &Args) -> bool {
    let start = Instant::now();
    let (mut programs, mut mismatches) = (0usize, Vec::new());
    for batch in batches(args) {
        match differential::compare_with_cpython(&batch) {
            Ok(m) => {
                programs += batch.len();
                for x in &m {
                    let diff = first_difference(&x.cpython, &x.pvm);
                    println!("MISMATCH seed {}: {}", x.program.seed, diff.trim_start());
                    if args.verbose {
                        println!("{}", x.report());
                    }
                }
                mismatches.extend(m);
            }
            Err(e) => {
                eprintln!("pvm-difftest: {e}");
                return false;
            }
        }
        eprintln!(
            "  {programs} programs, {} mismatches ({:.0?})",
            mismatches.len(),
            start.elapsed()
        );
    }
    if args.minimize {
        for m in mismatches.iter().take(20) {
            report_minimized(&m.program);
        }
    }
    println!(
        "cpython: {programs} programs (seeds {}..{}), {} mismatches, {:.1?}",
        args.seeds.start,
        args.seeds.end,
        mismatches.len(),
        start.elapsed()
    );
    mismatches.is_empty()
}

fn histories(args: &Args) -> bool {
    let start = Instant::now();
    let exe = std::env::current_exe().expect("own path");
    let (mut programs, mut differences) = (0usize, 0usize);
    for batch in batches(args) {
        let reference = pvm::run_fresh(&batch);
        let shared = pvm::run_shared(&batch);
        let (warmed, churned) = pvm::run_on_pool(&batch);
        let other =
            match pvm::second_process(&exe, batch[0].seed..batch[0].seed + batch.len() as u64) {
                Ok(r) => r,
                Err(e) => {
                    eprintln!("pvm-difftest: second process: {e}");
                    return false;
                }
            };
        for (i, p) in batch.iter().enumerate() {
            let want = reference[i].encode();
            let runs: [(&str, &Receipt); 3] = [
                ("shared", &shared[i]),
                ("warmed pool", &warmed[i]),
                ("churned pool", &churned[i]),
            ];
            for (name, r) in runs {
                if r.encode() != want {
                    differences += 1;
                    println!(
                        "DIFFERENCE seed {} ({name} vs fresh): {}",
                        p.seed,
                        first_difference(&reference[i], r)
                    );
                }
            }
            if other[i] != want {
                differences += 1;
                println!("DIFFERENCE seed {} (second process vs fresh)", p.seed);
            }
        }
        programs += batch.len();
        eprintln!(
            "  {programs} programs, {differences} differences ({:.0?})",
            start.elapsed()
        );
    }
    println!(
        "histories: {programs} programs x 5 histories (seeds {}..{}), {differences} differences, {:.1?}",
        args.seeds.start,
        args.seeds.end,
        start.elapsed()
    );
    differences == 0
}
