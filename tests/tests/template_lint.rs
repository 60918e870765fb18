//! Lints `infra/template.yaml` with the pinned cfn-lint that `scripts/bootstrap` installs into
//! `.cache/venv`, and proves that the lint really runs the SAM transform: a misspelled `!Ref` or
//! `!GetAtt` inside an `AWS::Serverless::Function` must fail it.
//!
//! Only std is used, so this test needs no AWS services and builds in no time.

use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate lives one level below the repository root")
        .to_path_buf()
}

/// The pinned cfn-lint; a missing one is a failure (not a skip), with the fix in the message.
fn cfn_lint() -> PathBuf {
    let path = repo_root()
        .join(".cache")
        .join("venv")
        .join("bin")
        .join("cfn-lint");
    if !path.is_file() {
        panic!(
            "{} is missing: run scripts/bootstrap (it installs the pinned cfn-lint and \
             aws-sam-translator into .cache/venv)",
            path.display()
        );
    }
    path
}

struct Lint {
    success: bool,
    code: Option<i32>,
    output: String,
}

fn lint(template: &Path) -> Lint {
    let out = Command::new(cfn_lint())
        .arg("--")
        .arg(template)
        // The repository root, so that a .cfnlintrc.yaml there applies to temp copies too.
        .current_dir(repo_root())
        .output()
        .unwrap_or_else(|e| panic!("could not run cfn-lint ({e}); run scripts/bootstrap"));
    let mut output = String::from_utf8_lossy(&out.stdout).into_owned();
    output.push_str(&String::from_utf8_lossy(&out.stderr));
    Lint {
        success: out.status.success(),
        code: out.status.code(),
        output,
    }
}

fn template_path() -> PathBuf {
    repo_root().join("infra").join("template.yaml")
}

fn template_text() -> String {
    let path = template_path();
    fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
        .replace("\r\n", "\n")
}

/// Byte range of the top-level resource `name` (a line `  name:` under `Resources:`) up to the
/// next line indented by two spaces or less.
fn resource_block(text: &str, name: &str) -> (usize, usize) {
    let header = format!("\n  {name}:\n");
    let start = text
        .find(&header)
        .unwrap_or_else(|| panic!("resource {name} not found in infra/template.yaml"))
        + 1;
    let body = start + header.len() - 1;
    let mut pos = body;
    for line in text[body..].split_inclusive('\n') {
        let content = line.trim_start_matches(' ');
        let indent = line.len() - content.len();
        if indent <= 2 && !content.trim().is_empty() && !content.starts_with('#') {
            return (start, pos);
        }
        pos += line.len();
    }
    (start, text.len())
}

/// The template with the first `from` (a whole value, ending the line) in the `section`
/// (e.g. `Policies`, `Events`) of function `resource` replaced by `to`.
fn broken_template(resource: &str, section: &str, from: &str, to: &str) -> String {
    let text = template_text();
    let (start, end) = resource_block(&text, resource);
    let block = &text[start..end];
    assert!(
        block.contains("Type: AWS::Serverless::Function\n"),
        "{resource} is no longer an AWS::Serverless::Function; update this test"
    );
    let section_at = block
        .find(&format!("\n      {section}:\n"))
        .unwrap_or_else(|| panic!("{resource} has no Properties.{section} section"));
    let at = start
        + section_at
        + block[section_at..]
            .find(&format!("{from}\n"))
            .unwrap_or_else(|| panic!("`{from}` not found in {resource}.Properties.{section}"));
    let mut out = String::with_capacity(text.len() + to.len());
    out.push_str(&text[..at]);
    out.push_str(to);
    out.push_str(&text[at + from.len()..]);
    assert_eq!(
        out.matches(to).count(),
        1,
        "the broken reference must appear exactly once"
    );
    out
}

/// A fresh directory under the system temp dir, removed on drop.
struct ScratchDir(PathBuf);

impl ScratchDir {
    fn new(tag: &str) -> ScratchDir {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let dir = env::temp_dir().join(format!(
            "worklane-lint-{tag}-{}-{nanos}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst)
        ));
        fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
        ScratchDir(dir)
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// Lints `text` written to a temp copy and asserts that cfn-lint reports an error naming `bad`.
fn assert_lint_rejects(text: &str, bad: &str, what: &str) {
    let dir = ScratchDir::new("broken");
    let path = dir.0.join("template.yaml");
    assert!(
        !path.to_string_lossy().contains(bad),
        "the temp path must not contain `{bad}`, or the assertion below proves nothing"
    );
    fs::write(&path, text).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
    let result = lint(&path);
    assert!(
        !result.success,
        "cfn-lint accepted a template with {what}; it must fail. Output:\n{}",
        result.output
    );
    // cfn-lint's exit code is a bit mask: 2 = errors, 4 = warnings, 8 = informational.
    assert!(
        result.code.is_some_and(|c| c & 2 != 0),
        "cfn-lint should report an error (exit code with bit 2) for {what}, got {:?}. Output:\n{}",
        result.code,
        result.output
    );
    assert!(
        result.output.contains(bad),
        "cfn-lint output should name `{bad}` for {what}. Output:\n{}",
        result.output
    );
}

#[test]
fn template_passes_cfn_lint() {
    let result = lint(&template_path());
    assert!(
        result.success,
        "cfn-lint found problems in infra/template.yaml (exit {:?}); fix them, or ignore a \
         specific rule in .cfnlintrc.yaml with the reason. Output:\n{}",
        result.code, result.output
    );
}

#[test]
fn cfn_lint_catches_misspelled_ref_in_function_policy() {
    let text = broken_template(
        "AuthFunction",
        "Policies",
        "Resource: !GetAtt Table.Arn",
        "Resource: !GetAtt Tabel.Arn",
    );
    assert_lint_rejects(
        &text,
        "Tabel",
        "`!GetAtt Tabel.Arn` in AuthFunction's Policies",
    );
}

#[test]
fn cfn_lint_catches_misspelled_getatt_in_function_events() {
    let text = broken_template(
        "NotificationsFunction",
        "Events",
        "!GetAtt NotificationsQueue.Arn",
        "!GetAtt NotificationQueue.Arn",
    );
    assert_lint_rejects(
        &text,
        "NotificationQueue",
        "`!GetAtt NotificationQueue.Arn` in NotificationsFunction's Events",
    );
}
