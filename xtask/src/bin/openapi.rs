//! Writes the OpenAPI document of every area's routes to `docs/openapi.json` (what the
//! `api-docs` function embeds); `--check` fails instead when the committed file is stale.
//!
//! `answers write` adds what the e2e suite saw each operation answer (`target/api-answers/`,
//! recorded by the local server) to `docs/api-answers.json` and rewrites the document;
//! `answers check` (end of scripts/test) fails on a status the document does not list for an
//! operation and notes the problem codes it does not name.

use anyhow::{bail, Result};
use worklane_devstack::{answers, functions};

fn main() -> Result<()> {
    let path = worklane_devstack::repo_root().join("docs/openapi.json");
    let args: Vec<String> = std::env::args().skip(1).collect();
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        [] => {
            std::fs::write(&path, functions::openapi_document())?;
            println!("wrote {}", path.display());
        }
        ["--check"] => {
            if committed != functions::openapi_document() {
                bail!(
                    "{} is stale: run `cargo run -p worklane-devstack --bin openapi`",
                    path.display()
                );
            }
        }
        ["answers", mode] => {
            let recorded = answers::load(&answers::default_dir())?;
            if recorded.is_empty() {
                bail!(
                    "no recordings in {}: run the e2e suite on the local stack first (scripts/test)",
                    answers::default_dir().display()
                );
            }
            match *mode {
                "write" => {
                    let answers = answers::merged(&functions::committed_answers(), &recorded);
                    let mut text = serde_json::to_string_pretty(&answers)?;
                    text.push('\n');
                    std::fs::write(functions::answers_path(), text)?;
                    std::fs::write(&path, functions::openapi_document_with(&answers))?;
                    println!(
                        "openapi: wrote {} answers of {} operations and the document",
                        recorded.len(),
                        answers.len()
                    );
                }
                "check" => {
                    let seen = answers::undocumented(&recorded, &serde_json::from_str(&committed)?);
                    for code in &seen.codes {
                        println!("openapi: note: {code} (add it with `answers write`)");
                    }
                    let findings = seen.statuses;
                    if !findings.is_empty() {
                        for finding in &findings {
                            eprintln!("openapi: {finding}");
                        }
                        bail!(
                            "{} statuses the document does not list; if the code changed on purpose, run `cargo run -p worklane-devstack --bin openapi -- answers write` and review the diff",
                            findings.len()
                        );
                    }
                    println!(
                        "openapi: the document states all {} answers the suite saw",
                        recorded.len()
                    );
                }
                _ => bail!("usage: openapi [--check | answers write | answers check]"),
            }
        }
        _ => bail!("usage: openapi [--check | answers write | answers check]"),
    }
    Ok(())
}
