//! Committing a block of 10,000 writes: through the overlay and `ChainState` (execute,
//! merkleize, finalize) versus the same writes straight into a QMDB batch (hash keys,
//! write, merkleize, apply, commit), measured side by side in one run, on the deterministic
//! runtime (in-memory storage) and on the tokio runtime (a directory on disk).

use commonware_cryptography::{sha256, Hasher as _, Sha256};
use commonware_parallel::Sequential;
use commonware_runtime::{buffer::paged::CacheRef, deterministic, tokio, Runner as _, Spawner};
use commonware_storage::{
    mmr,
    qmdb::any::{unordered::variable, VariableConfig},
    translator::EightCap,
    Context,
};
use commonware_utils::{NZUsize, NZU16, NZU64};
use criterion::{criterion_group, criterion_main, Criterion};
use pvm_chain::{encode_entry, state_key_hash, ChainConfig, ChainState};
use pvm_overlay::StateKey;
use std::time::{Duration, Instant};

const WRITES: u64 = 10_000;

type RawDb<E> = variable::Db<mmr::Family, E, sha256::Digest, Vec<u8>, Sha256, EightCap, Sequential>;

fn write(i: u64) -> (StateKey, Vec<u8>) {
    let key = StateKey::new([7; 32], format!("balance/{i:08}").into_bytes());
    let value = Sha256::hash(&[&i.to_be_bytes()]).0.to_vec();
    (key, value)
}

/// One block of `WRITES` writes through the overlay; returns the time from the first write
/// to the durable commit.
async fn through_overlay<E: Context + Spawner>(context: E) -> Duration {
    let mut chain = ChainState::open(context, ChainConfig::new("bench-overlay"))
        .await
        .unwrap();
    let start = Instant::now();
    let mut block = chain.execute_block(None, 1, [1; 32]).unwrap();
    for i in 0..WRITES {
        let (key, value) = write(i);
        block.overlay_mut().set(key, value).unwrap();
    }
    let pending = chain.merkleize(block).await.unwrap();
    chain.finalize(&pending).await.unwrap();
    let elapsed = start.elapsed();
    chain.destroy().await.unwrap();
    elapsed
}

/// The same writes straight into a QMDB batch with the same configuration and the same
/// stored bytes.
async fn straight_to_qmdb<E: Context + Spawner>(context: E) -> Duration {
    let page_cache = CacheRef::from_pooler(&context, NZU16!(4096), NZUsize!(4096));
    let config = VariableConfig {
        merkle_config: mmr::full::Config {
            journal_partition: "bench-raw-merkle".into(),
            metadata_partition: "bench-raw-merkle-meta".into(),
            items_per_blob: NZU64!(4096),
            write_buffer: NZUsize!(64 * 1024),
            replay_buffer: NZUsize!(64 * 1024),
            strategy: Sequential,
            page_cache: page_cache.clone(),
        },
        journal_config: commonware_storage::journal::contiguous::variable::Config {
            partition: "bench-raw-log".into(),
            items_per_section: NZU64!(4096),
            write_buffer: NZUsize!(64 * 1024),
            replay_buffer: NZUsize!(64 * 1024),
            compression: None,
            codec_config: ((), ((0..=1 << 20).into(), ())),
            page_cache,
        },
        translator: EightCap,
        init_cache_size: Some(NZUsize!(1024)),
        init_buffer: NZUsize!(1 << 20),
        init_concurrency: (),
    };
    let db = RawDb::init(context, config).await.unwrap();
    let start = Instant::now();
    let mut batch = db.new_batch();
    for i in 0..WRITES {
        let (key, value) = write(i);
        // The same bytes the chain stores: the key travels with the value.
        batch = batch.write(
            sha256::Digest(state_key_hash(&key)),
            Some(encode_entry(&key, &value)),
        );
    }
    let batch = batch.merkleize(&db, None).await.unwrap();
    let (db, _) = db.apply_batch(batch).await.unwrap();
    let db = db.commit().await.unwrap();
    let elapsed = start.elapsed();
    db.destroy().await.unwrap();
    elapsed
}

fn storage_dir(tag: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("pvm-overlay-bench-{tag}-{}", std::process::id()))
}

fn block_commit(c: &mut Criterion) {
    let mut group = c.benchmark_group("block_commit_10k");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(8));

    // Alternate the two paths per iteration so machine noise hits both alike.
    group.bench_function("deterministic/overlay", |b| {
        b.iter_custom(|iters| {
            (0..iters)
                .map(|i| deterministic::Runner::seeded(i).start(through_overlay))
                .sum()
        })
    });
    group.bench_function("deterministic/qmdb", |b| {
        b.iter_custom(|iters| {
            (0..iters)
                .map(|i| deterministic::Runner::seeded(i).start(straight_to_qmdb))
                .sum()
        })
    });
    let on_disk = |tag: &'static str| {
        let dir = storage_dir(tag);
        let _ = std::fs::remove_dir_all(&dir);
        tokio::Runner::new(tokio::Config::new().with_storage_directory(dir))
    };
    group.bench_function("tokio/overlay", |b| {
        b.iter_custom(|iters| {
            (0..iters)
                .map(|_| on_disk("overlay").start(through_overlay))
                .sum()
        })
    });
    group.bench_function("tokio/qmdb", |b| {
        b.iter_custom(|iters| {
            (0..iters)
                .map(|_| on_disk("qmdb").start(straight_to_qmdb))
                .sum()
        })
    });
    group.finish();
    let _ = std::fs::remove_dir_all(storage_dir("overlay"));
    let _ = std::fs::remove_dir_all(storage_dir("qmdb"));
}

criterion_group!(benches, block_commit);
criterion_main!(benches);
