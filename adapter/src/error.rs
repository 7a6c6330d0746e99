//! The one place where errors of Alto's block state become [`HostError`]s.
//!
//! Limits a contract ran into are its own fault ([`HostError::InvalidInput`], which
//! it can catch); anything that means the node's state is unusable for this block is
//! [`HostError::StorageError`], which fails the transaction whatever the contract
//! does; a misused overlay is a bug in the node ([`HostError::Internal`]).

use pvm_host::HostError;
use pvm_overlay::OverlayError;

/// The host error a contract sees for an overlay error.
pub fn host_error(e: OverlayError) -> HostError {
    match e {
        OverlayError::KeyTooLarge { .. }
        | OverlayError::ValueTooLarge { .. }
        | OverlayError::EventTooLarge { .. }
        | OverlayError::TooManyEvents { .. } => HostError::InvalidInput(e.to_string()),
        OverlayError::StaleView => HostError::StorageError(e.to_string()),
        OverlayError::DepthExceeded { .. }
        | OverlayError::CheckpointOutOfOrder { .. }
        | OverlayError::CheckpointsOpen { .. } => HostError::Internal(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pvm_host::HostErrorKind;

    #[test]
    fn limits_are_the_contracts_fault_staleness_is_storage() {
        let too_big = OverlayError::ValueTooLarge {
            key: b"k".to_vec(),
            len: 10,
            limit: 5,
        };
        let e = host_error(too_big);
        assert_eq!(e.kind(), HostErrorKind::InvalidInput);
        assert!(e.to_string().contains("limit of 5 bytes"), "{e}");
        assert_eq!(
            host_error(OverlayError::StaleView).kind(),
            HostErrorKind::StorageError
        );
        assert_eq!(
            host_error(OverlayError::CheckpointsOpen { open: 1 }).kind(),
            HostErrorKind::Internal
        );
    }
}
