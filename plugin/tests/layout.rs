//! What a node embeds stays a library: the command line, JSON printing, the
//! allocator and the HTTP pieces belong to `pvm-cli` (DESIGN §2), so a node
//! that links `pvm-plugin` gets none of them.

/// The crate's `[dependencies]` table, names only.
fn dependencies() -> Vec<String> {
    let manifest = include_str!("../Cargo.toml");
    let table: toml::Table = manifest.parse().expect("Cargo.toml parses");
    table["dependencies"]
        .as_table()
        .expect("a [dependencies] table")
        .keys()
        .cloned()
        .collect()
}

#[test]
fn the_plugin_owns_no_cli_http_or_allocator() {
    let deps = dependencies();
    assert!(
        deps.iter().any(|d| d == "metrics"),
        "records through the facade: {deps:?}"
    );
    for owned_by_cli in [
        "clap",
        "serde_json",
        "mimalloc",
        "metrics-exporter-prometheus",
        "axum",
        "hyper",
        "pvm-cli",
    ] {
        assert!(
            !deps.iter().any(|d| d == owned_by_cli),
            "pvm-plugin depends on {owned_by_cli}, which belongs to pvm-cli"
        );
    }
    let manifest = include_str!("../Cargo.toml");
    assert!(!manifest.contains("[[bin]]"), "the pvm binary is pvm-cli's");
}
