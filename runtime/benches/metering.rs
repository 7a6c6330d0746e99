//! Metering overhead: the same contracts timed in this build, for comparison
//! with a build without the per-opcode hook. `scripts/bench-metering.sh` builds
//! this bench twice (with and without the `opcode-gas` feature), runs the two
//! binaries alternately in one go and prints the overhead table.
//!
//! Prints one `name<TAB>median ns` line per workload.

/// The allocator the `pvm` binary uses, so the numbers are the node's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::time::Instant;

use pvm_host::{HostContext, MemoryHost};
use pvm_runtime::{metering::OPCODE_METERING_BUILT, on_interpreter_thread, PvmInterpreter};

const TOKEN: &[u8] = include_bytes!("../../integration/contracts/token.py");

const WORKLOADS: &[(&str, &str, &[u8])] = &[
    (
        "loop (1M iterations)",
        "def main(input):\n    s = 0\n    for i in range(1000000):\n        s += i\n    return str(s)\n",
        b"",
    ),
    (
        "recursion (fib 25)",
        "def fib(n):\n    return n if n < 2 else fib(n - 1) + fib(n - 2)\ndef main(input):\n    return str(fib(25))\n",
        b"",
    ),
    (
        "string work",
        "def main(input):\n    out = []\n    for i in range(20000):\n        w = ('item%d' % i).upper()\n        out.append(w[::-1] + ':' + str(len(w)))\n    return str(len(','.join(out).split(',')))\n",
        b"",
    ),
];

const RUNS: usize = 7;

fn main() {
    let mode = if OPCODE_METERING_BUILT {
        "opcode"
    } else {
        "coarse"
    };
    eprintln!("metering bench: this build meters {mode}");
    let results = on_interpreter_thread(|| {
        let mut vm = PvmInterpreter::new();
        let ctx = HostContext {
            sender: vec![0xaa],
            ..HostContext::default()
        };
        let mut rows = Vec::new();
        for (name, code, input) in WORKLOADS {
            rows.push((
                name.to_string(),
                median(|| {
                    let mut host = MemoryHost::new(ctx.clone(), u64::MAX / 4);
                    vm.execute(&mut host, code.as_bytes(), input)
                        .result
                        .unwrap();
                }),
            ));
        }
        // Token transfer: module already compiled, fresh globals each call.
        let mut host = MemoryHost::new(ctx.clone(), u64::MAX / 4);
        vm.execute(&mut host, TOKEN, b"transfer bb 1")
            .result
            .unwrap();
        let per_call = median(|| {
            for _ in 0..1000 {
                vm.execute(&mut host, TOKEN, b"transfer bb 1")
                    .result
                    .unwrap();
            }
        }) / 1000;
        rows.push(("token transfer (per call)".to_string(), per_call));
        rows
    })
    .expect("interpreter thread");
    for (name, ns) in results {
        println!("{name}\t{ns}");
    }
}

fn median(mut f: impl FnMut()) -> u128 {
    f();
    let mut times: Vec<u128> = (0..RUNS)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed().as_nanos()
        })
        .collect();
    times.sort();
    times[RUNS / 2]
}
