//! Release binaries and their Lambda zips: build time, size per function, and the profile that
//! produced them.

use super::report::{Artifacts, BuildStep, FunctionArtifact};
use anyhow::{Context, Result};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime};

/// The `[profile.release]` section of the workspace manifest, as written.
pub fn release_profile(manifest: &str) -> String {
    let mut lines = manifest
        .lines()
        .skip_while(|l| l.trim() != "[profile.release]");
    let mut section = Vec::new();
    if let Some(header) = lines.next() {
        section.push(header);
        section.extend(lines.take_while(|l| !l.trim_start().starts_with('[')));
    }
    section.join("\n").trim_end().to_string()
}

/// The `[[bin]]` names of a Cargo manifest.
pub fn bin_names(manifest: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut in_bin = false;
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            in_bin = line == "[[bin]]";
        } else if in_bin {
            if let Some(name) = line
                .strip_prefix("name")
                .map(|rest| rest.trim_start_matches([' ', '=']).trim_matches('"'))
            {
                names.push(name.to_string());
            }
        }
    }
    names
}

/// The binary as Lambda's `provided.al2023` runtime wants it: one file named `bootstrap`,
/// deflated. Returns the zip's size.
pub fn zipped_size(binary: &Path) -> Result<u64> {
    let bytes = std::fs::read(binary)?;
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .unix_permissions(0o755);
    zip.start_file("bootstrap", options)?;
    zip.write_all(&bytes)?;
    Ok(zip.finish()?.into_inner().len() as u64)
}

fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".into())
}

/// The functions the template deploys: its `Metadata.BuildProperties.Binary` values, which
/// are also the binaries' names (each in its area crate under functions/).
pub fn template_binaries(template: &str) -> Vec<String> {
    template
        .lines()
        .filter_map(|l| l.trim().strip_prefix("Binary:"))
        .map(|name| name.trim().to_string())
        .collect()
}

/// Runs `cargo build --release --bin …` at the workspace root, timed; stopped at `deadline`.
pub fn build(
    root: &Path,
    bins: &[&str],
    target_dir: Option<&Path>,
    what: &str,
    deadline: Instant,
) -> Result<BuildStep> {
    let mut command = std::process::Command::new(cargo());
    command
        .current_dir(root)
        .args(["build", "--release"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped());
    for bin in bins {
        command.args(["--bin", bin]);
    }
    if let Some(dir) = target_dir {
        command.env("CARGO_TARGET_DIR", dir);
    }
    let started = Instant::now();
    let mut child = command.spawn().context("running cargo")?;
    let mut stderr = child.stderr.take().context("cargo's stderr")?;
    // Read while it runs: a full pipe would stop cargo.
    let reader = std::thread::spawn(move || {
        let mut log = String::new();
        let _ = std::io::Read::read_to_string(&mut stderr, &mut log);
        log
    });
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            anyhow::bail!(
                "{what}: stopped at the time budget after {:.0} s",
                started.elapsed().as_secs_f64()
            );
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    };
    let seconds = started.elapsed().as_secs_f64();
    let log = reader.join().unwrap_or_default();
    if !status.success() {
        let tail: Vec<&str> = log.lines().rev().take(30).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        anyhow::bail!("{what} failed:\n{}", tail.join("\n"));
    }
    let compiled: Vec<&str> = log
        .lines()
        .filter_map(|l| l.trim_start().strip_prefix("Compiling "))
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    let mut outcome = if compiled.is_empty() {
        "up to date: nothing compiled".to_string()
    } else {
        format!("compiled {}", compiled.join(", "))
    };
    if log.contains("Blocking waiting for file lock") {
        outcome.push_str(" (waited for another cargo's lock: the time includes the wait)");
    }
    Ok(BuildStep {
        what: what.to_string(),
        seconds,
        outcome,
    })
}

/// Marks `file` as changed (its content untouched), so the next build recompiles what uses it.
pub fn touch(file: &Path) -> Result<()> {
    std::fs::File::options()
        .append(true)
        .open(file)?
        .set_modified(SystemTime::now())?;
    Ok(())
}

/// Sizes of the function binaries this run built (older ones in `release` may be stale).
pub fn sizes(root: &Path, release: &Path, this_run: &[&str]) -> Result<Vec<FunctionArtifact>> {
    let template = std::fs::read_to_string(root.join("infra/template.yaml"))?;
    let mut names = template_binaries(&template);
    names.sort();
    let mut out = Vec::new();
    for name in names {
        let path: PathBuf = release.join(&name);
        let Ok(meta) = std::fs::metadata(&path) else {
            continue;
        };
        if !this_run.contains(&name.as_str()) {
            continue;
        }
        out.push(FunctionArtifact {
            binary_bytes: meta.len(),
            zip_bytes: zipped_size(&path)?,
            built: "this run".into(),
            name,
        });
    }
    Ok(out)
}

pub struct Plan {
    /// Also time a release build of one function from nothing, in a target dir of its own.
    pub clean_build: bool,
    /// Build every function, not only the two the cold-start section runs.
    pub all_functions: bool,
}

/// Builds what the suite runs (and times it), then sizes every function binary present.
pub fn run(root: &Path, release: &Path, plan: &Plan, deadline: Instant) -> Result<Artifacts> {
    let manifest = std::fs::read_to_string(root.join("Cargo.toml"))?;
    let mut builds = vec![build(
        root,
        &["auth", "escrow"],
        None,
        "`cargo build --release --bin auth --bin escrow` (as found)",
        deadline,
    )?];
    touch(&root.join("functions/escrow/src/bin/escrow.rs"))?;
    builds.push(build(
        root,
        &["escrow"],
        None,
        "one function after a change to its main.rs (`--bin escrow`: compile the bin, thin-LTO link)",
        deadline,
    )?);
    let all = template_binaries(&std::fs::read_to_string(root.join("infra/template.yaml"))?);
    let mut this_run: Vec<&str> = vec!["auth", "escrow"];
    if plan.all_functions {
        let bins: Vec<&str> = all.iter().map(String::as_str).collect();
        builds.push(build(
            root,
            &bins,
            None,
            "every function (`--all-functions`)",
            deadline,
        )?);
        this_run = bins;
    }
    let mut notes = vec![
        format!(
            "Only the functions this run built are shown ({} of {}): each links its own area \
             crate and what that uses, so sizes differ by area; `--all-functions` builds and \
             sizes every one here, and the Packaging section below (`scripts/package`) has every \
             function as deployed (cargo-lambda, arm64).",
            this_run.len(),
            all.len()
        ),
        format!(
            "Built here for {} Linux with cargo; `sam build` deploys arm64 builds \
             (cargo-lambda), whose sizes are in the Packaging section.",
            std::env::consts::ARCH
        ),
    ];
    if plan.clean_build {
        let dir = root.join(".cache/bench-target");
        let _ = std::fs::remove_dir_all(&dir);
        builds.push(build(
            root,
            &["escrow"],
            Some(&dir),
            "one function from nothing (`--clean-build`: every dependency, own target dir)",
            deadline,
        )?);
        let _ = std::fs::remove_dir_all(&dir);
    } else {
        notes.push(
            "A release build from nothing (every dependency) is not timed by default: \
             `--clean-build` does it in .cache/bench-target."
                .into(),
        );
    }
    Ok(Artifacts {
        profile: release_profile(&manifest),
        builds,
        functions: sizes(root, release, &this_run)?,
        notes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_release_profile_and_the_bins() {
        let manifest = "[workspace]\nmembers = []\n\n[profile.dev]\ndebug = 1\n\n[profile.release]\nlto = \"thin\"\nstrip = true\n\n[profile.bench]\nx = 1\n";
        assert_eq!(
            release_profile(manifest),
            "[profile.release]\nlto = \"thin\"\nstrip = true"
        );
        assert_eq!(release_profile("[package]\nname = \"x\"\n"), "");
        let functions = "[package]\nname = \"worklane-escrow\"\n\n[[bin]]\nname = \"auth\"\npath = \"a.rs\"\n\n[dependencies]\nname = \"nope\"\n\n[[bin]]\nname = \"escrow\"\n";
        assert_eq!(bin_names(functions), vec!["auth", "escrow"]);
        let template = "  Auth:\n    Metadata:\n      BuildProperties:\n        Binary: auth\n  X:\n        Binary: job-search\n";
        assert_eq!(template_binaries(template), vec!["auth", "job-search"]);
    }

    #[test]
    fn zips_a_binary_smaller_than_it_is() {
        let path = std::env::temp_dir().join(format!("bench-zip-{}", std::process::id()));
        std::fs::write(&path, vec![7u8; 100_000]).unwrap();
        let size = zipped_size(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        assert!(size > 0 && size < 10_000, "{size}");
    }
}
