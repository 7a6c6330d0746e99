//! Metrics: the libraries record through the `metrics` facade; this module
//! installs the Prometheus recorder and serves its text format over HTTP.
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

use std::{
    io::{BufRead, BufReader, Write},
    net::{SocketAddr, TcpListener},
    sync::OnceLock,
};

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Installs the process-wide Prometheus recorder (once) and returns its handle.
pub fn install() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        let seconds = [
            1e-6, 2.5e-6, 5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 0.01,
            0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
        ];
        let gas = [
            1e3, 2.5e3, 5e3, 1e4, 2.5e4, 5e4, 1e5, 2.5e5, 5e5, 1e6, 2.5e6, 5e6, 1e7, 2.5e7, 5e7,
        ];
        let handle = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), &seconds)
            .and_then(|b| b.set_buckets_for_metric(Matcher::Full("pvm_tx_gas_used".into()), &gas))
            .expect("bucket lists are not empty")
            .install_recorder()
            .expect("no other metrics recorder is installed in the pvm binary");
        describe();
        handle
    })
}

fn describe() {
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

/// Serves the metrics at `http://addr/metrics` (any path) on a background
/// thread; returns the bound address (port 0 picks a free one).
pub fn serve(addr: SocketAddr) -> std::io::Result<SocketAddr> {
    let handle = install();
    let listener = TcpListener::bind(addr)?;
    let bound = listener.local_addr()?;
    std::thread::Builder::new()
        .name("pvm-metrics".into())
        .spawn(move || {
            for stream in listener.incoming().flatten() {
                let _ = respond(stream, handle);
            }
        })?;
    Ok(bound)
}

fn respond(stream: std::net::TcpStream, handle: &PrometheusHandle) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    // Read the request head; the body (if any) is ignored.
    let mut line = String::new();
    while reader.read_line(&mut line)? > 2 {
        line.clear();
    }
    let body = handle.render();
    let mut stream = stream;
    write!(
        stream,
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
        body.len(),
        body
    )?;
    stream.flush()
}
