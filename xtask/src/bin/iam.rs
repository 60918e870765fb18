//! `iam check`: every function's role and environment in `infra/template.yaml` against the
//! calls the e2e suite recorded (`target/iam-calls/`), and the matrix in docs/security.md
//! against both. `iam write`: regenerates the template's generated blocks and the matrix
//! from the recordings. Run after a whole `cargo test` on the local stack (scripts/test
//! does); a partial run records only part of the evidence.

use anyhow::{bail, Context, Result};
use worklane_devstack::iam::{policy, record};
use worklane_devstack::template::Template;

fn main() -> Result<()> {
    let mode = std::env::args().nth(1).unwrap_or_default();
    let root = worklane_devstack::repo_root();
    let template_path = root.join("infra/template.yaml");
    let docs_path = root.join("docs/security.md");
    let dir = std::env::args()
        .nth(2)
        .map(Into::into)
        .unwrap_or_else(record::default_dir);
    let recorded = record::load(&dir)?;
    if recorded.is_empty() {
        bail!(
            "no recordings in {}: run the e2e suite on the local stack first (scripts/test)",
            dir.display()
        );
    }
    let text = std::fs::read_to_string(&template_path)?;
    let template = Template::parse(&text)?;
    let functions: Vec<String> = template.functions().into_iter().map(|f| f.binary).collect();
    let mut used = policy::used(&recorded);
    // The session check before every bearer route reads the session only when this process
    // has not seen it in the last few seconds (store::accounts::SessionCache), so which
    // function's call does the read in a test run is timing: the grant follows the route table.
    let session_read = policy::constrainable(
        &worklane_devstack::iam::Grant::new("dynamodb:GetItem", worklane_devstack::iam::TABLE)
            .with_prefix("SESSION#"),
    );
    for route in worklane_devstack::functions::routes() {
        if route.access == worklane::http::router::Access::Bearer {
            used.entry(route.function.to_string())
                .or_default()
                .insert(session_read.clone());
        }
    }
    let docs = std::fs::read_to_string(&docs_path).context("reading docs/security.md")?;
    let matrix = policy::matrix(&functions, &recorded, &used);
    match mode.as_str() {
        "write" => {
            let missing = policy::never_ran(&functions, &used);
            if !missing.is_empty() {
                for finding in &missing {
                    eprintln!("iam: {finding}");
                }
                bail!("refusing to write roles from partial evidence: run the whole suite");
            }
            let written = policy::rewrite(&text, &template, &used)?;
            std::fs::write(&template_path, written)?;
            std::fs::write(&docs_path, policy::with_matrix(&docs, &matrix)?)?;
            println!(
                "iam: wrote the roles of {} functions and the matrix from {} recorded grants",
                functions.len(),
                recorded.len()
            );
            Ok(())
        }
        "check" => {
            let allowed = policy::allowed(&template, &policy::global_env(&text)?)?;
            let mut findings: Vec<String> = policy::compare(&functions, &allowed, &used)
                .iter()
                .map(ToString::to_string)
                .collect();
            if policy::with_matrix(&docs, &matrix)? != docs {
                findings.push("docs/security.md: the matrix differs from the recordings".into());
            }
            if findings.is_empty() {
                println!(
                    "iam: the roles of {} functions match {} recorded grants",
                    functions.len(),
                    recorded.len()
                );
                return Ok(());
            }
            for finding in &findings {
                eprintln!("iam: {finding}");
            }
            bail!(
                "{} findings; if the code changed on purpose, run `cargo run -p worklane-devstack --bin iam -- write` and review the diff",
                findings.len()
            )
        }
        _ => bail!("usage: iam check|write [recordings dir]"),
    }
}
