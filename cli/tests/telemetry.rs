//! `telemetry::install` in a process that already has a metrics recorder, as
//! a node embedding PVM with its own exporter would (its own process, so the
//! recorder installed here affects no other test).

use pvm_cli::metrics::{self as telemetry, TelemetryError};

#[test]
fn install_reports_a_recorder_already_installed() {
    metrics::set_global_recorder(metrics::NoopRecorder).unwrap();
    for _ in 0..2 {
        match telemetry::install() {
            Err(TelemetryError::RecorderInstalled) => {}
            Err(e) => panic!("wrong error: {e}"),
            Ok(_) => panic!("installed over the node's recorder"),
        }
    }
    let served = telemetry::serve("127.0.0.1:0".parse().unwrap());
    assert!(
        matches!(served, Err(TelemetryError::RecorderInstalled)),
        "{served:?}"
    );
    // Recording still works (through the node's recorder).
    metrics::counter!("pvm_txs_total").increment(1);
}
