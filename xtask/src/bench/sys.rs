//! What the benchmarks read from the operating system: a process's memory (`/proc/<pid>/status`)
//! and the machine the numbers were measured on.

use serde::{Deserialize, Serialize};
use std::path::Path;
use std::process::Command;

/// A `kB` field of `/proc/<pid>/status` (`VmHWM`: peak resident set; `VmRSS`: resident now).
pub fn status_kib(status: &str, field: &str) -> Option<u64> {
    status.lines().find_map(|line| {
        let rest = line.strip_prefix(field)?.strip_prefix(':')?;
        let mut words = rest.split_whitespace();
        let value = words.next()?.parse().ok()?;
        (words.next() == Some("kB")).then_some(value)
    })
}

/// `field` of a running process, in KiB; `None` once it has exited.
pub fn process_kib(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status_kib(&status, field)
}

/// The first line a command prints (stdout, else stderr), or `None` if it cannot run.
pub fn first_line(program: &str, args: &[&str]) -> Option<String> {
    let output = Command::new(program).args(args).output().ok()?;
    let text = if output.stdout.is_empty() {
        output.stderr
    } else {
        output.stdout
    };
    String::from_utf8_lossy(&text)
        .lines()
        .next()
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty())
}

/// The 1-minute load average (other work on the machine skews every figure).
pub fn load_average() -> Option<f64> {
    std::fs::read_to_string("/proc/loadavg")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Machine {
    pub cores: usize,
    pub memory_gib: f64,
    pub cpu: String,
    pub kernel: String,
    /// Tool → version, in the order shown.
    pub versions: Vec<(String, String)>,
    pub load_before: Option<f64>,
    pub load_after: Option<f64>,
}

fn meminfo_gib() -> f64 {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|text| status_kib(&text, "MemTotal"))
        .map(|kib| kib as f64 / 1024.0 / 1024.0)
        .unwrap_or_default()
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|text| {
            text.lines()
                .find_map(|l| l.strip_prefix("model name"))
                .map(|l| l.trim_start_matches([' ', '\t', ':']).to_string())
        })
        .unwrap_or_else(|| "unknown".into())
}

/// The version an npm package in `node_modules` declares.
pub fn npm_version(node_modules: &Path, package: &str) -> Option<String> {
    let text = std::fs::read_to_string(node_modules.join(package).join("package.json")).ok()?;
    let json: serde_json::Value = serde_json::from_str(&text).ok()?;
    json["version"].as_str().map(str::to_string)
}

/// The version of a package installed in a Python venv (its `*.dist-info` folder name).
pub fn pip_version(venv: &Path, distribution: &str) -> Option<String> {
    let lib = venv.join("lib");
    let prefix = format!("{}-", distribution.replace('-', "_"));
    for python in std::fs::read_dir(lib).ok()?.flatten() {
        let site = python.path().join("site-packages");
        for entry in std::fs::read_dir(site).ok()?.flatten() {
            let name = entry.file_name().to_string_lossy().to_string();
            if let Some(rest) = name.strip_prefix(&prefix) {
                if let Some(version) = rest.strip_suffix(".dist-info") {
                    return Some(version.to_string());
                }
            }
        }
    }
    None
}

impl Machine {
    pub fn describe(root: &Path) -> Machine {
        let cache = root.join(".cache");
        let mut versions = Vec::new();
        let mut add = |tool: &str, version: Option<String>| {
            versions.push((tool.to_string(), version.unwrap_or_else(|| "absent".into())));
        };
        add("rustc", first_line("rustc", &["--version"]));
        add("java (DynamoDB Local)", first_line("java", &["-version"]));
        add(
            "DynamoDB Local",
            std::fs::read_to_string(cache.join("dynamodb-local/.worklane-stamp"))
                .ok()
                .map(|s| s.trim().to_string()),
        );
        add("moto", pip_version(&cache.join("venv"), "moto"));
        add(
            "python (peer)",
            first_line(
                &cache.join("bench-venv/bin/python").to_string_lossy(),
                &["--version"],
            ),
        );
        for package in ["boto3", "awslambdaric", "argon2-cffi"] {
            add(package, pip_version(&cache.join("bench-venv"), package));
        }
        add("node (peer)", first_line("node", &["--version"]));
        let modules = cache.join("bench-node/node_modules");
        for package in ["@aws-sdk/client-dynamodb", "argon2", "aws-lambda-ric"] {
            add(package, npm_version(&modules, package));
        }
        Machine {
            cores: std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1),
            memory_gib: meminfo_gib(),
            cpu: cpu_model(),
            kernel: std::fs::read_to_string("/proc/sys/kernel/osrelease")
                .map(|s| s.trim().to_string())
                .unwrap_or_default(),
            versions,
            load_before: load_average(),
            load_after: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_kib_fields_of_proc_status() {
        let status = "Name:\tbootstrap\nVmPeak:\t  123456 kB\nVmHWM:\t   20480 kB\nVmRSS:\t   18000 kB\nThreads:\t3\n";
        assert_eq!(status_kib(status, "VmHWM"), Some(20480));
        assert_eq!(status_kib(status, "VmRSS"), Some(18000));
        // A prefix of another field, a field without a unit, a missing field.
        assert_eq!(status_kib(status, "Vm"), None);
        assert_eq!(status_kib(status, "Threads"), None);
        assert_eq!(status_kib(status, "VmSwap"), None);
    }

    #[test]
    fn reads_its_own_memory() {
        // Resident now first: the peak read after it can only be as high or higher.
        let rss = process_kib(std::process::id(), "VmRSS").unwrap();
        let hwm = process_kib(std::process::id(), "VmHWM").unwrap();
        assert!(hwm >= rss && rss > 0, "{hwm} {rss}");
    }
}
