//! Writes the OpenAPI document of every area's routes to `docs/openapi.json` (what the
//! `api-docs` function embeds); `--check` fails instead when the committed file is stale.

fn main() -> std::process::ExitCode {
    let path = worklane_devstack::repo_root().join("docs/openapi.json");
    let document = worklane_devstack::functions::openapi_document();
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    if std::env::args().any(|arg| arg == "--check") {
        if committed == document {
            return std::process::ExitCode::SUCCESS;
        }
        eprintln!(
            "{} is stale: run `cargo run -p worklane-devstack --bin openapi`",
            path.display()
        );
        return std::process::ExitCode::FAILURE;
    }
    std::fs::write(&path, document).expect("docs/openapi.json is writable");
    println!("wrote {}", path.display());
    std::process::ExitCode::SUCCESS
}
