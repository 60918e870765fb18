//! Find work (PRODUCT §3.3, §3.5): a tantivy index of the open, public jobs, built by the
//! single `search-indexer` function and published to S3 as immutable segment files plus a
//! manifest; `job-search` loads the latest snapshot and reloads when the pointer item in
//! DynamoDB moves. docs/search.md explains the choice, freshness and failure modes.
//!
//! This module is the index itself (schema, documents, queries, keyset paging); `snapshot`
//! moves it through S3; `engine` keeps the per-process writer and readers.

pub mod engine;
pub mod snapshot;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;
use std::ops::Bound;
use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::Column;
use tantivy::query::{
    AllQuery, Bm25StatisticsProvider, BooleanQuery, BoostQuery, ConstScoreQuery, Occur,
    PhraseQuery, Query, RangeQuery, TermQuery,
};
use tantivy::schema::{
    Field, IndexRecordOption, NumericOptions, Schema, TextFieldIndexing, TextOptions, STRING,
};
use tantivy::tokenizer::{LowerCaser, SimpleTokenizer, TextAnalyzer};
use tantivy::{
    DocId, Index, Score, Searcher, SegmentOrdinal, SegmentReader, TantivyDocument, Term,
};
use worklane::domain::ids::JobId;
use worklane::domain::job::Job;
use worklane::domain::job_search::{ClientFacts, JobFilters};
use worklane::domain::search_query::Query as KeywordQuery;

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("search index: {0}")]
    Index(#[from] tantivy::TantivyError),
    #[error("snapshot storage: {0}")]
    Storage(String),
    #[error(transparent)]
    Store(#[from] worklane::store::StoreError),
    #[error("local index files: {0}")]
    Io(#[from] std::io::Error),
    /// Another indexer moved the snapshot pointer first; this one's state is not the truth.
    #[error("another indexer published first")]
    Superseded,
}

impl From<worklane::config::Unconfigured> for SearchError {
    fn from(err: worklane::config::Unconfigured) -> Self {
        SearchError::Storage(err.to_string())
    }
}

impl From<SearchError> for worklane::http::ApiError {
    fn from(err: SearchError) -> Self {
        // The index is a cache of the table: when it cannot be read, ask the caller to retry.
        tracing::warn!(%err, "search unavailable");
        worklane::http::ApiError::Unavailable
    }
}

impl From<SearchError> for worklane::worker::WorkerError {
    fn from(err: SearchError) -> Self {
        worklane::worker::WorkerError::Retryable(err.to_string())
    }
}

impl From<tantivy::directory::error::OpenReadError> for SearchError {
    fn from(err: tantivy::directory::error::OpenReadError) -> Self {
        SearchError::Index(err.into())
    }
}

/// The analyzer of the text fields; `domain::search_query::tokens` cuts text the same way.
pub const TOKENIZER: &str = "worklane";

/// The fields of the job index. Text fields keep positions (phrases); the rest are exact
/// terms or numbers for filters, and fast columns for sorting.
#[derive(Clone, Debug)]
pub struct JobSchema {
    pub schema: Schema,
    id: Field,
    id_hi: Field,
    id_lo: Field,
    title: Field,
    description: Field,
    skills_text: Field,
    skill: Field,
    category: Field,
    job_type: Field,
    experience: Field,
    budget_cents: Field,
    payment_verified: Field,
    client_hires: Field,
    client_spent_cents: Field,
    posted_at: Field,
    expires_at: Field,
}

impl Default for JobSchema {
    fn default() -> Self {
        Self::new()
    }
}

/// A job id's ULID as a number: ids sort like their strings, so the number is the tie-break.
fn ulid_of(id: &JobId) -> u128 {
    let raw = id
        .as_str()
        .trim_start_matches(JobId::PREFIX)
        .trim_start_matches('_');
    ulid::Ulid::from_string(&raw.to_uppercase())
        .map(u128::from)
        .unwrap_or_default()
}

fn job_id_of(value: u128) -> Option<JobId> {
    let ulid = ulid::Ulid::from(value).to_string().to_lowercase();
    JobId::parse(&format!("{}_{ulid}", JobId::PREFIX))
}

impl JobSchema {
    pub fn new() -> Self {
        let mut builder = Schema::builder();
        let text = TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(TOKENIZER)
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        );
        let filter = || NumericOptions::default().set_indexed().set_fast();
        let id = builder.add_text_field("id", STRING);
        let id_hi = builder.add_u64_field("id_hi", NumericOptions::default().set_fast());
        let id_lo = builder.add_u64_field("id_lo", NumericOptions::default().set_fast());
        let title = builder.add_text_field("title", text.clone());
        let description = builder.add_text_field("description", text.clone());
        let skills_text = builder.add_text_field("skills_text", text);
        let skill = builder.add_text_field("skill", STRING);
        let category = builder.add_text_field("category", STRING);
        let job_type = builder.add_text_field("type", STRING);
        let experience = builder.add_text_field("experience", STRING);
        let budget_cents = builder.add_i64_field("budget_cents", filter());
        let payment_verified = builder.add_u64_field("payment_verified", filter());
        let client_hires = builder.add_u64_field("client_hires", filter());
        let client_spent_cents = builder.add_i64_field("client_spent_cents", filter());
        let posted_at = builder.add_i64_field("posted_at", filter());
        let expires_at = builder.add_i64_field("expires_at", filter());
        Self {
            schema: builder.build(),
            id,
            id_hi,
            id_lo,
            title,
            description,
            skills_text,
            skill,
            category,
            job_type,
            experience,
            budget_cents,
            payment_verified,
            client_hires,
            client_spent_cents,
            posted_at,
            expires_at,
        }
    }

    /// Tokenizers are not stored in the index: every opened index needs this.
    pub fn register_tokenizer(index: &Index) {
        index.tokenizers().register(
            TOKENIZER,
            TextAnalyzer::builder(SimpleTokenizer::default())
                .filter(LowerCaser)
                .build(),
        );
    }

    pub fn id_term(&self, id: &JobId) -> Term {
        Term::from_field_text(self.id, id.as_str())
    }

    pub fn document(&self, job: &Job, client: &ClientFacts) -> TantivyDocument {
        let ulid = ulid_of(&job.id);
        let mut doc = TantivyDocument::default();
        doc.add_text(self.id, job.id.as_str());
        doc.add_u64(self.id_hi, (ulid >> 64) as u64);
        doc.add_u64(self.id_lo, ulid as u64);
        doc.add_text(self.title, &job.title);
        doc.add_text(self.description, &job.description);
        for skill in &job.skills {
            doc.add_text(self.skills_text, skill);
            doc.add_text(self.skill, skill);
        }
        doc.add_text(self.category, &job.category);
        doc.add_text(self.job_type, wire_name(&job.terms.job_type()));
        doc.add_text(self.experience, wire_name(&job.experience_level));
        doc.add_i64(self.budget_cents, job.terms.budget_ceiling().minor_units());
        doc.add_u64(self.payment_verified, client.payment_verified as u64);
        doc.add_u64(self.client_hires, client.hires);
        doc.add_i64(self.client_spent_cents, client.total_spent_cents);
        doc.add_i64(self.posted_at, job.posted_at.timestamp_millis());
        doc.add_i64(self.expires_at, job.expires_at.timestamp_millis());
        doc
    }

    /// Documents that can no longer be found at `now` (expired): the indexer purges them.
    pub fn expired_by(&self, now: DateTime<Utc>) -> Box<dyn Query> {
        Box::new(RangeQuery::new(
            Bound::Unbounded,
            Bound::Included(Term::from_field_i64(
                self.expires_at,
                now.timestamp_millis(),
            )),
        ))
    }

    fn term(&self, field: Field, text: &str) -> Box<dyn Query> {
        Box::new(TermQuery::new(
            Term::from_field_text(field, text),
            IndexRecordOption::Basic,
        ))
    }

    fn range_i64(
        &self,
        field: Field,
        min: Option<i64>,
        max: Option<i64>,
    ) -> Option<Box<dyn Query>> {
        let bound = |v: Option<i64>| match v {
            Some(v) => Bound::Included(Term::from_field_i64(field, v)),
            None => Bound::Unbounded,
        };
        (min.is_some() || max.is_some())
            .then(|| Box::new(RangeQuery::new(bound(min), bound(max))) as Box<dyn Query>)
    }

    /// A keyword term or phrase over title (boosted), skills and description.
    fn text_query(&self, words: &[String]) -> Box<dyn Query> {
        let fields = [
            (self.title, 2.0),
            (self.skills_text, 1.5),
            (self.description, 1.0),
        ];
        let per_field = fields
            .iter()
            .map(|&(field, boost)| {
                let inner: Box<dyn Query> = if words.len() == 1 {
                    Box::new(TermQuery::new(
                        Term::from_field_text(field, &words[0]),
                        IndexRecordOption::WithFreqs,
                    ))
                } else {
                    Box::new(PhraseQuery::new(
                        words
                            .iter()
                            .map(|w| Term::from_field_text(field, w))
                            .collect(),
                    ))
                };
                (
                    Occur::Should,
                    Box::new(BoostQuery::new(inner, boost)) as Box<dyn Query>,
                )
            })
            .collect();
        Box::new(BooleanQuery::new(per_field))
    }

    /// The keyword AST as a tantivy query. NOT needs something to subtract from: inside an
    /// AND it subtracts from its siblings; elsewhere from every document.
    pub fn keyword_query(&self, query: &KeywordQuery) -> Box<dyn Query> {
        match query {
            KeywordQuery::Text(words) => self.text_query(words),
            KeywordQuery::Or(parts) => Box::new(BooleanQuery::new(
                parts
                    .iter()
                    .map(|p| (Occur::Should, self.keyword_query(p)))
                    .collect(),
            )),
            KeywordQuery::And(parts) => {
                let mut clauses: Vec<(Occur, Box<dyn Query>)> = parts
                    .iter()
                    .map(|p| match p {
                        KeywordQuery::Not(inner) => (Occur::MustNot, self.keyword_query(inner)),
                        other => (Occur::Must, self.keyword_query(other)),
                    })
                    .collect();
                if clauses.iter().all(|(occur, _)| *occur == Occur::MustNot) {
                    clauses.push((Occur::Must, everything()));
                }
                Box::new(BooleanQuery::new(clauses))
            }
            KeywordQuery::Not(inner) => Box::new(BooleanQuery::new(vec![
                (Occur::Must, everything()),
                (Occur::MustNot, self.keyword_query(inner)),
            ])),
        }
    }

    /// Filters as non-scoring clauses; always "not expired at `as_of`".
    pub fn filter_clauses(
        &self,
        filters: &JobFilters,
        as_of: DateTime<Utc>,
    ) -> Vec<Box<dyn Query>> {
        let mut out: Vec<Box<dyn Query>> = Vec::new();
        out.push(Box::new(RangeQuery::new(
            Bound::Excluded(Term::from_field_i64(
                self.expires_at,
                as_of.timestamp_millis(),
            )),
            Bound::Unbounded,
        )));
        if let Some(category) = &filters.category {
            out.push(self.term(self.category, category));
        }
        for skill in &filters.skills {
            out.push(self.term(self.skill, skill));
        }
        if let Some(job_type) = &filters.job_type {
            out.push(self.term(self.job_type, &wire_name(job_type)));
        }
        if let Some(experience) = &filters.experience {
            out.push(self.term(self.experience, &wire_name(experience)));
        }
        out.extend(self.range_i64(
            self.budget_cents,
            filters.budget_min_cents,
            filters.budget_max_cents,
        ));
        if let Some(verified) = filters.payment_verified {
            out.push(Box::new(TermQuery::new(
                Term::from_field_u64(self.payment_verified, verified as u64),
                IndexRecordOption::Basic,
            )));
        }
        if let Some(min) = filters.client_hires_min {
            out.push(Box::new(RangeQuery::new(
                Bound::Included(Term::from_field_u64(self.client_hires, min)),
                Bound::Unbounded,
            )));
        }
        out.extend(self.range_i64(
            self.client_spent_cents,
            filters.client_spent_min_cents,
            None,
        ));
        if let Some(within) = filters.posted_within {
            out.extend(self.range_i64(
                self.posted_at,
                Some((as_of - within.duration()).timestamp_millis()),
                None,
            ));
        }
        out
    }

    /// Jobs sharing skills with `skills`: the score is the number of shared skills.
    pub fn skill_overlap(&self, skills: &[String]) -> Box<dyn Query> {
        Box::new(BooleanQuery::new(
            skills
                .iter()
                .map(|s| {
                    (
                        Occur::Should,
                        Box::new(ConstScoreQuery::new(self.term(self.skill, s), 1.0))
                            as Box<dyn Query>,
                    )
                })
                .collect(),
        ))
    }

    fn text_fields(&self) -> [Field; 3] {
        [self.title, self.description, self.skills_text]
    }
}

fn everything() -> Box<dyn Query> {
    Box::new(ConstScoreQuery::new(Box::new(AllQuery), 0.0))
}

/// The serde name of an enum value (`fixed`, `expert`): one spelling for API and index.
fn wire_name<T: Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// How results are ordered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Ranking {
    /// By score (BM25 for keywords, shared skills for recommendations), then recency.
    Score,
    /// Newest first.
    Recency,
}

/// A hit's place in the order: score, then posted_at, then id, all descending. Every job has
/// a distinct key, so "strictly after the last key" pages without duplicates or gaps.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct SortKey {
    /// The score's bits (exact through JSON); 0 when ranking by recency.
    pub score_bits: u32,
    pub posted_ms: i64,
    pub id_hi: u64,
    pub id_lo: u64,
}

impl SortKey {
    fn new(score: Score, posted_ms: i64, id: u128) -> Self {
        Self {
            score_bits: score.to_bits(),
            posted_ms,
            id_hi: (id >> 64) as u64,
            id_lo: id as u64,
        }
    }

    fn id(&self) -> u128 {
        ((self.id_hi as u128) << 64) | self.id_lo as u128
    }

    fn score(&self) -> Score {
        Score::from_bits(self.score_bits)
    }
}

impl Eq for SortKey {}

impl Ord for SortKey {
    fn cmp(&self, other: &Self) -> Ordering {
        self.score()
            .total_cmp(&other.score())
            .then(self.posted_ms.cmp(&other.posted_ms))
            .then(self.id().cmp(&other.id()))
    }
}

impl PartialOrd for SortKey {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// BM25 statistics frozen when a search's first page ran. Later pages score with these, so
/// a job's score — and its place in the order — does not move when the index changes
/// between pages (docs/search.md, "Paging").
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct FrozenStats {
    pub docs: u64,
    /// (field id, total tokens) of the text fields.
    pub tokens: Vec<(u32, u64)>,
    /// (field id, token, document frequency) of every keyword term.
    pub doc_freqs: Vec<(u32, String, u64)>,
}

impl FrozenStats {
    pub fn capture(
        schema: &JobSchema,
        searcher: &Searcher,
        query: &dyn Query,
    ) -> tantivy::Result<Self> {
        let mut terms: Vec<Term> = Vec::new();
        query.query_terms(&mut |term, _| terms.push(term.clone()));
        let mut doc_freqs = Vec::new();
        for term in terms {
            let value = term.value();
            if let Some(text) = value.as_str() {
                let entry = (
                    term.field().field_id(),
                    text.to_string(),
                    searcher.doc_freq(&term)?,
                );
                if !doc_freqs.contains(&entry) {
                    doc_freqs.push(entry);
                }
            }
        }
        let tokens = schema
            .text_fields()
            .iter()
            .map(|&f| {
                Ok((
                    f.field_id(),
                    Bm25StatisticsProvider::total_num_tokens(searcher, f)?,
                ))
            })
            .collect::<tantivy::Result<_>>()?;
        Ok(Self {
            docs: Bm25StatisticsProvider::total_num_docs(searcher)?,
            tokens,
            doc_freqs,
        })
    }
}

impl Bm25StatisticsProvider for FrozenStats {
    fn total_num_tokens(&self, field: Field) -> tantivy::Result<u64> {
        Ok(self
            .tokens
            .iter()
            .find(|(f, _)| *f == field.field_id())
            .map(|(_, n)| *n)
            .unwrap_or(0))
    }

    fn total_num_docs(&self) -> tantivy::Result<u64> {
        Ok(self.docs)
    }

    fn doc_freq(&self, term: &Term) -> tantivy::Result<u64> {
        let value = term.value();
        let text = value.as_str().unwrap_or_default();
        Ok(self
            .doc_freqs
            .iter()
            .find(|(f, t, _)| *f == term.field().field_id() && t == text)
            .map(|(_, _, n)| *n)
            .unwrap_or(0))
    }
}

/// One search: what to match, how to order, where the previous page stopped.
pub struct SearchSpec<'a> {
    /// Scoring clause (keywords or skills); `None` matches every findable job.
    pub matching: Option<Box<dyn Query>>,
    pub filters: &'a JobFilters,
    pub ranking: Ranking,
    /// The instant the whole paged search is evaluated at (expiry, posted-within).
    pub as_of: DateTime<Utc>,
    pub limit: usize,
    pub after: Option<SortKey>,
    /// Statistics of the first page; `None` on the first page.
    pub stats: Option<FrozenStats>,
}

pub struct SearchHits {
    pub ids: Vec<JobId>,
    /// The key of the last hit when more follow.
    pub next: Option<SortKey>,
    pub stats: FrozenStats,
}

pub fn search(
    schema: &JobSchema,
    searcher: &Searcher,
    spec: SearchSpec<'_>,
) -> tantivy::Result<SearchHits> {
    let scored = spec.ranking == Ranking::Score && spec.matching.is_some();
    let mut clauses: Vec<(Occur, Box<dyn Query>)> =
        vec![(Occur::Must, spec.matching.unwrap_or_else(everything))];
    for filter in schema.filter_clauses(spec.filters, spec.as_of) {
        clauses.push((Occur::Must, Box::new(ConstScoreQuery::new(filter, 0.0))));
    }
    let query = BooleanQuery::new(clauses);
    let stats = match spec.stats {
        Some(stats) => stats,
        None if scored => FrozenStats::capture(schema, searcher, &query)?,
        None => FrozenStats::default(),
    };
    let collector = KeysetTopK {
        limit: spec.limit + 1,
        after: spec.after,
        scored,
    };
    let mut keys = searcher.search_with_statistics_provider(&query, &collector, &stats)?;
    let more = keys.len() > spec.limit;
    keys.truncate(spec.limit);
    Ok(SearchHits {
        ids: keys.iter().filter_map(|k| job_id_of(k.id())).collect(),
        next: if more { keys.last().copied() } else { None },
        stats,
    })
}

/// The best `limit` hits strictly after `after`, in descending key order.
struct KeysetTopK {
    limit: usize,
    after: Option<SortKey>,
    scored: bool,
}

struct SegmentKeyset {
    posted: Column<i64>,
    id_hi: Column<u64>,
    id_lo: Column<u64>,
    after: Option<SortKey>,
    scored: bool,
    limit: usize,
    best: BinaryHeap<Reverse<SortKey>>,
}

impl Collector for KeysetTopK {
    type Fruit = Vec<SortKey>;
    type Child = SegmentKeyset;

    fn for_segment(
        &self,
        _: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<SegmentKeyset> {
        let fast = reader.fast_fields();
        Ok(SegmentKeyset {
            posted: fast.i64("posted_at")?,
            id_hi: fast.u64("id_hi")?,
            id_lo: fast.u64("id_lo")?,
            after: self.after,
            scored: self.scored,
            limit: self.limit,
            best: BinaryHeap::with_capacity(self.limit + 1),
        })
    }

    fn requires_scoring(&self) -> bool {
        self.scored
    }

    fn merge_fruits(&self, fruits: Vec<Vec<SortKey>>) -> tantivy::Result<Vec<SortKey>> {
        let mut all: Vec<SortKey> = fruits.into_iter().flatten().collect();
        all.sort_unstable_by(|a, b| b.cmp(a));
        all.truncate(self.limit);
        Ok(all)
    }
}

impl SegmentCollector for SegmentKeyset {
    type Fruit = Vec<SortKey>;

    fn collect(&mut self, doc: DocId, score: Score) {
        let id = ((self.id_hi.first(doc).unwrap_or(0) as u128) << 64)
            | self.id_lo.first(doc).unwrap_or(0) as u128;
        let score = if self.scored { score } else { 0.0 };
        let key = SortKey::new(score, self.posted.first(doc).unwrap_or(0), id);
        if self.after.is_some_and(|after| key >= after) {
            return;
        }
        if self.best.len() < self.limit {
            self.best.push(Reverse(key));
        } else if self.best.peek().is_some_and(|Reverse(worst)| key > *worst) {
            self.best.pop();
            self.best.push(Reverse(key));
        }
    }

    fn harvest(self) -> Vec<SortKey> {
        self.best.into_iter().map(|Reverse(k)| k).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;
    use tantivy::tokenizer::TokenStream;
    use worklane::domain::ids::UserId;
    use worklane::domain::job::JobDraft;
    use worklane::domain::job_search::FilterInput;
    use worklane::domain::search_query::tokens;

    fn now() -> DateTime<Utc> {
        "2026-12-01T10:00:00Z".parse().unwrap()
    }

    fn job(title: &str, skills: &[&str], budget: &str, minutes_ago: i64) -> Job {
        let draft: JobDraft = serde_json::from_value(serde_json::json!({
            "title": title, "description": format!("{title}. A longer description of the work."),
            "category": "web-mobile-software-dev", "skills": skills,
            "experience_level": "expert", "type": "fixed",
            "budget": {"amount": budget, "currency": "USD"}, "duration": "1-3 months"
        }))
        .unwrap();
        let at = now() - Duration::minutes(minutes_ago);
        Job::post(
            JobId::generate(at),
            UserId::generate(at),
            draft.check().unwrap(),
            at,
        )
    }

    fn index(jobs: &[Job]) -> (JobSchema, Index) {
        let schema = JobSchema::new();
        let index = Index::create_in_ram(schema.schema.clone());
        JobSchema::register_tokenizer(&index);
        let mut writer = index.writer_with_num_threads(1, 15_000_000).unwrap();
        for job in jobs {
            writer
                .add_document(schema.document(job, &ClientFacts::default()))
                .unwrap();
        }
        writer.commit().unwrap();
        (schema, index)
    }

    fn run(
        schema: &JobSchema,
        index: &Index,
        q: Option<&str>,
        filters: &[(&str, &str)],
        limit: usize,
    ) -> Vec<JobId> {
        let filters =
            FilterInput::from_params(|n| filters.iter().find(|(k, _)| *k == n).map(|(_, v)| *v))
                .unwrap()
                .check()
                .unwrap();
        let searcher = index.reader().unwrap().searcher();
        let mut out = Vec::new();
        let (mut after, mut stats) = (None, None);
        loop {
            let hits = search(
                schema,
                &searcher,
                SearchSpec {
                    matching: q.map(|q| schema.keyword_query(&KeywordQuery::parse(q).unwrap())),
                    filters: &filters,
                    ranking: Ranking::Score,
                    as_of: now(),
                    limit,
                    after,
                    stats,
                },
            )
            .unwrap();
            out.extend(hits.ids);
            match hits.next {
                Some(next) => {
                    after = Some(next);
                    stats = Some(hits.stats);
                }
                None => return out,
            }
        }
    }

    #[test]
    fn the_index_tokenizes_like_the_domain() {
        let (_, index) = index(&[]);
        let mut analyzer = index.tokenizers().get(TOKENIZER).unwrap();
        for text in [
            "Node.js, C++ & Go!",
            "ÉCOLE Straße ΣΊΣΥΦΟΣ",
            "aws-lambda x_y 42",
        ] {
            let mut stream = analyzer.token_stream(text);
            let mut seen = Vec::new();
            while stream.advance() {
                seen.push(stream.token().text.clone());
            }
            assert_eq!(seen, tokens(text), "{text}");
        }
    }

    #[test]
    fn keywords_and_filters_find_exactly_the_matching_jobs() {
        let jobs = [
            job(
                "Rust engineer for a REST API",
                &["rust", "aws-lambda"],
                "900",
                1,
            ),
            job("Go developer for a REST service", &["go"], "300", 2),
            job("Python data pipeline", &["python", "aws"], "1500", 3),
            job("Rust and Go CLI tool", &["rust", "go"], "150", 4),
        ];
        let (schema, index) = index(&jobs);
        let ids = |q: Option<&str>, f: &[(&str, &str)]| {
            let mut found = run(&schema, &index, q, f, 2);
            found.sort();
            found
        };
        let of = |i: &[usize]| {
            let mut v: Vec<JobId> = i.iter().map(|&i| jobs[i].id.clone()).collect();
            v.sort();
            v
        };
        assert_eq!(ids(Some("rust"), &[]), of(&[0, 3]));
        assert_eq!(ids(Some("rust -go"), &[]), of(&[0]));
        assert_eq!(ids(Some("\"rest api\""), &[]), of(&[0]));
        assert_eq!(ids(Some("(python OR go) NOT cli"), &[]), of(&[1, 2]));
        assert_eq!(ids(Some("NOT rust"), &[]), of(&[1, 2]));
        assert_eq!(ids(Some("aws-lambda"), &[]), of(&[0]));
        assert_eq!(ids(None, &[("skills", "rust,go")]), of(&[3]));
        assert_eq!(
            ids(None, &[("budget_min", "300"), ("budget_max", "900")]),
            of(&[0, 1])
        );
        assert_eq!(
            ids(Some("rust OR go OR python"), &[("budget_max", "899.99")]),
            of(&[1, 3])
        );
        // Recency without keywords: newest first, and paging visits each job once.
        assert_eq!(
            run(&schema, &index, None, &[], 1),
            jobs.iter().map(|j| j.id.clone()).collect::<Vec<_>>()
        );
        // Expired jobs are gone at `as_of`.
        let old = job("Rust engineer, long ago", &["rust"], "900", 60 * 24 * 31);
        let (schema, index) = super::tests::index(&[old]);
        assert!(run(&schema, &index, Some("rust"), &[], 5).is_empty());
    }

    #[test]
    fn relevance_pages_are_stable_when_the_index_changes_between_pages() {
        let jobs: Vec<Job> = (0..30)
            .map(|i| {
                let title = if i % 3 == 0 {
                    "Rust Rust API work"
                } else {
                    "Rust work on a web app"
                };
                job(title, &["rust"], "500", i)
            })
            .collect();
        let filters = JobFilters::default();
        let page = |schema: &JobSchema, searcher: &Searcher, after, stats| {
            search(
                schema,
                searcher,
                SearchSpec {
                    matching: Some(
                        schema.keyword_query(&KeywordQuery::parse("rust OR api").unwrap()),
                    ),
                    filters: &filters,
                    ranking: Ranking::Score,
                    as_of: now(),
                    limit: 4,
                    after,
                    stats,
                },
            )
            .unwrap()
        };
        let all_pages = |schema: &JobSchema, index: &Index, change: bool| {
            let reader = index.reader().unwrap();
            let mut first = page(schema, &reader.searcher(), None, None);
            let mut seen = first.ids.clone();
            if change {
                // Many new matching documents move the corpus statistics before page two.
                let mut writer = index.writer_with_num_threads(1, 15_000_000).unwrap();
                for i in 0..50 {
                    let new = job("Rust API API", &["go"], "10", 100 + i);
                    writer
                        .add_document(schema.document(&new, &ClientFacts::default()))
                        .unwrap();
                }
                writer.delete_term(schema.id_term(&jobs[29].id));
                writer.commit().unwrap();
                reader.reload().unwrap();
            }
            while let Some(next) = first.next {
                first = page(schema, &reader.searcher(), Some(next), Some(first.stats));
                seen.extend(first.ids.clone());
            }
            seen
        };
        let (schema, unchanged) = index(&jobs);
        let baseline = all_pages(&schema, &unchanged, false);
        assert_eq!(baseline.len(), 30);
        let (schema, changing) = index(&jobs);
        let paged = all_pages(&schema, &changing, true);
        // The old jobs come in the same order, each once; the deleted one is simply absent.
        let old: Vec<JobId> = paged
            .into_iter()
            .filter(|id| jobs.iter().any(|j| &j.id == id))
            .collect();
        let expected: Vec<JobId> = baseline
            .into_iter()
            .filter(|id| *id != jobs[29].id)
            .collect();
        assert_eq!(old, expected);
    }
}
