//! Find work over HTTP on the local stack: jobs posted through the API travel outbox →
//! stream → EventBridge rule → SQS → search indexer → S3 snapshot → search function.

use aws_lambda_events::event::sqs::SqsEvent;
use reqwest::Method;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use worklane::domain::events::{DomainEvent, EventPayload};
use worklane::domain::ids::{JobId, UserId};
use worklane_tests::TestApp;

struct Market {
    app: TestApp,
    client: String,
    freelancer: String,
}

impl Market {
    async fn open() -> Market {
        let app = TestApp::spawn().await;
        let (client, _) = app.confirmed_user("client@example.com", &["client"]).await;
        let (freelancer, _) = app
            .confirmed_user("freelancer@example.com", &["freelancer"])
            .await;
        Market {
            app,
            client,
            freelancer,
        }
    }

    async fn post(&self, job: Value) -> String {
        let reply = self.app.post("/v1/jobs", Some(&self.client), &job).await;
        assert_eq!(reply.status, 201, "{}", reply.body);
        reply.body["id"].as_str().unwrap().to_string()
    }

    /// Runs everything pending: outbox → bus → queues → workers (the indexer publishes).
    async fn settle(&self) {
        self.app.stack.pump.settle().await.unwrap();
    }

    async fn search(&self, query: &str) -> worklane_tests::Reply {
        self.app
            .get(&format!("/v1/jobs?{query}"), Some(&self.freelancer))
            .await
    }

    /// The titles a search finds (all pages).
    async fn titles(&self, query: &str) -> BTreeSet<String> {
        self.all_pages(query, 50)
            .await
            .into_iter()
            .map(|job| job["title"].as_str().unwrap().to_string())
            .collect()
    }

    async fn all_pages(&self, query: &str, limit: usize) -> Vec<Value> {
        let mut items = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut path = format!("{query}&limit={limit}");
            if let Some(cursor) = &cursor {
                path.push_str(&format!("&cursor={cursor}"));
            }
            let reply = self.search(&path).await;
            assert_eq!(reply.status, 200, "{query}: {}", reply.body);
            items.extend(reply.body["items"].as_array().unwrap().iter().cloned());
            match reply.body["next_cursor"].as_str() {
                Some(next) => cursor = Some(next.to_string()),
                None => return items,
            }
        }
    }
}

fn fixed(title: &str, description: &str, category: &str, skills: &[&str], budget: &str) -> Value {
    json!({
        "title": title,
        "description": description,
        "category": category,
        "skills": skills,
        "experience_level": "expert",
        "type": "fixed",
        "budget": {"amount": budget, "currency": "USD"},
        "duration": "1-3 months",
    })
}

fn hourly(title: &str, description: &str, skills: &[&str], max: &str) -> Value {
    json!({
        "title": title,
        "description": description,
        "category": "web-mobile-software-dev",
        "skills": skills,
        "experience_level": "intermediate",
        "type": "hourly",
        "hourly_rate": {"min": "20.00", "max": max, "currency": "USD"},
        "duration": "3-6 months",
    })
}

fn set(titles: &[&str]) -> BTreeSet<String> {
    titles.iter().map(|t| t.to_string()).collect()
}

#[tokio::test]
async fn keywords_and_filters_find_exactly_the_right_jobs() {
    let m = Market::open().await;
    let web = "web-mobile-software-dev";
    m.post(fixed(
        "Rust REST API on Lambda",
        "Build a REST API in Rust running on AWS Lambda with DynamoDB.",
        web,
        &["rust", "aws-lambda", "dynamodb"],
        "1200",
    ))
    .await;
    m.post(fixed(
        "Go microservice",
        "A small Go service behind a REST API gateway, with tests.",
        web,
        &["go", "docker"],
        "400",
    ))
    .await;
    m.post(hourly(
        "Python data pipeline",
        "Ongoing help with a data pipeline in Python and SQL on AWS.",
        &["python", "sql", "aws"],
        "45.00",
    ))
    .await;
    m.post(fixed(
        "Logo for a coffee shop",
        "A friendly logo for a small coffee shop, vector files please.",
        "design-creative",
        &["logo-design", "illustration"],
        "150",
    ))
    .await;
    m.post(hourly(
        "Rust and Go CLI tool",
        "A command line tool in Rust, later a Go port, nothing web.",
        &["rust", "go"],
        "60.00",
    ))
    .await;
    let mut secret = fixed(
        "Secret Rust project",
        "An invite-only Rust project nobody may find by searching.",
        web,
        &["rust"],
        "900",
    );
    secret["visibility"] = "invite_only".into();
    m.post(secret).await;
    let closed = m
        .post(fixed(
            "Rust job closed soon",
            "A Rust job that the client cancels right after posting it.",
            web,
            &["rust"],
            "700",
        ))
        .await;
    m.settle().await;

    // Before it closes, the last job is findable: the index follows the table within a settle.
    assert!(m.titles("q=closed").await.contains("Rust job closed soon"));
    let reply = m
        .app
        .post(
            &format!("/v1/jobs/{closed}/close"),
            Some(&m.client),
            &json!({"reason": "cancelled"}),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    m.settle().await;

    let cases: &[(&str, &[&str])] = &[
        (
            "q=rust",
            &["Rust REST API on Lambda", "Rust and Go CLI tool"],
        ),
        ("q=rust%20go", &["Rust and Go CLI tool"]),
        ("q=rust%20AND%20go", &["Rust and Go CLI tool"]),
        (
            "q=rust%20OR%20python",
            &[
                "Rust REST API on Lambda",
                "Rust and Go CLI tool",
                "Python data pipeline",
            ],
        ),
        ("q=rust%20-go", &["Rust REST API on Lambda"]),
        ("q=rust%20NOT%20go", &["Rust REST API on Lambda"]),
        (
            "q=%22rest%20api%22",
            &["Rust REST API on Lambda", "Go microservice"],
        ),
        ("q=%22api%20rest%22", &[]),
        (
            "q=(go%20OR%20python)%20AND%20NOT%20cli",
            &["Go microservice", "Python data pipeline"],
        ),
        (
            "q=NOT%20(rust%20OR%20go%20OR%20python)",
            &["Logo for a coffee shop"],
        ),
        ("q=aws-lambda", &["Rust REST API on Lambda"]),
        (
            "type=hourly",
            &["Python data pipeline", "Rust and Go CLI tool"],
        ),
        ("experience=intermediate&q=rust", &["Rust and Go CLI tool"]),
        ("category=design-creative", &["Logo for a coffee shop"]),
        ("skills=rust,go", &["Rust and Go CLI tool"]),
        (
            "budget_min=100&budget_max=450",
            &["Go microservice", "Logo for a coffee shop"],
        ),
        ("budget_max=50", &["Python data pipeline"]),
        ("q=rust&budget_min=1000", &["Rust REST API on Lambda"]),
        (
            "posted_within=24h&type=fixed",
            &[
                "Rust REST API on Lambda",
                "Go microservice",
                "Logo for a coffee shop",
            ],
        ),
        ("payment_verified=true", &[]),
        ("client_hires_min=1", &[]),
        ("client_spent_min=0.01", &[]),
        ("q=secret", &[]),
        ("q=cancels", &[]),
        (
            "sort=recency&q=rust",
            &["Rust REST API on Lambda", "Rust and Go CLI tool"],
        ),
    ];
    for (query, expected) in cases {
        assert_eq!(m.titles(query).await, set(expected), "{query}");
    }
    // Without keywords everything findable is listed, newest first, invite-only and closed never.
    let all = m.all_pages("sort=recency", 50).await;
    let titles: Vec<&str> = all.iter().map(|j| j["title"].as_str().unwrap()).collect();
    assert_eq!(
        titles,
        [
            "Rust and Go CLI tool",
            "Logo for a coffee shop",
            "Python data pipeline",
            "Go microservice",
            "Rust REST API on Lambda"
        ]
    );
    assert!(all
        .iter()
        .all(|j| j["connects_cost"].is_u64() && j["client"]["jobs_posted"] == 7));

    // Malformed keywords: 400 problem saying where; bad filters: 422 naming the parameter.
    for (q, position) in [
        ("(rust%20OR%20go", 0),
        ("rust%20AND", 5),
        ("rust%20%22web", 5),
        ("rust)", 4),
    ] {
        let reply = m.search(&format!("q={q}")).await;
        assert_eq!((reply.status, reply.code()), (400, "invalid_query"), "{q}");
        assert_eq!(reply.content_type(), "application/problem+json");
        let detail = reply.body["detail"].as_str().unwrap();
        assert!(
            detail.contains(&format!("at position {position}")),
            "{q}: {detail}"
        );
    }
    for (query, field) in [
        ("type=weekly", "type"),
        ("budget_min=abc", "budget_min"),
        ("budget_min=9&budget_max=1", "budget_min"),
        ("posted_within=2h", "posted_within"),
        ("client_hires_min=-1", "client_hires_min"),
        ("skills=rust,cobol", "skills"),
        ("sort=best", "sort"),
        ("limit=0", "limit"),
        ("cursor=forged", "cursor"),
    ] {
        let reply = m.search(query).await;
        assert_eq!(reply.status, 422, "{query}: {}", reply.body);
        assert_eq!(reply.body["errors"][0]["field"], field, "{query}");
    }
    assert_eq!(m.app.get("/v1/jobs?q=rust", None).await.status, 401);
}

#[tokio::test]
async fn cursor_paging_returns_every_match_exactly_once() {
    let m = Market::open().await;
    let web = "web-mobile-software-dev";
    for i in 0..13 {
        // Different term frequencies give different scores; equal ones tie-break by recency.
        let title = format!("Rust job number {i}");
        let description = format!(
            "{} Work on a Rust codebase with an API.",
            "rust ".repeat(i % 4)
        );
        m.post(fixed(&title, &description, web, &["rust"], "500"))
            .await;
    }
    m.settle().await;
    for sort in ["relevance", "recency"] {
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        let mut pages = 0;
        loop {
            let mut path = format!("q=rust&sort={sort}&limit=4");
            if let Some(c) = &cursor {
                path.push_str(&format!("&cursor={c}"));
            }
            let reply = m.search(&path).await;
            assert_eq!(reply.status, 200, "{}", reply.body);
            seen.extend(
                reply.body["items"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|j| j["id"].as_str().unwrap().to_string()),
            );
            pages += 1;
            if pages == 1 {
                // The index changes between pages: a new matching job is published.
                m.post(fixed(
                    "Rust job posted while paging",
                    "rust rust rust rust rust rust API",
                    web,
                    &["rust"],
                    "500",
                ))
                .await;
                m.settle().await;
            }
            match reply.body["next_cursor"].as_str() {
                Some(next) => cursor = Some(next.to_string()),
                None => break,
            }
        }
        let unique: BTreeSet<&String> = seen.iter().collect();
        assert_eq!(unique.len(), seen.len(), "{sort}: duplicates in {seen:?}");
        let originals = m
            .all_pages(&format!("q=%22job%20number%22&sort={sort}"), 50)
            .await;
        assert_eq!(originals.len(), 13);
        for job in &originals {
            assert!(
                seen.contains(&job["id"].as_str().unwrap().to_string()),
                "{sort}: skipped {}",
                job["title"]
            );
        }
    }
    // A cursor continues only the search it came from.
    let first = m.search("q=rust&limit=2").await;
    let cursor = first.body["next_cursor"].as_str().unwrap();
    let other = m.search(&format!("q=go&limit=2&cursor={cursor}")).await;
    assert_eq!(
        (other.status, other.body["errors"][0]["field"].as_str()),
        (422, Some("cursor"))
    );
}

async fn alert_markers(app: &TestApp, search_id: &str) -> usize {
    let (items, _) = app
        .stack
        .app
        .store
        .query_prefix(None, &format!("ALERT#{search_id}"), "", false, 100, None)
        .await
        .unwrap();
    items.len()
}

/// SavedSearchMatched events in the outbox for this search (test-only scan of its own table).
async fn alert_events(app: &TestApp, search_id: &str) -> usize {
    let output = app
        .stack
        .app
        .store
        .client()
        .scan()
        .table_name(app.stack.app.store.table())
        .send()
        .await
        .unwrap();
    output
        .items
        .unwrap_or_default()
        .iter()
        .filter(|item| {
            item.get("detail_type")
                .and_then(|v| v.as_s().ok())
                .map(String::as_str)
                == Some("SavedSearchMatched")
                && item
                    .get("event")
                    .and_then(|v| v.as_s().ok())
                    .is_some_and(|e| e.contains(search_id))
        })
        .count()
}

fn job_posted(job: &str, client: &str) -> SqsEvent {
    let event = DomainEvent::new(
        EventPayload::JobPosted {
            job_id: JobId::parse(job).unwrap(),
            client_id: UserId::parse(client).unwrap(),
        },
        chrono::Utc::now(),
    );
    let body =
        json!({"detail-type": "JobPosted", "source": "worklane", "detail": event}).to_string();
    serde_json::from_value(json!({"Records": [{
        "messageId": "m-1", "body": body, "attributes": {}, "messageAttributes": {}, "eventSource": "aws:sqs",
    }]})).unwrap()
}

#[tokio::test]
async fn saved_searches_alert_once_per_matching_new_job() {
    let m = Market::open().await;
    let create = |body: Value| {
        let m = &m;
        async move {
            m.app
                .post("/v1/me/saved-searches", Some(&m.freelancer), &body)
                .await
        }
    };
    let rust = create(json!({"name": "Rust on Lambda", "q": "rust AND (lambda OR serverless)", "filters": {"category": "web-mobile-software-dev", "budget_min": "500"}})).await;
    assert_eq!(rust.status, 201, "{}", rust.body);
    let rust_id = rust.body["id"].as_str().unwrap().to_string();
    let any = create(json!({"name": "Anything expert fixed", "filters": {"type": "fixed", "experience": "expert"}})).await;
    assert_eq!(any.status, 201, "{}", any.body);
    let any_id = any.body["id"].as_str().unwrap().to_string();
    let python = create(json!({"name": "Python", "q": "python -django"})).await;
    let python_id = python.body["id"].as_str().unwrap().to_string();
    // A malformed query is refused with its position; bad filters name the field.
    let bad = create(json!({"name": "broken", "q": "rust AND"})).await;
    assert_eq!((bad.status, bad.code()), (400, "invalid_query"));
    assert!(bad.body["detail"].as_str().unwrap().contains("position 5"));
    let bad = create(json!({"name": "broken", "filters": {"budget_max": "ten"}})).await;
    assert_eq!(
        (bad.status, bad.body["errors"][0]["field"].as_str()),
        (422, Some("budget_max"))
    );
    let client_cannot = m
        .app
        .post(
            "/v1/me/saved-searches",
            Some(&m.client),
            &json!({"name": "x"}),
        )
        .await;
    assert_eq!(client_cannot.status, 403);

    let web = "web-mobile-software-dev";
    let job = m
        .post(fixed(
            "Serverless Rust API",
            "Rust on AWS Lambda behind API Gateway, DynamoDB storage.",
            web,
            &["rust", "aws-lambda"],
            "800",
        ))
        .await;
    m.post(fixed(
        "Cheap Rust lambda fix",
        "A tiny fix to a Rust AWS Lambda function.",
        web,
        &["rust"],
        "100",
    ))
    .await;
    m.settle().await;
    assert_eq!(alert_markers(&m.app, &rust_id).await, 1);
    assert_eq!(alert_markers(&m.app, &any_id).await, 2);
    assert_eq!(alert_markers(&m.app, &python_id).await, 0);
    assert_eq!(alert_events(&m.app, &rust_id).await, 1);

    // The same JobPosted delivered again (twice): no second alert.
    let client_id = m.app.get("/v1/me", Some(&m.client)).await.body["id"]
        .as_str()
        .unwrap()
        .to_string();
    for _ in 0..2 {
        let response = worklane_search::SEARCH_INDEXER
            .handle(
                &m.app.stack.app,
                job_posted(&job, &client_id),
                chrono::Utc::now(),
            )
            .await;
        assert!(response.batch_item_failures.is_empty());
    }
    m.settle().await;
    assert_eq!(alert_markers(&m.app, &rust_id).await, 1);
    assert_eq!(alert_events(&m.app, &rust_id).await, 1);
    assert_eq!(alert_events(&m.app, &any_id).await, 2);
    // One inbox item per alert (two searches matched the first job, one the second).
    let inbox = m.app.get("/v1/me/notifications", Some(&m.freelancer)).await;
    assert_eq!(inbox.status, 200, "{}", inbox.body);
    let alerts = inbox.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["kind"] == "saved_search_matched")
        .count();
    assert_eq!(alerts, 3, "{}", inbox.body);

    // Invite-only jobs alert nobody.
    let mut secret = fixed(
        "Secret Rust Lambda",
        "Rust on AWS Lambda, invite only, big budget.",
        web,
        &["rust"],
        "5000",
    );
    secret["visibility"] = "invite_only".into();
    m.post(secret).await;
    m.settle().await;
    assert_eq!(alert_markers(&m.app, &rust_id).await, 1);

    // Listing and deleting saved searches.
    let list = m
        .app
        .get("/v1/me/saved-searches", Some(&m.freelancer))
        .await;
    let names: Vec<&str> = list.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Python", "Anything expert fixed", "Rust on Lambda"]);
    let path = format!("/v1/me/saved-searches/{python_id}");
    assert_eq!(
        m.app
            .send(Method::DELETE, &path, Some(&m.freelancer), None, &[])
            .await
            .status,
        204
    );
    assert_eq!(
        m.app
            .send(Method::DELETE, &path, Some(&m.freelancer), None, &[])
            .await
            .status,
        404
    );
    let list = m
        .app
        .get("/v1/me/saved-searches", Some(&m.freelancer))
        .await;
    assert_eq!(list.body["items"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn saved_jobs_are_listed_newest_first_and_closed_ones_marked() {
    let m = Market::open().await;
    let web = "web-mobile-software-dev";
    let first = m
        .post(fixed(
            "First saved job",
            "A Rust job the freelancer saves first.",
            web,
            &["rust", "aws"],
            "500",
        ))
        .await;
    let second = m
        .post(fixed(
            "Second saved job",
            "A Go job the freelancer saves second.",
            web,
            &["go", "aws"],
            "500",
        ))
        .await;
    let mut secret = fixed(
        "Invite only job",
        "Nobody but invitees may even see this one.",
        web,
        &["rust"],
        "500",
    );
    secret["visibility"] = "invite_only".into();
    let secret = m.post(secret).await;
    let save = |job: String| {
        let m = &m;
        async move {
            m.app
                .post(
                    &format!("/v1/jobs/{job}/save"),
                    Some(&m.freelancer),
                    &json!({}),
                )
                .await
        }
    };
    assert_eq!(save(first.clone()).await.status, 201);
    assert_eq!(save(second.clone()).await.status, 201);
    assert_eq!(save(first.clone()).await.status, 200);
    assert_eq!(save(secret).await.status, 404);
    assert_eq!(save("job_nope".into()).await.status, 404);

    let reply = m
        .app
        .post(
            &format!("/v1/jobs/{first}/close"),
            Some(&m.client),
            &json!({"reason": "filled"}),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(save(first.clone()).await.code(), "job_closed");

    let list = m
        .app
        .get("/v1/me/saved-jobs?limit=1", Some(&m.freelancer))
        .await;
    assert_eq!(list.status, 200, "{}", list.body);
    assert_eq!(list.body["items"][0]["job_id"], second.as_str());
    assert_eq!(list.body["items"][0]["job"]["state"], "open");
    let cursor = list.body["next_cursor"].as_str().unwrap();
    let rest = m
        .app
        .get(
            &format!("/v1/me/saved-jobs?limit=1&cursor={cursor}"),
            Some(&m.freelancer),
        )
        .await;
    assert_eq!(rest.body["items"][0]["job_id"], first.as_str());
    assert_eq!(rest.body["items"][0]["job"]["state"], "closed");
    assert_eq!(rest.body["items"][0]["job"]["close_reason"], "filled");

    // Recommendations come from the saved jobs' skills (no profile yet): the open Go/AWS job
    // shares skills; the closed one is not recommended.
    m.post(fixed(
        "AWS and Go platform",
        "Platform work with Go on AWS.",
        web,
        &["go", "aws"],
        "900",
    ))
    .await;
    m.post(fixed(
        "Just AWS",
        "Some AWS console clicking.",
        web,
        &["aws"],
        "90",
    ))
    .await;
    m.post(fixed(
        "Figma mockups",
        "Design screens in Figma.",
        "design-creative",
        &["figma"],
        "200",
    ))
    .await;
    m.settle().await;
    let recommended = m
        .app
        .get("/v1/me/recommended-jobs", Some(&m.freelancer))
        .await;
    assert_eq!(recommended.status, 200, "{}", recommended.body);
    let titles: Vec<&str> = recommended.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["title"].as_str().unwrap())
        .collect();
    assert_eq!(
        titles,
        ["AWS and Go platform", "Second saved job", "Just AWS"]
    );

    let path = format!("/v1/jobs/{second}/save");
    assert_eq!(
        m.app
            .send(Method::DELETE, &path, Some(&m.freelancer), None, &[])
            .await
            .status,
        204
    );
    assert_eq!(
        m.app
            .send(Method::DELETE, &path, Some(&m.freelancer), None, &[])
            .await
            .status,
        204
    );
    let list = m.app.get("/v1/me/saved-jobs", Some(&m.freelancer)).await;
    assert_eq!(list.body["items"].as_array().unwrap().len(), 1);
}
