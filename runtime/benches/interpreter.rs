//! Creating and hardening a fresh interpreter.

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
