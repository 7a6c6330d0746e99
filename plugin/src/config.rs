//! Node-operator configuration: `pvm.toml`.
//!
//! Every key has a documented default (the shipped `config/pvm.toml` lists them
//! all); a file may set any subset. Unknown keys and bad values are refused with
//! a message naming the key. Keys under `[chain]` must be identical on every
//! validator of a chain (they decide receipts and state roots); the others are
//! local to the node. Relative paths in a file ([`PvmConfig::storage_dir`],
//! [`ChainConfig::gas_schedule`]) are relative to the file's directory, not to
//! the directory a command runs in.
//!
//! ```
//! use pvm_plugin::config::PvmConfig;
//!
//! let config = PvmConfig::from_toml("enabled = true\n[pool]\nsize = 2\n").unwrap();
//! assert_eq!(config.pool.size, 2);
//! let err = PvmConfig::from_toml("[pool]\nsise = 2\n").unwrap_err().to_string();
//! assert!(err.contains("sise"));
//! ```

use std::path::{Path, PathBuf};

use pvm_gas::{GasSchedule, MeteringMode};
use pvm_runtime::RuntimeConfig;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::{payload::PayloadLimits, tx::TxLimits};

/// Most interpreters `pool.size` may ask for (each is a thread with a large stack).
pub const MAX_POOL_SIZE: usize = 1024;

/// Largest `chain.max_code_bytes`: contract code is stored as one state value.
pub const MAX_CODE_BYTES_CAP: usize = pvm_overlay::Limits::DEFAULT_MAX_VALUE_LEN;

/// Largest `chain.max_input_bytes` (4 MiB): far above any call a contract needs,
/// and small enough that a transaction's size (code, input and envelope) is
/// computed without overflow on every target.
pub const MAX_INPUT_BYTES_CAP: usize = 4 << 20;

/// Bytes of a signed transaction besides its code and input (version, kind,
/// key, signature, nonce, gas limit, length prefixes), with room to spare.
pub const TX_ENVELOPE_BYTES: usize = 256;

/// The whole configuration.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct PvmConfig {
    /// Whether the node executes PVM transactions at all. Default: `false`.
    pub enabled: bool,
    /// Where the node keeps state and receipts (what `pvm block` and `pvm receipt`
    /// use given `--config` without `--state`). Default: `"pvm-data"`.
    pub storage_dir: PathBuf,
    /// The interpreter pool.
    pub pool: PoolConfig,
    /// Consensus parameters: identical on every validator.
    pub chain: ChainConfig,
}

/// Interpreter pool settings.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct PoolConfig {
    /// Warm interpreters kept ready, each on its own thread. Default: 2.
    pub size: usize,
    /// Longest wait for a free interpreter, in milliseconds. Default: 5000.
    pub checkout_timeout_ms: u64,
}

/// What every validator of a chain must agree on.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct ChainConfig {
    /// Most gas the transactions of one block may ask for. Default: 2,000,000,000.
    pub block_gas_limit: u64,
    /// Most gas one transaction may ask for. Default: 50,000,000.
    pub tx_gas_limit: u64,
    /// Largest contract code, bytes; at most the largest state value (65,536), since
    /// code is stored as one. Default: 65,536.
    pub max_code_bytes: usize,
    /// Largest call input, bytes. Default: 65,536.
    pub max_input_bytes: usize,
    /// Most transactions in a block. Default: 20,000.
    pub max_block_txs: usize,
    /// Bytes of sized allocations one transaction may make. Default: 67,108,864 (64 MiB).
    pub memory_limit_bytes: u64,
    /// `"opcode"` or `"coarse"`. Default: `"opcode"`.
    pub metering: MeteringMode,
    /// A gas schedule file (see `config/gas.toml`); empty means the built-in
    /// schedule, version 2. Default: `""`.
    pub gas_schedule: PathBuf,
}

impl Default for PvmConfig {
    fn default() -> Self {
        Self {
            enabled: false,
            storage_dir: PathBuf::from("pvm-data"),
            pool: PoolConfig::default(),
            chain: ChainConfig::default(),
        }
    }
}

impl Default for PoolConfig {
    fn default() -> Self {
        Self {
            size: 2,
            checkout_timeout_ms: 5_000,
        }
    }
}

impl Default for ChainConfig {
    fn default() -> Self {
        let tx = TxLimits::default();
        Self {
            block_gas_limit: 2_000_000_000,
            tx_gas_limit: tx.max_gas_limit,
            max_code_bytes: tx.max_code,
            max_input_bytes: tx.max_input,
            max_block_txs: PayloadLimits::default().max_txs,
            memory_limit_bytes: pvm_runtime::metering::DEFAULT_MEMORY_LIMIT,
            metering: MeteringMode::Opcode,
            gas_schedule: PathBuf::new(),
        }
    }
}

/// Why a configuration was refused.
#[derive(Debug, Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The TOML is invalid, has an unknown key or a bad value.
    #[error("invalid pvm configuration: {0}")]
    Parse(String),
    /// A value is out of range.
    #[error("invalid pvm configuration: `{key}` {problem}")]
    Value {
        /// The key.
        key: &'static str,
        /// What is wrong.
        problem: String,
    },
    /// The gas schedule file cannot be read.
    #[error("invalid pvm configuration: `chain.gas_schedule` ({path}): cannot read it: {source}")]
    ScheduleIo {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The gas schedule file is invalid.
    #[error("invalid pvm configuration: `chain.gas_schedule` ({path}): {source}")]
    Schedule {
        /// The file.
        path: PathBuf,
        /// Why.
        source: pvm_gas::ScheduleError,
    },
    /// This build cannot honour the configured metering.
    #[error(transparent)]
    Unsupported(#[from] pvm_runtime::UnsupportedMetering),
}

impl PvmConfig {
    /// Parses and validates a configuration.
    pub fn from_toml(text: &str) -> Result<Self, ConfigError> {
        let config: PvmConfig =
            toml::from_str(text).map_err(|e| ConfigError::Parse(e.to_string()))?;
        config.validate()?;
        Ok(config)
    }

    /// Reads, parses and validates `path`; relative paths in it are resolved
    /// against the file's directory.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io {
            path: path.to_owned(),
            source,
        })?;
        let mut config = Self::from_toml(&text)?;
        let base = path.parent().unwrap_or(Path::new(""));
        if config.storage_dir.is_relative() {
            config.storage_dir = base.join(&config.storage_dir);
        }
        let schedule = &mut config.chain.gas_schedule;
        if !schedule.as_os_str().is_empty() && schedule.is_relative() {
            *schedule = base.join(&*schedule);
        }
        Ok(config)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let positive = |key: &'static str, v: u64| {
            if v == 0 {
                Err(ConfigError::Value {
                    key,
                    problem: "must be greater than 0".into(),
                })
            } else {
                Ok(())
            }
        };
        positive("pool.size", self.pool.size as u64)?;
        positive("chain.block_gas_limit", self.chain.block_gas_limit)?;
        positive("chain.tx_gas_limit", self.chain.tx_gas_limit)?;
        positive("chain.max_code_bytes", self.chain.max_code_bytes as u64)?;
        positive("chain.max_block_txs", self.chain.max_block_txs as u64)?;
        positive("chain.memory_limit_bytes", self.chain.memory_limit_bytes)?;
        if self.pool.size > MAX_POOL_SIZE {
            return Err(ConfigError::Value {
                key: "pool.size",
                problem: format!(
                    "is {}, more than {MAX_POOL_SIZE} interpreters",
                    self.pool.size
                ),
            });
        }
        if self.chain.tx_gas_limit > self.chain.block_gas_limit {
            return Err(ConfigError::Value {
                key: "chain.tx_gas_limit",
                problem: format!(
                    "({}) exceeds chain.block_gas_limit ({})",
                    self.chain.tx_gas_limit, self.chain.block_gas_limit
                ),
            });
        }
        if self.chain.max_code_bytes > MAX_CODE_BYTES_CAP {
            return Err(ConfigError::Value {
                key: "chain.max_code_bytes",
                problem: format!(
                    "is {}, more than the {MAX_CODE_BYTES_CAP} bytes the state store holds in one \
                     value (contract code is stored as one)",
                    self.chain.max_code_bytes
                ),
            });
        }
        if self.chain.max_input_bytes > MAX_INPUT_BYTES_CAP {
            return Err(ConfigError::Value {
                key: "chain.max_input_bytes",
                problem: format!(
                    "is {}, more than the largest input a transaction may carry \
                     ({MAX_INPUT_BYTES_CAP} bytes)",
                    self.chain.max_input_bytes
                ),
            });
        }
        if self.chain.tx_gas_limit > i64::MAX as u64 {
            return Err(ConfigError::Value {
                key: "chain.tx_gas_limit",
                problem: format!("must be at most {}", i64::MAX),
            });
        }
        Ok(())
    }

    /// The configuration as TOML, every key present: reads back with
    /// [`PvmConfig::from_toml`] to the same values.
    pub fn to_toml(&self) -> Result<String, ConfigError> {
        toml::to_string(self).map_err(|e| ConfigError::Parse(e.to_string()))
    }

    /// The gas schedule the chain uses (the file, or the built-in [`GasSchedule::default`]).
    pub fn schedule(&self) -> Result<GasSchedule, ConfigError> {
        if self.chain.gas_schedule.as_os_str().is_empty() {
            return Ok(GasSchedule::CURRENT);
        }
        let path = &self.chain.gas_schedule;
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::ScheduleIo {
            path: path.clone(),
            source,
        })?;
        GasSchedule::from_toml(&text).map_err(|source| ConfigError::Schedule {
            path: path.clone(),
            source,
        })
    }

    /// The runtime configuration, refused if this build cannot honour it or
    /// the block gas limit is above what the runtime can hold to its price
    /// ([`RuntimeConfig::most_block_gas`]).
    pub fn runtime(&self) -> Result<RuntimeConfig, ConfigError> {
        let runtime = RuntimeConfig {
            schedule: self.schedule()?,
            metering: self.chain.metering,
            memory_limit: self.chain.memory_limit_bytes,
        };
        runtime.check_supported()?;
        let compile = runtime.schedule.compile_per_byte;
        let cache = pvm_runtime::CODE_CACHE_BYTES;
        let problem = match runtime.most_block_gas() {
            None => Some(
                "cannot be held to any price: the gas schedule's compile_per_byte is 0, so a \
                 block could compile without bound"
                    .to_string(),
            ),
            Some(most) if self.chain.block_gas_limit > most => Some(format!(
                "({}) buys compiling more contract code in one block than an interpreter \
                 keeps compiled ({cache} bytes at the schedule's compile_per_byte = \
                 {compile}): lower it to at most {most}",
                self.chain.block_gas_limit,
            )),
            Some(_) => None,
        };
        match problem {
            Some(problem) => Err(ConfigError::Value {
                key: "chain.block_gas_limit",
                problem,
            }),
            None => Ok(runtime),
        }
    }

    /// Transaction caps.
    pub fn tx_limits(&self) -> TxLimits {
        TxLimits {
            max_code: self.chain.max_code_bytes,
            max_input: self.chain.max_input_bytes,
            max_gas_limit: self.chain.tx_gas_limit,
        }
    }

    /// Block payload caps: a block carries any transaction the caps allow (a
    /// deploy holds both code and an init input). Saturating, so a configuration
    /// built in code without [`PvmConfig::from_toml`]'s checks cannot overflow.
    pub fn payload_limits(&self) -> PayloadLimits {
        PayloadLimits {
            max_txs: self.chain.max_block_txs,
            max_tx_bytes: self
                .chain
                .max_code_bytes
                .saturating_add(self.chain.max_input_bytes)
                .saturating_add(TX_ENVELOPE_BYTES),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_file_is_the_defaults() {
        let shipped = PvmConfig::from_toml(include_str!("../../config/pvm.toml")).unwrap();
        assert_eq!(
            shipped,
            PvmConfig {
                enabled: true,
                ..PvmConfig::default()
            }
        );
    }

    #[test]
    fn errors_name_the_key() {
        let cases = [
            ("colour = 1\n", "colour"),
            ("[chain]\nblock_gas = 1\n", "block_gas"),
            ("[pool]\nsize = 0\n", "pool.size"),
            ("[pool]\nsize = \"two\"\n", "size"),
            ("[chain]\nmetering = \"fast\"\n", "metering"),
            (
                "[chain]\ntx_gas_limit = 10\nblock_gas_limit = 5\n",
                "chain.tx_gas_limit",
            ),
            ("enabled = \"yes\"\n", "enabled"),
            ("[chain]\nmax_code_bytes = 65537\n", "chain.max_code_bytes"),
        ];
        for (text, key) in cases {
            let err = PvmConfig::from_toml(text).unwrap_err().to_string();
            assert!(err.contains(key), "{text:?}: {err}");
        }
    }

    #[test]
    fn caps_are_enforced_naming_the_key() {
        for (key, cap) in [
            ("max_code_bytes", MAX_CODE_BYTES_CAP),
            ("max_input_bytes", MAX_INPUT_BYTES_CAP),
        ] {
            let at = PvmConfig::from_toml(&format!("[chain]\n{key} = {cap}\n")).unwrap();
            assert!(at.payload_limits().max_tx_bytes > cap);
            for over in [cap + 1, i64::MAX as usize] {
                let err = PvmConfig::from_toml(&format!("[chain]\n{key} = {over}\n"))
                    .unwrap_err()
                    .to_string();
                assert!(
                    err.contains(&format!("chain.{key}")) && err.contains(&cap.to_string()),
                    "{err}"
                );
            }
        }
        let err = PvmConfig::from_toml(&format!("[pool]\nsize = {}\n", MAX_POOL_SIZE + 1))
            .unwrap_err()
            .to_string();
        assert!(err.contains("pool.size"), "{err}");
    }

    /// The fuzz regression (both caps at i64::MAX) is refused, and a
    /// configuration built without the checks still gives usable limits.
    #[test]
    fn payload_limits_cannot_overflow() {
        let input = include_str!("../../fuzz/regressions/config_parser/payload-limits-overflow");
        assert!(PvmConfig::from_toml(input).is_err());
        let mut config = PvmConfig::default();
        config.chain.max_code_bytes = usize::MAX;
        config.chain.max_input_bytes = usize::MAX;
        assert_eq!(config.payload_limits().max_tx_bytes, usize::MAX);
        let defaults = PvmConfig::default().payload_limits();
        assert_eq!(defaults.max_tx_bytes, 64 * 1024 * 2 + TX_ENVELOPE_BYTES);
    }

    #[test]
    fn load_resolves_relative_paths_against_the_file() {
        let dir = std::env::temp_dir().join(format!("pvm-config-paths-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("pvm.toml");
        std::fs::write(
            &path,
            "storage_dir = \"chain\"\n[chain]\ngas_schedule = \"gas.toml\"\n",
        )
        .unwrap();
        let config = PvmConfig::load(&path).unwrap();
        assert_eq!(config.storage_dir, dir.join("chain"));
        assert_eq!(config.chain.gas_schedule, dir.join("gas.toml"));
        let absolute = dir.join("elsewhere");
        std::fs::write(
            &path,
            format!("storage_dir = {:?}\n", absolute.to_str().unwrap()),
        )
        .unwrap();
        assert_eq!(PvmConfig::load(&path).unwrap().storage_dir, absolute);
        assert_eq!(
            PvmConfig::load(&path).unwrap().chain.gas_schedule,
            PathBuf::new(),
            "the built-in schedule stays the built-in one"
        );
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_block_cannot_pay_to_compile_more_than_the_code_cache_holds() {
        let mut config = PvmConfig::default();
        let most = pvm_runtime::CODE_CACHE_BYTES as u64 * GasSchedule::CURRENT.compile_per_byte;
        config.chain.block_gas_limit = most;
        assert!(config.runtime().is_ok());
        config.chain.block_gas_limit = most + GasSchedule::CURRENT.compile_per_byte;
        let err = config.runtime().unwrap_err().to_string();
        assert!(
            err.contains("chain.block_gas_limit") && err.contains(&most.to_string()),
            "{err}"
        );
        // A schedule that compiles for free can never be held to that.
        let dir = std::env::temp_dir().join(format!("pvm-config-compile-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("gas.toml");
        let free = GasSchedule {
            compile_per_byte: 0,
            ..GasSchedule::CURRENT
        };
        std::fs::write(&path, free.to_toml()).unwrap();
        let mut config = PvmConfig::default();
        config.chain.gas_schedule = path;
        let err = config.runtime().unwrap_err().to_string();
        assert!(err.contains("compile_per_byte is 0"), "{err}");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn schedule_file_is_loaded_and_checked() {
        let dir = std::env::temp_dir().join(format!("pvm-config-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("gas.toml");
        let changed = GasSchedule {
            per_kib: GasSchedule::CURRENT.per_kib + 1,
            ..GasSchedule::CURRENT
        };
        std::fs::write(&path, changed.to_toml()).unwrap();
        let mut config = PvmConfig::default();
        config.chain.gas_schedule = path.clone();
        assert_eq!(config.schedule().unwrap(), changed);
        std::fs::write(&path, "version = 2\n").unwrap();
        let err = config.schedule().unwrap_err().to_string();
        assert!(err.contains("gas.toml") && err.contains("missing"), "{err}");
        assert!(err.contains("chain.gas_schedule"), "{err}");
        config.chain.gas_schedule = dir.join("absent.toml");
        let err = config.schedule().unwrap_err().to_string();
        assert!(
            err.contains("chain.gas_schedule") && err.contains("absent.toml"),
            "{err}"
        );
        std::fs::remove_dir_all(dir).unwrap();
    }
}
