//! Index snapshots in S3. Tantivy never rewrites a segment file once written (deletes go to
//! new `<segment>.<opstamp>.del` files), so every file is uploaded once under its own name
//! and a snapshot is just a manifest: the list of files plus the content of `meta.json`,
//! the only file tantivy rewrites. The pointer item in DynamoDB names the current manifest.

use super::SearchError;
use aws_sdk_s3::primitives::ByteStream;
use chrono::{DateTime, Utc};
use futures::{StreamExt, TryStreamExt};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::path::Path;

/// Where snapshots live in the bucket.
pub const PREFIX: &str = "search/jobs";
/// Uploads and downloads in flight at once.
const PARALLEL_TRANSFERS: usize = 8;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub generation: u64,
    /// The index's `meta.json`, which names the segments and the schema.
    pub meta: String,
    /// Every segment file the snapshot needs, by name under `files/`.
    pub files: Vec<String>,
    pub docs: u64,
    pub published_at: DateTime<Utc>,
}

pub fn file_key(name: &str) -> String {
    format!("{PREFIX}/files/{name}")
}

pub fn manifest_key(generation: u64) -> String {
    format!("{PREFIX}/manifests/{generation:012}.json")
}

fn storage(err: impl std::fmt::Display) -> SearchError {
    SearchError::Storage(err.to_string())
}

pub async fn put(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
    body: Vec<u8>,
) -> Result<(), SearchError> {
    s3.put_object()
        .bucket(bucket)
        .key(key)
        .body(ByteStream::from(body))
        .send()
        .await
        .map_err(|e| storage(aws_sdk_s3::error::DisplayErrorContext(&e)))?;
    Ok(())
}

pub async fn get(s3: &aws_sdk_s3::Client, bucket: &str, key: &str) -> Result<Vec<u8>, SearchError> {
    let output = s3
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .map_err(|e| storage(aws_sdk_s3::error::DisplayErrorContext(&e)))?;
    let bytes = output.body.collect().await.map_err(storage)?;
    Ok(bytes.into_bytes().to_vec())
}

pub async fn delete(s3: &aws_sdk_s3::Client, bucket: &str, key: &str) -> Result<(), SearchError> {
    s3.delete_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .map_err(|e| storage(aws_sdk_s3::error::DisplayErrorContext(&e)))?;
    Ok(())
}

pub async fn manifest(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
) -> Result<Manifest, SearchError> {
    let raw = get(s3, bucket, key).await?;
    serde_json::from_slice(&raw).map_err(|e| SearchError::Storage(format!("manifest {key}: {e}")))
}

/// Writes a file so that readers see the old or the new content, never a part.
pub fn write_atomically(dir: &Path, name: &str, bytes: &[u8]) -> Result<(), SearchError> {
    let partial = dir.join(format!("{name}.partial"));
    std::fs::write(&partial, bytes)?;
    std::fs::rename(&partial, dir.join(name))?;
    Ok(())
}

/// Makes `dir` hold the manifest's snapshot: downloads the files it lacks (present files are
/// complete — they were renamed into place — and immutable, so they are kept), then writes
/// `meta.json` last, so the index never names a segment that is not there yet.
pub async fn restore(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    manifest: &Manifest,
    dir: &Path,
) -> Result<usize, SearchError> {
    std::fs::create_dir_all(dir)?;
    // Owned names: futures borrowing from the iterator would not be `Send` for every lifetime.
    let missing: Vec<String> = manifest
        .files
        .iter()
        .filter(|name| !dir.join(name.as_str()).exists())
        .cloned()
        .collect();
    let fetched = missing.len();
    futures::stream::iter(missing)
        .map(|name: String| async move {
            let bytes = get(s3, bucket, &file_key(&name)).await?;
            write_atomically(dir, &name, &bytes)
        })
        .buffer_unordered(PARALLEL_TRANSFERS)
        .try_collect::<Vec<()>>()
        .await?;
    write_atomically(dir, "meta.json", manifest.meta.as_bytes())?;
    Ok(fetched)
}

/// Uploads the files of `names` that are not in `uploaded` yet, and records them there.
pub async fn upload_new(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    dir: &Path,
    names: &[String],
    uploaded: &mut HashSet<String>,
) -> Result<usize, SearchError> {
    let new: Vec<String> = names
        .iter()
        .filter(|n| !uploaded.contains(*n))
        .cloned()
        .collect();
    let count = new.len();
    futures::stream::iter(new.clone())
        .map(|name: String| async move {
            let bytes = tokio::fs::read(dir.join(&name)).await?;
            put(s3, bucket, &file_key(&name), bytes).await
        })
        .buffer_unordered(PARALLEL_TRANSFERS)
        .try_collect::<Vec<()>>()
        .await?;
    uploaded.extend(new);
    Ok(count)
}

/// Local files that are not part of `keep` (and are not tantivy's bookkeeping): what a
/// reader deletes after moving to a new snapshot. Open memory maps survive the unlink.
pub fn stale_files(dir: &Path, keep: &[String]) -> Vec<std::path::PathBuf> {
    let keep: HashSet<&str> = keep.iter().map(String::as_str).collect();
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| {
                    let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
                    !keep.contains(name) && name != "meta.json" && !name.starts_with('.')
                })
                .collect()
        })
        .unwrap_or_default()
}
