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
//!
//! # Blocks form a chain
//!
//! [`PvmNode::execute`] refuses a block that does not extend the block it is executed
//! on (the pending `parent`, else the committed tip, else Alto's genesis block, height
//! 0 at time 0): its parent digest must be that block's digest, its height that
//! block's height + 1, and its timestamp at least that block's
//! ([`BlockError::WrongParent`], [`BlockError::WrongHeight`],
//! [`BlockError::TimestampBeforeParent`]). Timestamps are monotonic, not strictly
//! increasing: PVM executes what consensus finalizes, and a rule stricter than the
//! consensus layer's could leave a finalized block that no validator can execute.
//! The committed tip's digest, height and timestamp are in the chain's commit
//! metadata, so the checks hold across restarts.
//!
//! # Chain parameters
//!
//! The node executes under [`ChainParams`] built from the configuration. The first open
//! of a store records them as the chain's genesis; a later open under other parameters
//! is refused, naming the parameter ([`NodeError::ChainParams`]); and each block is
//! executed only if the node's parameter digest is the chain's (see [`crate::params`]).
//!
//! # The executor thread stays free
//!
//! Waiting for an interpreter and running a block's transactions are blocking work:
//! [`PvmNode::execute`] hands both to a task spawned with the runtime's blocking hint
//! (`Spawner::shared(true)`) and awaits it. Under tokio that task runs on the blocking
//! pool, so the async worker threads keep serving other tasks while a block executes.
//! The deterministic runtime runs it on its one thread, in its seeded order, which is
//! what keeps simulations reproducible: an executor that awaited the interpreter's
//! thread there would either stall the simulation or let wall-clock time decide the
//! order of events.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use alto_types::{Block, Context as BlockContext, EPOCH};
use commonware_consensus::types::{Height, Round, View};
use commonware_cryptography::{ed25519, sha256, Digestible as _, Hasher as _, Sha256, Signer as _};
use commonware_runtime::Spawner;
use commonware_storage::Context;
use pvm_alto::RandomnessSeed;
use pvm_chain::{BlockInfo, ChainConfig, ChainError, ChainState, PendingBlock, Receipt};
use pvm_runtime::{InterpreterPool, PoolError};
use thiserror::Error;

use crate::{
    config::{ConfigError, PvmConfig},
    executor::{BlockError, BlockExecutor},
    params::{ChainParams, ParamsError},
    payload::{BlockPayload, PayloadLimits},
    pvm_tx::PvmHandler,
    registry::{BlockEnv, Registry},
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
    /// The task a block executes on did not finish (the runtime stopped or aborted it).
    #[error("the block's execution task did not finish: {0}")]
    Task(#[source] commonware_runtime::Error),
    /// The node's chain parameters are not the chain's.
    #[error(transparent)]
    ChainParams(#[from] ParamsError),
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
    pool: Arc<InterpreterPool>,
    executor: BlockExecutor,
    params: ChainParams,
    params_digest: [u8; 32],
    payload_limits: PayloadLimits,
    checkout_timeout: Duration,
    /// Spawns the blocking part of each block's execution.
    spawner: E,
}

impl<E: Context + Spawner> PvmNode<E> {
    /// Opens the node's storage on `context` (recovering to the last committed
    /// block) and builds its interpreter pool. Refuses a disabled or invalid
    /// configuration, one this build cannot honour, or one whose chain parameters
    /// differ from those the store recorded at genesis.
    pub async fn open(
        context: E,
        config: &PvmConfig,
        partition_prefix: &str,
    ) -> Result<Self, NodeError> {
        if !config.enabled {
            return Err(NodeError::Disabled);
        }
        let params = ChainParams::from_config(config)?;
        let chain_config = ChainConfig {
            limits: params.state,
            receipt_limits: params.receipts,
            genesis: params.encode(),
            ..ChainConfig::new(partition_prefix)
        };
        let spawner = context.child("execute");
        let chain = ChainState::open(context, chain_config).await?;
        params.check_genesis(chain.genesis())?;
        let mut registry = Registry::new();
        registry
            .register(PvmHandler::shared(params.tx))
            .expect("an empty registry takes any kind");
        let executor = BlockExecutor::new(registry, params.block_gas_limit);
        let pool = InterpreterPool::new(config.pool.size, params.runtime.clone())?;
        Ok(Self {
            chain,
            pool: Arc::new(pool),
            executor,
            params_digest: params.digest(),
            payload_limits: params.payload,
            params,
            checkout_timeout: Duration::from_millis(config.pool.checkout_timeout_ms),
            spawner,
        })
    }

    /// The chain parameters this node executes under (the chain's genesis).
    pub fn params(&self) -> &ChainParams {
        &self.params
    }

    /// The chain state (committed tip, state, receipts).
    pub fn chain(&self) -> &ChainState<E> {
        &self.chain
    }

    /// The interpreter pool.
    pub fn pool(&self) -> &InterpreterPool {
        self.pool.as_ref()
    }

    /// Checks and executes `block` on `parent` (`None` = the committed tip) and
    /// merkleizes the result; nothing is committed. The block must extend the block
    /// it is executed on (see the module docs).
    pub async fn execute(
        &self,
        parent: Option<&PendingBlock>,
        block: &Block,
    ) -> Result<ExecutedBlock, NodeError> {
        let height = block.height.get();
        let invalid = |error: BlockError| NodeError::InvalidBlock { height, error };
        let start = Instant::now();
        let genesis = self.chain.genesis_digest();
        if self.params_digest != genesis {
            return Err(ParamsError::Digest {
                genesis,
                local: self.params_digest,
            }
            .into());
        }
        self.check_link(parent, block).map_err(invalid)?;
        let payload = BlockPayload::decode(&block.data, &self.payload_limits)
            .map_err(|e| invalid(e.into()))?;
        let txs = self.executor.check(&payload).map_err(invalid)?;
        let env = BlockEnv {
            height,
            digest: block.digest().0,
            timestamp_ms: block.timestamp,
            seed: payload.seed,
        };
        let execution =
            self.chain
                .execute_block_at(parent, height, env.digest, env.timestamp_ms)?;
        let (pool, executor, timeout) = (
            self.pool.clone(),
            self.executor.clone(),
            self.checkout_timeout,
        );
        let (mut execution, receipts) = self
            .spawner
            .child("block")
            .shared(true)
            .spawn(move |_| async move {
                let mut execution = execution;
                let receipt_limits = *execution.receipt_limits();
                let overlay = execution.overlay_mut();
                let receipts = pool
                    .checkout(timeout)?
                    .run(|vm| executor.execute(&txs, &env, overlay, &receipt_limits, vm))?;
                Ok::<_, PoolError>((execution, receipts))
            })
            .await
            .map_err(NodeError::Task)??;
        let receipts = receipts.map_err(invalid)?;
        for receipt in &receipts {
            execution.push_receipt(receipt.clone())?;
        }
        metrics::histogram!("pvm_block_execution_seconds").record(start.elapsed().as_secs_f64());
        let pending = self.chain.merkleize(execution).await?;
        Ok(ExecutedBlock { pending, receipts })
    }

    /// Refuses `block` unless it extends `parent` (or the committed tip, or genesis).
    fn check_link(&self, parent: Option<&PendingBlock>, block: &Block) -> Result<(), BlockError> {
        let (digest, height, timestamp_ms) = match parent
            .map(PendingBlock::info)
            .or(self.chain.last_committed())
        {
            Some(info) => (info.digest, info.height, info.timestamp_ms),
            None => {
                let genesis = Block::genesis();
                (genesis.digest().0, genesis.height.get(), genesis.timestamp)
            }
        };
        if block.parent.0 != digest {
            return Err(BlockError::WrongParent {
                expected: digest,
                got: block.parent.0,
            });
        }
        let expected = height.saturating_add(1);
        if block.height.get() != expected {
            return Err(BlockError::WrongHeight {
                expected,
                got: block.height.get(),
            });
        }
        if block.timestamp < timestamp_ms {
            return Err(BlockError::TimestampBeforeParent {
                parent_ms: timestamp_ms,
                got_ms: block.timestamp,
            });
        }
        Ok(())
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
/// block extends `tip` (`None` = Alto's genesis block) at the next height, with a
/// timestamp of one second per height (never before the tip's) and a randomness
/// seed derived from the parent's digest.
///
/// On Alto the seed is the parent's threshold-VRF seed, which no proposer can
/// choose; a local chain has no VRF, so this stand-in is only as unpredictable
/// as the parent block, which is fine for tools and tests and no more.
pub fn local_block(tip: Option<BlockInfo>, txs: Vec<(u8, Vec<u8>)>) -> Block {
    let genesis = Block::genesis();
    let (parent, parent_height, parent_ms) = match tip {
        Some(tip) => (sha256::Digest(tip.digest), tip.height, tip.timestamp_ms),
        None => (genesis.digest(), genesis.height.get(), genesis.timestamp),
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
        height.saturating_mul(1_000).max(parent_ms),
        payload.encode().into(),
    )
}
