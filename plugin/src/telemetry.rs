//! Metrics: PVM records through the `metrics` facade only, into whichever
//! recorder the process installed (the `pvm` binary installs Prometheus's and
//! serves it, `pvm-cli`'s `metrics` module; a node exports them with its own).
//!
//! | metric | type | what |
//! |---|---|---|
//! | `pvm_tx_gas_used{kind}` | histogram | gas used per transaction |
//! | `pvm_tx_execution_seconds{kind}` | histogram | time to execute one transaction |
//! | `pvm_txs_total{kind,outcome,error_kind}` | counter | transactions by outcome and error kind |
//! | `pvm_block_execution_seconds` | histogram | check + execute + merkleize one block |
//! | `pvm_state_commit_seconds` | histogram | finalizing (durable commit) one block |
//! | `pvm_committed_height` | gauge | height of the last committed block |
//! | `pvm_pool_size`, `pvm_pool_available` | gauge | interpreters in the pool, idle ones |
//! | `pvm_pool_checkout_wait_seconds` | histogram | wait for a free interpreter |
//! | `pvm_pool_interpreters_replaced_total` | counter | interpreters rebuilt after a panic |
//!
//! `config/grafana-dashboard.json` charts them.
//!
//!
//! [`describe`] describes every series to the installed recorder and
//! publishes the ones without labels at zero, so a dashboard has data from the
//! first scrape; call it once after installing a recorder.

/// Describes every PVM series to the installed recorder and publishes the
/// unlabelled ones at zero (adding zero leaves a recorded value as it is).
pub fn describe() {
    describe_series();
    publish();
}

fn describe_series() {
    use metrics::{describe_counter, describe_gauge, describe_histogram, Unit};
    describe_histogram!("pvm_tx_gas_used", "Gas used per transaction");
    describe_histogram!(
        "pvm_tx_execution_seconds",
        Unit::Seconds,
        "Time to execute one transaction"
    );
    describe_counter!(
        "pvm_txs_total",
        "Transactions executed, by outcome and error kind"
    );
    describe_histogram!(
        "pvm_block_execution_seconds",
        Unit::Seconds,
        "Time to check, execute and merkleize a block"
    );
    describe_histogram!(
        "pvm_state_commit_seconds",
        Unit::Seconds,
        "Time to commit a finalized block"
    );
    describe_gauge!("pvm_committed_height", "Height of the last committed block");
    describe_gauge!("pvm_pool_size", "Interpreters in the pool");
    describe_gauge!("pvm_pool_available", "Idle interpreters in the pool");
    describe_histogram!(
        "pvm_pool_checkout_wait_seconds",
        Unit::Seconds,
        "Wait for a free interpreter"
    );
    describe_counter!(
        "pvm_pool_interpreters_replaced_total",
        "Interpreters rebuilt after a panic"
    );
}

/// Registers the series that have no labels and may stay untouched for a long
/// time, so a dashboard has data (zero) from the first scrape. Adding zero
/// leaves a value recorded earlier as it is. `pvm_committed_height` is left to
/// the node, which knows its height; a zero there would be a false height.
fn publish() {
    metrics::counter!("pvm_pool_interpreters_replaced_total").increment(0);
    for histogram in [
        "pvm_block_execution_seconds",
        "pvm_state_commit_seconds",
        "pvm_pool_checkout_wait_seconds",
    ] {
        let _ = metrics::histogram!(histogram);
    }
}
