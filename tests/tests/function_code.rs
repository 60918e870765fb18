//! Each Lambda binary carries its own area's code and nothing of the areas it does not use:
//! read from the symbol tables of the debug binaries (`target/debug/<function>`, not stripped),
//! which link like the release ones (the linker drops every unreferenced function in both).
//!
//! For every function of `infra/template.yaml`:
//! - its own area crate is linked (the positive control: symbols are readable at all);
//! - no area crate outside its area's dependency closure is (from the area manifests);
//! - tantivy (the search engine) is linked only by the functions that search or index;
//! - spot checks by handler path: `profiles` lacks the escrow area's fund handler, which
//!   `escrow` has.
//!
//! The binaries must exist: `scripts/test` builds them (`cargo build --workspace --bins`)
//! before the tests. Only std is used; no AWS services.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate lives one level below the repository root")
        .to_path_buf()
}

/// `target/debug`, found from this test binary (`target/debug/deps/<test>`), so a
/// CARGO_TARGET_DIR is honoured.
fn debug_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary's path");
    exe.parent()
        .and_then(Path::parent)
        .expect("test binaries live in <target>/<profile>/deps")
        .to_path_buf()
}

/// The function names `sam build` builds: `Metadata.BuildProperties.Binary` of the template.
fn template_functions(root: &Path) -> Vec<String> {
    let template = std::fs::read_to_string(root.join("infra/template.yaml")).unwrap();
    template
        .lines()
        .filter_map(|l| l.trim().strip_prefix("Binary:"))
        .map(|name| name.trim().to_string())
        .collect()
}

struct Area {
    /// The crate name as symbols spell it, e.g. `worklane_escrow`.
    krate: String,
    bins: Vec<String>,
    /// Other area crates this one depends on, directly.
    uses: Vec<String>,
}

/// The area crates under `functions/`, read from their manifests.
fn areas(root: &Path) -> BTreeMap<String, Area> {
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(root.join("functions")).unwrap() {
        let manifest = entry.unwrap().path().join("Cargo.toml");
        let Ok(text) = std::fs::read_to_string(&manifest) else {
            continue;
        };
        let mut name = None;
        let mut bins = Vec::new();
        let mut uses = Vec::new();
        let mut section = String::new();
        for line in text.lines().map(str::trim) {
            if line.starts_with('[') {
                section = line.to_string();
                continue;
            }
            let value = |key: &str| {
                line.strip_prefix(key)
                    .map(|rest| rest.trim_start_matches([' ', '=']).trim_matches('"'))
                    .map(str::to_string)
            };
            match section.as_str() {
                "[package]" => name = name.or(value("name ")),
                "[[bin]]" => bins.extend(value("name ")),
                "[dependencies]" => {
                    if let Some(dep) = line.split(['.', ' ', '=']).next() {
                        if dep.starts_with("worklane-") {
                            uses.push(dep.replace('-', "_"));
                        }
                    }
                }
                _ => {}
            }
        }
        let krate = name
            .unwrap_or_else(|| panic!("{} has no package name", manifest.display()))
            .replace('-', "_");
        out.insert(krate.clone(), Area { krate, bins, uses });
    }
    out
}

/// The area crates `krate` links at most: itself and what it depends on, transitively.
fn closure(areas: &BTreeMap<String, Area>, krate: &str) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut todo = vec![krate.to_string()];
    while let Some(next) = todo.pop() {
        if seen.insert(next.clone()) {
            if let Some(area) = areas.get(&next) {
                todo.extend(area.uses.iter().cloned());
            }
        }
    }
    seen
}

/// The names in an ELF64 little-endian symbol table (the debug binaries of Linux hosts).
fn elf_symbols(path: &Path) -> Vec<String> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; build the function binaries first (`cargo build --workspace --bins`, as \
             scripts/test does)",
            path.display()
        )
    });
    assert!(
        bytes.starts_with(b"\x7fELF") && bytes[4] == 2 && bytes[5] == 1,
        "{} is not a little-endian ELF64 file",
        path.display()
    );
    let u16_at = |at: usize| u16::from_le_bytes(bytes[at..at + 2].try_into().unwrap()) as usize;
    let u32_at = |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
    let u64_at = |at: usize| u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap()) as usize;
    let (shoff, shentsize, shnum) = (u64_at(0x28), u16_at(0x3a), u16_at(0x3c));
    let section = |i: usize| shoff + i * shentsize;
    let mut names = Vec::new();
    for i in 0..shnum {
        let header = section(i);
        const SHT_SYMTAB: usize = 2;
        if u32_at(header + 4) != SHT_SYMTAB {
            continue;
        }
        let (offset, size, entsize) = (
            u64_at(header + 0x18),
            u64_at(header + 0x20),
            u64_at(header + 0x38),
        );
        let strtab = u64_at(section(u32_at(header + 0x28)) + 0x18);
        for sym in (offset..offset + size).step_by(entsize) {
            let start = strtab + u32_at(sym);
            let end = start + bytes[start..].iter().position(|&b| b == 0).unwrap();
            names.push(String::from_utf8_lossy(&bytes[start..end]).into_owned());
        }
    }
    names
}

/// `_ZN15worklane_escrow8handlers6escrow4fund17h0123456789abcdefE` →
/// `worklane_escrow::handlers::escrow::fund` (Rust's legacy mangling, rustc's default; the
/// hash is dropped). Names in another scheme come back as they are, so the positive control
/// fails if the toolchain changes its mangling under this test.
fn demangle(symbol: &str) -> String {
    let Some(mut rest) = symbol.strip_prefix("_ZN") else {
        return symbol.to_string();
    };
    let mut path = Vec::new();
    while let Some(digits) = rest.find(|c: char| !c.is_ascii_digit()).filter(|&n| n > 0) {
        let len: usize = rest[..digits].parse().unwrap();
        let Some(segment) = rest.get(digits..digits + len) else {
            break;
        };
        path.push(segment);
        rest = &rest[digits + len..];
    }
    if path
        .last()
        .is_some_and(|s| s.len() == 17 && s.starts_with('h'))
    {
        path.pop();
    }
    path.join("::")
}

/// The crate of a legacy-mangled symbol without demangling all of it (there are ~10^5 per
/// binary); the symbol itself when it is not one.
fn first_segment(symbol: &str) -> &str {
    let Some(rest) = symbol.strip_prefix("_ZN") else {
        return symbol;
    };
    let digits = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(0);
    let len: usize = rest[..digits].parse().unwrap_or(0);
    rest.get(digits..digits + len).unwrap_or(symbol)
}

struct Binary {
    name: String,
    krate: String,
    /// The first path segment of each Rust symbol (its crate), and the full demangled paths
    /// of the area crates' symbols (the only ones the checks name).
    crates: BTreeSet<String>,
    area_paths: BTreeSet<String>,
}

impl Binary {
    fn area_crates(&self) -> BTreeSet<&str> {
        self.crates
            .iter()
            .map(String::as_str)
            .filter(|c| c.starts_with("worklane_"))
            .collect()
    }

    fn links(&self, path: &str) -> bool {
        self.area_paths
            .iter()
            .any(|p| p == path || p.starts_with(&format!("{path}::")))
    }
}

/// Every template function's binary, read once for all the tests (38 files of ~50 MiB).
fn binaries() -> &'static (BTreeMap<String, Area>, Vec<Binary>) {
    static READ: OnceLock<(BTreeMap<String, Area>, Vec<Binary>)> = OnceLock::new();
    READ.get_or_init(|| {
        let root = repo_root();
        let areas = areas(&root);
        let dir = debug_dir();
        let functions = template_functions(&root);
        assert!(
            functions.len() >= 30,
            "the template names {} functions",
            functions.len()
        );
        let binaries = functions
            .into_iter()
            .map(|name| {
                let krate = areas
                    .values()
                    .find(|a| a.bins.contains(&name))
                    .unwrap_or_else(|| panic!("no area crate under functions/ has a bin `{name}`"))
                    .krate
                    .clone();
                let mut crates = BTreeSet::new();
                let mut area_paths = BTreeSet::new();
                for symbol in elf_symbols(&dir.join(&name)) {
                    let first = first_segment(&symbol);
                    if first.starts_with("worklane_") {
                        area_paths.insert(demangle(&symbol));
                    }
                    if !crates.contains(first) {
                        crates.insert(first.to_string());
                    }
                }
                Binary {
                    name,
                    krate,
                    crates,
                    area_paths,
                }
            })
            .collect();
        (areas, binaries)
    })
}

#[test]
fn every_function_links_its_own_area_and_no_area_it_does_not_use() {
    let (areas, binaries) = binaries();
    let mut wrong = Vec::new();
    for binary in binaries {
        let linked = binary.area_crates();
        if !linked.contains(binary.krate.as_str()) {
            wrong.push(format!(
                "{}: no symbol of its own area {} (is the binary stripped, or did the \
                 symbol mangling change?)",
                binary.name, binary.krate
            ));
        }
        let allowed = closure(areas, &binary.krate);
        let foreign: Vec<&str> = linked
            .into_iter()
            .filter(|c| !allowed.contains(*c))
            .collect();
        if !foreign.is_empty() {
            wrong.push(format!(
                "{} ({}) links {foreign:?}, outside what its area uses ({allowed:?})",
                binary.name, binary.krate
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn only_the_search_functions_link_the_search_engine() {
    let (_, binaries) = binaries();
    let with_tantivy: BTreeSet<&str> = binaries
        .iter()
        .filter(|b| b.crates.contains("tantivy"))
        .map(|b| b.name.as_str())
        .collect();
    assert_eq!(
        with_tantivy,
        BTreeSet::from(["job-search", "search-indexer"])
    );
}

#[test]
fn a_handler_of_another_area_is_absent_and_present_in_its_own() {
    let (_, binaries) = binaries();
    let get = |name: &str| binaries.iter().find(|b| b.name == name).unwrap();
    let fund = "worklane_escrow::handlers::escrow::fund";
    assert!(get("escrow").links(fund), "escrow lacks {fund}");
    for other in ["profiles", "auth", "job-search", "time-tracking"] {
        assert!(!get(other).links(fund), "{other} links {fund}");
    }
}

#[test]
fn demangles_the_legacy_scheme() {
    assert_eq!(
        demangle("_ZN15worklane_escrow8handlers6escrow4fund17h0123456789abcdefE"),
        "worklane_escrow::handlers::escrow::fund"
    );
    assert_eq!(
        demangle("_ZN7tantivy5index5Index4open17h0123456789abcdefE"),
        "tantivy::index::Index::open"
    );
    assert_eq!(demangle("CRYPTO_bswap4"), "CRYPTO_bswap4");
    assert_eq!(
        first_segment("_ZN7tantivy5index5Index4open17h0123456789abcdefE"),
        "tantivy"
    );
}
