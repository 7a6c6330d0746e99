//! The README's commands run as written: every `sh` block that uses `pvm`,
//! line by line in order, in a scratch directory where `pvm` and
//! `target/release/pvm` are the binary under test and `integration/` is the
//! repository's. Two rewrites only: `/tmp/NAME` becomes a scratch directory,
//! and `<ADDR>`/`<ADDR_HEX>` the contract address the last deploy printed. A
//! block with a background job (`… &`) runs as one script. Every command must
//! exit 0, and the results the README's comments promise are checked.

use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The README's `sh` blocks, each as its lines.
fn sh_blocks(readme: &str) -> Vec<Vec<String>> {
    let mut blocks = Vec::new();
    let mut current: Option<Vec<String>> = None;
    for line in readme.lines() {
        match (&mut current, line.trim_start()) {
            (None, l) if l.starts_with("```sh") => current = Some(Vec::new()),
            (Some(_), l) if l.starts_with("```") => blocks.push(current.take().unwrap()),
            (Some(b), l) if !l.is_empty() => b.push(l.to_owned()),
            _ => {}
        }
    }
    blocks
}

/// Whether a line runs the `pvm` binary (and nothing that needs a toolchain).
fn runs_pvm(line: &str) -> bool {
    line.starts_with("pvm ") || line.starts_with("target/release/pvm ")
}

/// Runs `script` with bash in `dir`; returns (exit code, stdout, stderr).
fn bash(dir: &Path, script: &str) -> (i32, String, String) {
    let out = Command::new("bash")
        .arg("-c")
        .arg(format!("set -euo pipefail\n{script}"))
        .current_dir(dir)
        .env(
            "PATH",
            format!(
                "{}:{}",
                dir.join("bin").display(),
                std::env::var("PATH").unwrap_or_default()
            ),
        )
        .output()
        .expect("run bash");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The last 64-hex-digit word of `text` (a contract address).
fn address_in(text: &str) -> Option<String> {
    text.split(|c: char| !c.is_ascii_hexdigit())
        .rfind(|w| w.len() == 64)
        .map(str::to_owned)
}

#[test]
fn every_readme_command_runs_as_written() {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let dir = std::env::temp_dir().join(format!("pvm-readme-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("bin")).unwrap();
    std::fs::create_dir_all(dir.join("target/release")).unwrap();
    let pvm = env!("CARGO_BIN_EXE_pvm");
    std::os::unix::fs::symlink(pvm, dir.join("bin/pvm")).unwrap();
    std::os::unix::fs::symlink(pvm, dir.join("target/release/pvm")).unwrap();
    std::os::unix::fs::symlink(repo().join("integration"), dir.join("integration")).unwrap();
    let scratch = dir.display().to_string();
    let rewrite = |line: &str, addr: &Option<String>| {
        let mut l = line.replace("/tmp/", &format!("{scratch}/scratch-"));
        if let Some(a) = addr {
            l = l.replace("<ADDR_HEX>", a).replace("<ADDR>", a);
        }
        l
    };
    let mut addr: Option<String> = None;
    let mut ran = 0;
    for block in sh_blocks(&readme) {
        if !block.iter().any(|l| runs_pvm(l)) {
            continue;
        }
        if block
            .iter()
            .any(|l| l.split('#').next().unwrap().trim_end().ends_with('&'))
        {
            // A background job: the block runs as one script, and the job is
            // stopped once the block's last command is done.
            let script: Vec<String> = block.iter().map(|l| rewrite(l, &addr)).collect();
            let script = format!(
                "{}\nkill $! 2>/dev/null || true\nwait || true",
                script.join("\n")
            );
            let (code, stdout, stderr) = bash(&dir, &script);
            assert_eq!(
                code, 0,
                "README block failed:\n{script}\n{stdout}\n{stderr}"
            );
            if script.contains("/metrics") {
                assert!(
                    stdout.contains("pvm_tx_gas"),
                    "the scrape shows PVM's series: {stdout}"
                );
            }
            ran += block.len();
            continue;
        }
        for line in block.iter().filter(|l| runs_pvm(l)) {
            assert!(
                !line.contains("<ADDR") || addr.is_some(),
                "no address known for: {line}"
            );
            let command = rewrite(line, &addr);
            let (code, stdout, stderr) = bash(&dir, &command);
            assert_eq!(
                code, 0,
                "README command failed: {command}\n{stdout}\n{stderr}"
            );
            if let Some(a) = address_in(&stderr) {
                addr = Some(a);
            }
            let expect = line.split_once('#').map(|(_, c)| c.trim());
            if line.contains("counter.py --input 5 --json") {
                assert!(stdout.contains("\"logs\":[\"count is now 5\"]"), "{stdout}");
            } else if line.contains("counter.py --state") {
                let n = expect.unwrap().split_whitespace().next().unwrap();
                assert!(
                    stdout.contains(&format!("output:   \"{n}\"")),
                    "{command}: {stdout}"
                );
            } else if line.contains("pvm state") {
                assert_eq!(stdout.trim(), expect.unwrap(), "{command}");
            } else if line.contains("block block.txt --json") {
                assert!(stdout.starts_with("{\"height\":1,"), "{stdout}");
            }
            ran += 1;
        }
    }
    assert!(
        ran >= 10,
        "the README's pvm commands were found ({ran} run)"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
