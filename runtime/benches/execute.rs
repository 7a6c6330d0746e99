//! `execute` of a token transfer on a warm interpreter.

/// The allocator the `pvm` binary uses, so the numbers are the node's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use criterion::{criterion_group, criterion_main, Criterion};
use pvm_host::{HostContext, MemoryHost};
use pvm_runtime::PvmInterpreter;

const TOKEN: &[u8] = include_bytes!("../../integration/contracts/token.py");

fn token_transfer(c: &mut Criterion) {
    let mut vm = PvmInterpreter::new();
    let ctx = HostContext {
        sender: vec![0xaa],
        ..HostContext::default()
    };
    let mut host = MemoryHost::new(ctx, u64::MAX);
    // Warm: code compiled and cached, supply minted.
    vm.execute(&mut host, TOKEN, b"transfer bb 1")
        .result
        .unwrap();
    c.bench_function("runtime/execute/token_transfer_warm", |b| {
        b.iter(|| {
            vm.execute(&mut host, TOKEN, b"transfer bb 1")
                .result
                .unwrap()
        })
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30);
    targets = token_transfer
}
criterion_main!(benches);
