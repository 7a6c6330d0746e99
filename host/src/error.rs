//! Errors a host call can end with.

use thiserror::Error;

/// Why a host call failed. Each variant is surfaced to Python as its own
/// subclass of `pvm_host.HostError`, named like the variant.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
pub enum HostError {
    /// The transaction has no gas left for the work it asked for.
    #[error("out of gas: needed {needed}, {left} left")]
    OutOfGas {
        /// Gas the refused charge asked for.
        needed: u64,
        /// Gas that was left before the charge.
        left: u64,
    },
    /// An argument is malformed or beyond a limit (key or value too large, ...).
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// Something the call needs does not exist.
    #[error("not found: {0}")]
    NotFound(String),
    /// The backing store failed; the transaction cannot continue safely.
    #[error("storage error: {0}")]
    StorageError(String),
    /// The call is not allowed for this contract or in this context.
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// A bug or broken invariant in the host.
    #[error("internal host error: {0}")]
    Internal(String),
}

/// The kind of a [`HostError`] without its details; stable names used in receipts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum HostErrorKind {
    /// See [`HostError::OutOfGas`].
    OutOfGas,
    /// See [`HostError::InvalidInput`].
    InvalidInput,
    /// See [`HostError::NotFound`].
    NotFound,
    /// See [`HostError::StorageError`].
    StorageError,
    /// See [`HostError::Forbidden`].
    Forbidden,
    /// See [`HostError::Internal`].
    Internal,
}

impl HostErrorKind {
    /// Every kind, in declaration order.
    pub const ALL: [HostErrorKind; 6] = [
        HostErrorKind::OutOfGas,
        HostErrorKind::InvalidInput,
        HostErrorKind::NotFound,
        HostErrorKind::StorageError,
        HostErrorKind::Forbidden,
        HostErrorKind::Internal,
    ];

    /// The kind's name as it appears in receipts and as the Python exception class.
    pub fn name(self) -> &'static str {
        match self {
            HostErrorKind::OutOfGas => "OutOfGas",
            HostErrorKind::InvalidInput => "InvalidInput",
            HostErrorKind::NotFound => "NotFound",
            HostErrorKind::StorageError => "StorageError",
            HostErrorKind::Forbidden => "Forbidden",
            HostErrorKind::Internal => "Internal",
        }
    }

    /// The kind with the given [`HostErrorKind::name`], if any.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.name() == name)
    }
}

impl HostError {
    /// The kind of this error.
    pub fn kind(&self) -> HostErrorKind {
        match self {
            HostError::OutOfGas { .. } => HostErrorKind::OutOfGas,
            HostError::InvalidInput(_) => HostErrorKind::InvalidInput,
            HostError::NotFound(_) => HostErrorKind::NotFound,
            HostError::StorageError(_) => HostErrorKind::StorageError,
            HostError::Forbidden(_) => HostErrorKind::Forbidden,
            HostError::Internal(_) => HostErrorKind::Internal,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_names_round_trip() {
        for kind in HostErrorKind::ALL {
            assert_eq!(HostErrorKind::from_name(kind.name()), Some(kind));
        }
        assert_eq!(HostErrorKind::from_name("Exception"), None);
    }

    #[test]
    fn messages_carry_details() {
        let e = HostError::OutOfGas {
            needed: 10,
            left: 3,
        };
        assert_eq!(e.to_string(), "out of gas: needed 10, 3 left");
        assert_eq!(e.kind(), HostErrorKind::OutOfGas);
        assert_eq!(
            HostError::InvalidInput("key too long".into()).to_string(),
            "invalid input: key too long"
        );
    }
}
