//! Evidence the e2e suite leaves for the checks that run after it (`iam check`, `openapi
//! answers check`): distinct JSON lines per test binary under the cargo target dir.
//!
//! Recording is off unless `start` was called (the e2e harness does): each test process then
//! writes its distinct lines to `target/<kind>/<test binary>.jsonl`, truncated on the
//! process's first write, so a rerun replaces that binary's evidence and the directory always
//! holds the latest run of every test binary.

use serde::de::DeserializeOwned;
use serde::Serialize;
use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

/// One kind of evidence (a folder of the target dir), written by many threads of one process.
pub struct Evidence<T> {
    kind: &'static str,
    sink: OnceLock<Mutex<Sink<T>>>,
}

struct Sink<T> {
    path: PathBuf,
    file: Option<std::fs::File>,
    seen: BTreeSet<T>,
}

impl<T: Ord + Serialize + DeserializeOwned> Evidence<T> {
    pub const fn new(kind: &'static str) -> Self {
        Self {
            kind,
            sink: OnceLock::new(),
        }
    }

    /// The directory this kind goes to, in the cargo target dir this process was built into
    /// (the one holding `CACHEDIR.TAG`), so tests and the check binaries agree even under
    /// `CARGO_TARGET_DIR`.
    pub fn dir(&self) -> PathBuf {
        let exe = std::env::current_exe().unwrap_or_default();
        exe.ancestors()
            .find(|dir| dir.join("CACHEDIR.TAG").is_file())
            .map(Path::to_path_buf)
            .unwrap_or_else(|| crate::repo_root().join("target"))
            .join(self.kind)
    }

    /// Turns recording on for this process (idempotent).
    pub fn start(&self) {
        self.sink.get_or_init(|| {
            let binary = std::env::current_exe()
                .ok()
                .and_then(|exe| exe.file_stem().map(|s| s.to_string_lossy().into_owned()))
                .unwrap_or_else(|| "process".into());
            // Test binaries are `name-<hash>`: the hash changes with every build, the name not.
            let name = match binary.rsplit_once('-') {
                Some((name, hash)) if hash.chars().all(|c| c.is_ascii_hexdigit()) => {
                    name.to_string()
                }
                _ => binary,
            };
            Mutex::new(Sink {
                path: self.dir().join(format!("{name}.jsonl")),
                file: None,
                seen: BTreeSet::new(),
            })
        });
    }

    pub fn recording(&self) -> bool {
        self.sink.get().is_some()
    }

    /// Writes the lines this process has not written yet (nothing while not recording).
    pub fn record(&self, lines: impl IntoIterator<Item = T>) {
        let Some(sink) = self.sink.get() else {
            return;
        };
        let mut sink = sink.lock().unwrap_or_else(|p| p.into_inner());
        for line in lines {
            if sink.seen.contains(&line) {
                continue;
            }
            if sink.file.is_none() {
                let _ = std::fs::create_dir_all(sink.path.parent().unwrap_or(Path::new(".")));
                sink.file = std::fs::File::create(&sink.path).ok();
            }
            if let (Some(file), Ok(text)) = (sink.file.as_mut(), serde_json::to_string(&line)) {
                // One write per line on an unbuffered file: a crash loses no evidence.
                let _ = file.write_all(format!("{text}\n").as_bytes());
            }
            sink.seen.insert(line);
        }
    }
}

/// Every line of every recording under `dir`, distinct and sorted.
pub fn load<T: Ord + DeserializeOwned>(dir: &Path) -> anyhow::Result<Vec<T>> {
    let mut all = BTreeSet::new();
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(err) => return Err(err.into()),
    };
    for entry in entries {
        let path = entry?.path();
        if path.extension().and_then(|e| e.to_str()) != Some("jsonl") {
            continue;
        }
        for line in std::fs::read_to_string(&path)?.lines() {
            if !line.trim().is_empty() {
                all.insert(
                    serde_json::from_str(line)
                        .map_err(|e| anyhow::anyhow!("{}: {e}: {line}", path.display()))?,
                );
            }
        }
    }
    Ok(all.into_iter().collect())
}
