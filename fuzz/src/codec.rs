//! The wire decoders: transactions, block payloads and receipts.
//!
//! Each target feeds the bytes to the decoder a validator runs on input from
//! peers or from its own store, and checks what a decoder owes its callers:
//! no panic, and a canonical format (whatever decodes re-encodes to exactly the
//! same bytes, so a value has one encoding and one hash). The transaction and
//! payload targets also run the PVM handler's checks, single and batched, and
//! require them to agree.

use std::sync::OnceLock;

use commonware_codec::{Decode as _, Encode as _, EncodeSize as _};
use pvm_chain::{Receipt, ReceiptLimits};
use pvm_plugin::payload::{BlockPayload, PayloadLimits};
use pvm_plugin::pvm_tx::{PvmHandler, PVM_TX_KIND};
use pvm_plugin::registry::TxHandler as _;
use pvm_plugin::tx::{encoded_len, Transaction, TxLimits};

fn handler() -> &'static PvmHandler {
    static HANDLER: OnceLock<PvmHandler> = OnceLock::new();
    HANDLER.get_or_init(|| PvmHandler::new(TxLimits::default()))
}

/// `Transaction::decode` and `verify_signature`, and the handler's `check` and
/// `check_many` on the same bytes.
pub fn tx_decoder(data: &[u8]) {
    let decoded = Transaction::decode(data, &TxLimits::default());
    let verified = decoded.as_ref().map(|tx| tx.verify_signature());
    if let Ok(tx) = &decoded {
        assert_eq!(
            tx.encode(),
            data,
            "a decoded transaction re-encodes as read"
        );
        assert_eq!(encoded_len(tx), data.len());
    }
    let single = handler().check(data);
    assert_eq!(
        single.is_ok(),
        matches!(verified, Ok(Ok(()))),
        "check() disagrees with decode + verify_signature: {single:?}"
    );
    check_many_agrees(&[data]);
}

/// Checks that `check_many` accepts exactly the lists whose every member
/// `check` accepts, names one that `check` refuses for the same reason, and
/// hashes like `check`.
fn check_many_agrees(txs: &[&[u8]]) {
    let singles: Vec<_> = txs.iter().map(|t| handler().check(t)).collect();
    match handler().check_many(txs) {
        Ok(checked) => {
            assert_eq!(checked.len(), txs.len());
            for (i, (many, single)) in checked.iter().zip(&singles).enumerate() {
                let single = single
                    .as_ref()
                    .unwrap_or_else(|e| panic!("check_many accepted tx {i}, check refused: {e}"));
                assert_eq!(many.hash, single.hash);
                assert_eq!(many.gas_limit, single.gas_limit);
                assert_eq!(many.kind, PVM_TX_KIND);
            }
        }
        Err((at, why)) => {
            // Not necessarily the first that `check` refuses: decoding errors
            // are found before any signature is checked, in one batch.
            let single = singles
                .get(at)
                .unwrap_or_else(|| panic!("check_many names tx {at} of {}", txs.len()))
                .as_ref()
                .err()
                .unwrap_or_else(|| panic!("check_many refuses tx {at} ({why}), check accepts it"));
            assert_eq!(&why, single, "check_many and check give different reasons");
        }
    }
}

/// `BlockPayload::decode`, then the handler's batch check of its PVM entries.
pub fn payload_decoder(data: &[u8]) {
    let limits = PayloadLimits::default();
    let Ok(payload) = BlockPayload::decode(data, &limits) else {
        return;
    };
    assert_eq!(
        payload.encode(),
        data,
        "a decoded payload re-encodes as read"
    );
    assert!(payload.txs.len() <= limits.max_txs);
    assert!(payload
        .txs
        .iter()
        .all(|(_, t)| t.len() <= limits.max_tx_bytes));
    let pvm: Vec<&[u8]> = payload
        .txs
        .iter()
        .filter(|(kind, _)| *kind == PVM_TX_KIND)
        .map(|(_, t)| t.as_slice())
        .collect();
    check_many_agrees(&pvm);
}

/// `Receipt::decode_cfg` under the default limits, the stored-receipt layout
/// (block height, then the receipt), and the exactness of every limit.
pub fn receipt_decoder(data: &[u8]) {
    let limits = ReceiptLimits::default();
    // The receipt journal's item (`StoredReceipt`, private to the chain
    // module) is a big-endian u64 height followed by the receipt: the same
    // bytes as this tuple.
    if let Ok((height, receipt)) = <(u64, Receipt)>::decode_cfg(data, &((), limits)) {
        assert_eq!((height, receipt).encode().as_ref(), data);
    }
    let Ok(receipt) = Receipt::decode_cfg(data, &limits) else {
        return;
    };
    assert_eq!(receipt.encode_size(), data.len());
    assert_eq!(
        receipt.encode().as_ref(),
        data,
        "a decoded receipt re-encodes as read"
    );

    // Limits set to exactly what this receipt uses accept it; one less on
    // any of them refuses it.
    let events = &receipt.events;
    let error_len = receipt
        .error
        .as_ref()
        .map_or(0, |e| e.kind.len().max(e.message.len()));
    // A limit added later keeps its default here until this list names it.
    #[allow(clippy::needless_update)]
    let exact = ReceiptLimits {
        max_output_len: receipt.output.len(),
        max_events: events.len(),
        max_topic_len: events.iter().map(|e| e.topic.len()).max().unwrap_or(0),
        max_event_data_len: events.iter().map(|e| e.data.len()).max().unwrap_or(0),
        max_error_len: error_len,
        ..limits
    };
    let again = Receipt::decode_cfg(data, &exact)
        .unwrap_or_else(|e| panic!("refused at limits it fits exactly ({exact:?}): {e}"));
    assert_eq!(again, receipt);
    let tighter = [
        (exact.max_output_len > 0).then(|| ReceiptLimits {
            max_output_len: exact.max_output_len - 1,
            ..exact
        }),
        (exact.max_events > 0).then(|| ReceiptLimits {
            max_events: exact.max_events - 1,
            ..exact
        }),
        (exact.max_topic_len > 0).then(|| ReceiptLimits {
            max_topic_len: exact.max_topic_len - 1,
            ..exact
        }),
        (exact.max_event_data_len > 0).then(|| ReceiptLimits {
            max_event_data_len: exact.max_event_data_len - 1,
            ..exact
        }),
        (exact.max_error_len > 0).then(|| ReceiptLimits {
            max_error_len: exact.max_error_len - 1,
            ..exact
        }),
    ];
    for tight in tighter.into_iter().flatten() {
        assert!(
            Receipt::decode_cfg(data, &tight).is_err(),
            "decoded past a limit: {tight:?}"
        );
    }
}
