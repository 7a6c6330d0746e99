//! [`PvmNode`]: what a validator runs for PVM blocks.
//!
//! It owns the chain state ([`ChainState`]: QMDB state, receipts, the committed
//! tip), the warm [`InterpreterPool`] and the [`BlockExecutor`] with its
//! transaction-type [`Registry`]. For an Alto block it decodes the payload,
//! checks every transaction (stateless, batched signatures), leases an
//! interpreter and executes the transactions on an overlay forked from the
//! parent, then merkleizes the overlay into a QMDB batch whose root is the
//! block's state root. Finalizing applies and commits that batch with the
//! block's receipts. Unfinalized blocks fork freely ([`PvmNode::execute`] takes
//! any pending parent); [`PvmNode::apply`] is execute + finalize on the tip.
//!
//! Blocks are pure functions of their parent state and contents: the same block
//! gives the same receipts and state root on every node and every run.

use std::time::{Duration, Instant};

use alto_types::{Block, Context as BlockContext, EPOCH};
use commonware_consensus::types::{Height, Round, View};
use commonware_cryptography::{ed25519, sha256, Digestible as _, Hasher as _, Sha256, Signer as _};
use commonware_runtime::Spawner;
use commonware_storage::Context;
use pvm_alto::RandomnessSeed;
use pvm_overlay::{BlockInfo, ChainConfig, ChainError, ChainState, PendingBlock, Receipt};
use pvm_runtime::{InterpreterPool, PoolError};
use thiserror::Error;

use crate::{
    config::{ConfigError, PvmConfig},
    executor::{BlockEnv, BlockError, BlockExecutor},
    payload::{BlockPayload, PayloadLimits},
    pvm_tx::PvmHandler,
    registry::Registry,
};

/// Why a node could not start or process a block.
#[derive(Debug, Error)]
pub enum NodeError {
    /// The configuration is invalid or cannot be honoured by this build.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// PVM is switched off in the configuration.
    #[error("pvm is disabled in the configuration (set `enabled = true`)")]
    Disabled,
    /// The block is invalid; nothing of it was applied.
    #[error("invalid block at height {height}: {error}")]
    InvalidBlock {
        /// The block's height.
        height: u64,
        /// What is wrong.
        error: BlockError,
    },
    /// Storage failed.
    #[error(transparent)]
    Chain(#[from] ChainError),
    /// No interpreter could be had.
    #[error(transparent)]
    Pool(#[from] PoolError),
}

/// A block executed on top of its parent, not yet committed.
pub struct ExecutedBlock {
    /// Merkleized state and receipts, ready to finalize.
    pub pending: PendingBlock,
    /// The block's receipts, in transaction order.
    pub receipts: Vec<Receipt>,
}

/// The PVM side of a validator.
pub struct PvmNode<E: Context + Spawner> {
    chain: ChainState<E>,
    pool: InterpreterPool,
    executor: BlockExecutor,
    payload_limits: PayloadLimits,
    checkout_timeout: Duration,
}

impl<E: Context + Spawner> PvmNode<E> {
    /// Opens the node's storage on `context` (recovering to the last committed
    /// block) and builds its interpreter pool. Refuses a disabled or invalid
    /// configuration, or one this build cannot honour.
    pub async fn open(
        context: E,
        config: &PvmConfig,
        partition_prefix: &str,
    ) -> Result<Self, NodeError> {
        if !config.enabled {
            return Err(NodeError::Disabled);
        }
        let runtime = config.runtime()?;
        let mut registry = Registry::new();
        registry
            .register(PvmHandler::shared(config.tx_limits()))
            .expect("an empty registry takes any kind");
        let executor = BlockExecutor::new(registry, config.chain.block_gas_limit);
        let pool = InterpreterPool::new(config.pool.size, runtime)?;
        let chain = ChainState::open(context, ChainConfig::new(partition_prefix)).await?;
        Ok(Self {
            chain,
            pool,
            executor,
            payload_limits: config.payload_limits(),
            checkout_timeout: Duration::from_millis(config.pool.checkout_timeout_ms),
        })
    }

    /// The chain state (committed tip, state, receipts).
    pub fn chain(&self) -> &ChainState<E> {
        &self.chain
    }

    /// The interpreter pool.
    pub fn pool(&self) -> &InterpreterPool {
        &self.pool
    }

    /// Checks and executes `block` on `parent` (`None` = the committed tip) and
    /// merkleizes the result; nothing is committed.
    pub async fn execute(
        &self,
        parent: Option<&PendingBlock>,
        block: &Block,
    ) -> Result<ExecutedBlock, NodeError> {
        let height = block.height.get();
        let invalid = |error: BlockError| NodeError::InvalidBlock { height, error };
        let start = Instant::now();
        let payload = BlockPayload::decode(&block.data, &self.payload_limits)
            .map_err(|e| invalid(e.into()))?;
        let txs = self.executor.check(&payload).map_err(invalid)?;
        let env = BlockEnv {
            height,
            digest: block.digest().0,
            timestamp_ms: block.timestamp,
            seed: payload.seed,
        };
        let mut execution = self.chain.execute_block(parent, height, env.digest)?;
        let receipts = {
            let receipt_limits = *execution.receipt_limits();
            let overlay = execution.overlay_mut();
            let executor = &self.executor;
            let mut lease = self.pool.checkout(self.checkout_timeout)?;
            lease
                .run(|vm| executor.execute(&txs, &env, overlay, &receipt_limits, vm))?
                .map_err(invalid)?
        };
        for receipt in &receipts {
            execution.push_receipt(receipt.clone())?;
        }
        metrics::histogram!("pvm_block_execution_seconds").record(start.elapsed().as_secs_f64());
        let pending = self.chain.merkleize(execution).await?;
        Ok(ExecutedBlock { pending, receipts })
    }

    /// Commits an executed block (and its unfinalized ancestors).
    pub async fn finalize(&mut self, block: &ExecutedBlock) -> Result<BlockInfo, NodeError> {
        let start = Instant::now();
        let info = self.chain.finalize(&block.pending).await?;
        metrics::histogram!("pvm_state_commit_seconds").record(start.elapsed().as_secs_f64());
        metrics::gauge!("pvm_committed_height").set(info.height as f64);
        Ok(info)
    }

    /// Executes `block` on the committed tip and commits it.
    pub async fn apply(&mut self, block: &Block) -> Result<(BlockInfo, Vec<Receipt>), NodeError> {
        let executed = self.execute(None, block).await?;
        let info = self.finalize(&executed).await?;
        Ok((info, executed.receipts))
    }

    /// Syncs storage and closes the node.
    pub async fn close(self) -> Result<(), NodeError> {
        Ok(self.chain.close().await?)
    }
}

/// Where a chain without consensus (the `pvm` tool) takes its blocks from: each
/// block extends the committed tip at the next height, with a timestamp of one
/// second per height and a randomness seed derived from the parent's digest.
///
/// On Alto the seed is the parent's threshold-VRF seed, which no proposer can
/// choose; a local chain has no VRF, so this stand-in is only as unpredictable
/// as the parent block, which is fine for tools and tests and no more.
pub fn local_block(tip: Option<BlockInfo>, txs: Vec<(u8, Vec<u8>)>) -> Block {
    let genesis = Block::genesis();
    let (parent, parent_height) = match tip {
        Some(tip) => (sha256::Digest(tip.digest), tip.height),
        None => (genesis.digest(), genesis.height.get()),
    };
    let height = parent_height + 1;
    let seed = RandomnessSeed(Sha256::hash(&[b"pvm/local-seed/v1", &parent.0]).0);
    let payload = BlockPayload { seed, txs };
    let context = BlockContext {
        round: Round::new(EPOCH, View::new(height)),
        leader: ed25519::PrivateKey::from_seed(0).public_key(),
        parent: (View::new(parent_height), parent),
    };
    Block::new(
        context,
        parent,
        Height::new(height),
        height * 1_000,
        payload.encode().into(),
    )
}
