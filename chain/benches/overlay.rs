//! Costs of the overlay's synchronous operations: reads (pending, committed through a
//! `MemoryView`, committed through a chain `BlockView`), writes and checkpoints.

use commonware_runtime::{deterministic, Runner as _};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use pvm_chain::{ChainConfig, ChainState};
use pvm_overlay::{CommittedView, Limits, MemoryView, StateKey, StateOverlay};
use std::{collections::BTreeMap, hint::black_box};

const KEYS: u64 = 10_000;

fn key(i: u64) -> StateKey {
    StateKey::new([7; 32], format!("balance/{i:08}").into_bytes())
}

fn committed() -> MemoryView {
    MemoryView(
        (0..KEYS)
            .map(|i| (key(i), vec![1; 32]))
            .collect::<BTreeMap<_, _>>(),
    )
}

fn bench_reads<V: CommittedView>(c: &mut Criterion, name: &str, view: V) {
    let mut overlay = StateOverlay::new(view, Limits::default());
    for i in 0..KEYS / 2 {
        overlay.set(key(i), vec![2; 32]).unwrap();
    }
    let mut i = 0u64;
    c.bench_function(&format!("overlay/get_pending/{name}"), |b| {
        b.iter(|| {
            i = (i + 7919) % (KEYS / 2);
            black_box(overlay.get(&key(i)).unwrap())
        })
    });
    c.bench_function(&format!("overlay/get_committed/{name}"), |b| {
        b.iter(|| {
            i = (i + 7919) % (KEYS / 2);
            black_box(overlay.get(&key(KEYS / 2 + i)).unwrap())
        })
    });
}

fn overlay_ops(c: &mut Criterion) {
    bench_reads(c, "memory_view", committed());

    // The same reads through a chain's BlockView (lock + lineage check + mirror lookup).
    let inner = &mut *c;
    deterministic::Runner::seeded(0).start(|context| async move {
        let mut chain = ChainState::open(context, ChainConfig::new("bench"))
            .await
            .unwrap();
        let mut block = chain.execute_block(None, 1, [1; 32]).unwrap();
        for i in 0..KEYS {
            block.overlay_mut().set(key(i), vec![1; 32]).unwrap();
        }
        let pending = chain.merkleize(block).await.unwrap();
        chain.finalize(&pending).await.unwrap();
        let block = chain.execute_block(None, 2, [2; 32]).unwrap();
        bench_reads(inner, "block_view", block.overlay().view().clone());
    });

    let mut i = 0u64;
    c.bench_function("overlay/set", |b| {
        b.iter_batched_ref(
            || StateOverlay::new(MemoryView::default(), Limits::default()),
            |overlay| {
                i = (i + 7919) % KEYS;
                overlay.set(key(i), vec![3; 32]).unwrap();
            },
            BatchSize::SmallInput,
        )
    });
    let mut overlay = StateOverlay::new(committed(), Limits::default());
    c.bench_function("overlay/checkpoint_commit_empty", |b| {
        b.iter(|| {
            let cp = overlay.checkpoint().unwrap();
            overlay.commit(cp).unwrap();
        })
    });
    c.bench_function("overlay/tx_10_writes_commit", |b| {
        b.iter(|| {
            let cp = overlay.checkpoint().unwrap();
            for j in 0..10 {
                i = (i + 7919) % KEYS;
                overlay.set(key(i), vec![j; 32]).unwrap();
            }
            overlay.commit(cp).unwrap();
        })
    });
    c.bench_function("overlay/tx_10_writes_revert", |b| {
        b.iter(|| {
            let cp = overlay.checkpoint().unwrap();
            for j in 0..10 {
                i = (i + 7919) % KEYS;
                overlay.set(key(i), vec![j; 32]).unwrap();
            }
            overlay.revert(cp).unwrap();
        })
    });
    c.bench_function("overlay/nested_checkpoints_depth_8", |b| {
        b.iter(|| {
            let cps: Vec<_> = (0..8).map(|_| overlay.checkpoint().unwrap()).collect();
            for cp in cps.into_iter().rev() {
                overlay.commit(cp).unwrap();
            }
        })
    });
}

criterion_group!(benches, overlay_ops);
criterion_main!(benches);
