//! The search index as each function holds it: the indexer's writer (one per deployment:
//! reserved concurrency 1, fenced by the pointer's generation) and the searchers' readers.
//!
//! Both live for the whole process, keyed by bucket + table: the local stack runs many
//! isolated stacks in one process, and their indexes must never mix. Local directories are
//! under the system temp dir (`/tmp` on Lambda).

use super::snapshot::{self, Manifest};
use super::{JobSchema, SearchError};
use chrono::{DateTime, Utc};
use std::collections::{HashMap, HashSet, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock, Mutex};
use tantivy::indexer::NoMergePolicy;
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, Searcher, TantivyDocument};
use tokio::sync::{Mutex as AsyncMutex, OwnedMutexGuard};
use worklane::domain::ids::JobId;
use worklane::domain::job::Job;
use worklane::domain::job_search::ClientFacts;
use worklane::store::search::SnapshotPointer;
use worklane::App;

/// The schema is code, identical in every process (field ids are assigned in order).
pub static SCHEMA: LazyLock<JobSchema> = LazyLock::new(JobSchema::new);

/// Indexing memory before tantivy flushes a segment; batches are small, bursts are not.
const WRITER_MEMORY: usize = 64 * 1024 * 1024;
/// Past this many segments the small ones are merged into one before publishing.
const MAX_SEGMENTS: usize = 8;
/// Files stay in S3 while any of the last this-many manifests names them, so a searcher
/// still downloading an older snapshot finds its files.
const KEEP_MANIFESTS: usize = 3;

type Slot<T> = Arc<AsyncMutex<Option<T>>>;

struct Registry<T>(LazyLock<Mutex<HashMap<String, Slot<T>>>>);

impl<T> Registry<T> {
    const fn new() -> Self {
        Self(LazyLock::new(|| Mutex::new(HashMap::new())))
    }

    fn slot(&self, app: &App) -> Slot<T> {
        let mut map = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        map.entry(instance(app)).or_default().clone()
    }
}

static INDEXERS: Registry<Indexer> = Registry::new();
static READERS: Registry<Reader> = Registry::new();

fn instance(app: &App) -> String {
    format!(
        "{}|{}",
        app.config.bucket.as_deref().unwrap_or_default(),
        app.store.table()
    )
}

/// `<temp>/worklane-search/<hash of bucket+table>/<role>`.
pub fn local_dir(app: &App, role: &str) -> PathBuf {
    let digest = worklane::security::sha256_hex(instance(app).as_bytes());
    std::env::temp_dir()
        .join("worklane-search")
        .join(&digest[..16])
        .join(role)
}

fn open_index(dir: &Path) -> Result<(Index, IndexReader), SearchError> {
    let index = Index::open_in_dir(dir)?;
    JobSchema::register_tokenizer(&index);
    let reader = index
        .reader_builder()
        .reload_policy(ReloadPolicy::Manual)
        .try_into()?;
    Ok((index, reader))
}

/// The single writer of the index.
pub struct Indexer {
    index: Index,
    writer: IndexWriter<TantivyDocument>,
    reader: IndexReader,
    dir: PathBuf,
    /// The generation this indexer's state was published as (None: nothing published yet).
    generation: Option<u64>,
    /// Files known to be in S3.
    uploaded: HashSet<String>,
    /// File lists of the last manifests, newest last.
    history: VecDeque<Vec<String>>,
    /// Changes not yet published.
    dirty: bool,
}

/// Exclusive access to this process's indexer for one batch.
pub struct IndexerGuard(OwnedMutexGuard<Option<Indexer>>);

impl IndexerGuard {
    pub fn indexer(&mut self) -> &mut Indexer {
        self.0.as_mut().expect("the guard holds an open indexer")
    }

    /// Drops the local state: the next batch restores from the latest snapshot. Used when
    /// another writer published first or publishing failed half-way.
    pub fn discard(mut self) {
        *self.0 = None;
    }
}

/// Locks this process's indexer, restoring it from the latest snapshot on first use.
pub async fn indexer(app: &App) -> Result<IndexerGuard, SearchError> {
    let mut guard = INDEXERS.slot(app).lock_owned().await;
    if guard.is_none() {
        *guard = Some(Indexer::restore(app, WRITER_MEMORY).await?);
    }
    Ok(IndexerGuard(guard))
}

impl Indexer {
    /// Starts from the published snapshot, or from an empty index when there is none. The
    /// local directory is wiped first: it may hold commits that were never published.
    pub async fn restore(app: &App, memory: usize) -> Result<Self, SearchError> {
        let dir = local_dir(app, "indexer");
        if dir.exists() {
            std::fs::remove_dir_all(&dir)?;
        }
        std::fs::create_dir_all(&dir)?;
        let pointer = app.store.search_snapshot().await?;
        let (index, manifest) = match &pointer {
            Some(pointer) => {
                let manifest =
                    snapshot::manifest(app.s3(), app.bucket()?, &pointer.manifest).await?;
                snapshot::restore(app.s3(), app.bucket()?, &manifest, &dir).await?;
                // Tantivy only garbage-collects files it manages: hand it the restored ones.
                let managed = serde_json::to_vec(&manifest.files).expect("names serialize");
                snapshot::write_atomically(&dir, ".managed.json", &managed)?;
                let index = Index::open_in_dir(&dir)?;
                (index, Some(manifest))
            }
            None => (Index::create_in_dir(&dir, SCHEMA.schema.clone())?, None),
        };
        JobSchema::register_tokenizer(&index);
        let writer = index.writer_with_num_threads(1, memory)?;
        // Merges run inside `publish`, never in the background, so no file changes while it
        // uploads and a frozen Lambda never holds a half-done merge.
        writer.set_merge_policy(Box::new(NoMergePolicy));
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        let files = manifest.map(|m| m.files).unwrap_or_default();
        Ok(Self {
            index,
            writer,
            reader,
            dir,
            generation: pointer.map(|p| p.generation),
            uploaded: files.iter().cloned().collect(),
            history: VecDeque::from([files]),
            dirty: false,
        })
    }

    /// Adds the job, replacing any earlier version of it.
    pub fn upsert(&mut self, job: &Job, client: &ClientFacts) -> Result<(), SearchError> {
        self.writer.delete_term(SCHEMA.id_term(&job.id));
        self.writer.add_document(SCHEMA.document(job, client))?;
        self.dirty = true;
        Ok(())
    }

    pub fn remove(&mut self, id: &JobId) {
        self.writer.delete_term(SCHEMA.id_term(id));
        self.dirty = true;
    }

    /// Expired jobs are already invisible to searches (they filter on `now`); this keeps
    /// them from piling up in the index.
    pub fn purge_expired(&mut self, now: DateTime<Utc>) -> Result<(), SearchError> {
        self.writer.delete_query(SCHEMA.expired_by(now))?;
        Ok(())
    }

    pub fn generation(&self) -> Option<u64> {
        self.generation
    }

    /// The committed index as this writer sees it (tests and the benchmark).
    pub fn searcher(&self) -> Searcher {
        self.reader.searcher()
    }

    /// Commits without publishing (the benchmark measures the two apart).
    pub fn commit(&mut self) -> Result<(), SearchError> {
        self.writer.commit()?;
        self.reader.reload()?;
        Ok(())
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Commits, merges small segments, uploads the new files, writes the manifest and moves
    /// the pointer. Returns the new generation, or `None` when nothing changed.
    pub async fn publish(
        &mut self,
        app: &App,
        now: DateTime<Utc>,
    ) -> Result<Option<u64>, SearchError> {
        if !self.dirty {
            return Ok(None);
        }
        self.writer.commit()?;
        self.merge_small_segments()?;
        self.writer.garbage_collect_files().wait()?;
        self.reader.reload()?;
        let mut files: Vec<String> = Vec::new();
        for meta in self.index.searchable_segment_metas()? {
            for path in meta.list_files() {
                if self.dir.join(&path).exists() {
                    files.push(path.to_string_lossy().into_owned());
                }
            }
        }
        files.sort();
        snapshot::upload_new(
            app.s3(),
            app.bucket()?,
            &self.dir,
            &files,
            &mut self.uploaded,
        )
        .await?;
        let generation = self.generation.map_or(1, |g| g + 1);
        let docs = self.reader.searcher().num_docs();
        let manifest = Manifest {
            generation,
            meta: std::fs::read_to_string(self.dir.join("meta.json"))?,
            files: files.clone(),
            docs,
            published_at: now,
        };
        let key = snapshot::manifest_key(generation);
        let body = serde_json::to_vec(&manifest).expect("manifests serialize");
        snapshot::put(app.s3(), app.bucket()?, &key, body).await?;
        let pointer = SnapshotPointer::new(generation, key, docs, now);
        if !app
            .store
            .advance_search_snapshot(self.generation, &pointer)
            .await?
        {
            return Err(SearchError::Superseded);
        }
        self.generation = Some(generation);
        self.dirty = false;
        self.history.push_back(files);
        self.forget_old_files(app, generation).await;
        Ok(Some(generation))
    }

    /// Merges every segment but the largest once there are too many: segment count (and so
    /// search cost) stays bounded while the big segment is rewritten only rarely.
    fn merge_small_segments(&mut self) -> Result<(), SearchError> {
        let mut metas = self.index.searchable_segment_metas()?;
        if metas.len() <= MAX_SEGMENTS {
            return Ok(());
        }
        metas.sort_by_key(|m| std::cmp::Reverse(m.num_docs()));
        let small: Vec<_> = metas.iter().skip(1).map(|m| m.id()).collect();
        self.writer.merge(&small).wait()?;
        Ok(())
    }

    /// Deletes from S3 the files no retained manifest names, and the manifest that fell out.
    /// Best effort: a leftover file costs storage, never correctness.
    async fn forget_old_files(&mut self, app: &App, generation: u64) {
        // Without a bucket nothing was published, so there is nothing old to forget.
        let Ok(bucket) = app.bucket() else {
            return;
        };
        while self.history.len() > KEEP_MANIFESTS {
            let Some(dropped) = self.history.pop_front() else {
                break;
            };
            let kept: HashSet<&String> = self.history.iter().flatten().collect();
            for name in dropped.iter().filter(|n| !kept.contains(n)) {
                match snapshot::delete(app.s3(), bucket, &snapshot::file_key(name)).await {
                    Ok(()) => {
                        self.uploaded.remove(name);
                    }
                    Err(err) => tracing::warn!(%err, file = %name, "old index file not deleted"),
                }
            }
            let old = generation.saturating_sub(KEEP_MANIFESTS as u64);
            if old > 0 {
                let key = snapshot::manifest_key(old);
                if let Err(err) = snapshot::delete(app.s3(), bucket, &key).await {
                    tracing::warn!(%err, manifest = %key, "old manifest not deleted");
                }
            }
        }
    }
}

/// A searcher's copy of the index: the loaded generation and its reader.
struct Reader {
    generation: u64,
    reader: IndexReader,
    /// Kept so the reader's directory stays open.
    _index: Index,
}

/// A searcher over the latest published snapshot, or `None` when nothing was ever
/// published. One small GetItem per call checks the pointer; a moved generation loads the
/// new manifest and downloads only the files this process lacks.
///
/// When the snapshot cannot be loaded (S3 or the table failing), the snapshot already
/// loaded keeps serving — stale results beat no results — and only a process with none
/// fails the request.
pub async fn searcher(app: &App) -> Result<Option<Searcher>, SearchError> {
    let slot = READERS.slot(app);
    let mut state = slot.lock().await;
    let pointer = match app.store.search_snapshot().await {
        Ok(pointer) => pointer,
        Err(err) => match state.as_ref() {
            Some(loaded) => {
                tracing::warn!(%err, "search snapshot pointer unreadable; serving the loaded one");
                return Ok(Some(loaded.reader.searcher()));
            }
            None => return Err(err.into()),
        },
    };
    let Some(pointer) = pointer else {
        return Ok(None);
    };
    if state.as_ref().map(|r| r.generation) != Some(pointer.generation) {
        match load(app, &pointer, state.take()).await {
            Ok(reader) => *state = Some(reader),
            Err((err, Some(previous))) => {
                tracing::warn!(%err, generation = pointer.generation, "search snapshot not loaded; serving the previous one");
                *state = Some(previous);
            }
            Err((err, None)) => return Err(err),
        }
    }
    Ok(state.as_ref().map(|r| r.reader.searcher()))
}

/// Loads `pointer`'s snapshot, reusing `previous` (its open index) when there is one. On
/// failure the previous reader is handed back untouched.
async fn load(
    app: &App,
    pointer: &SnapshotPointer,
    previous: Option<Reader>,
) -> Result<Reader, (SearchError, Option<Reader>)> {
    let dir = local_dir(app, "reader");
    let bucket = match app.bucket() {
        Ok(bucket) => bucket,
        Err(err) => return Err((err.into(), previous)),
    };
    let manifest = match snapshot::manifest(app.s3(), bucket, &pointer.manifest).await {
        Ok(manifest) => manifest,
        Err(err) => return Err((err, previous)),
    };
    if let Err(err) = snapshot::restore(app.s3(), bucket, &manifest, &dir).await {
        return Err((err, previous));
    }
    let reader = match previous {
        Some(previous) => match previous.reader.reload() {
            Ok(()) => Reader {
                generation: manifest.generation,
                ..previous
            },
            Err(err) => return Err((err.into(), Some(previous))),
        },
        None => match open_index(&dir) {
            Ok((index, reader)) => Reader {
                generation: manifest.generation,
                reader,
                _index: index,
            },
            Err(err) => return Err((err, None)),
        },
    };
    for stale in snapshot::stale_files(&dir, &manifest.files) {
        let _ = std::fs::remove_file(stale);
    }
    Ok(reader)
}
