//! Creating and hardening a fresh interpreter.

/// The allocator the `pvm` binary uses, so the numbers are the node's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use criterion::{criterion_group, criterion_main, Criterion};
use pvm_runtime::PvmInterpreter;

fn create(c: &mut Criterion) {
    c.bench_function("runtime/interpreter/new", |b| b.iter(PvmInterpreter::new));
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10);
    targets = create
}
criterion_main!(benches);
