//! Driving the handlers in-process, exactly as a Lambda runs them (`router::dispatch`: routing,
//! the idempotency layer, error mapping), at a `now` of our choosing. Used to seed the cold-start
//! runs and to count each step's round trips.

use anyhow::{anyhow, ensure, Result};
use chrono::{DateTime, Utc};
use http::Method;
use serde_json::{json, Value};
use worklane::domain::account::Role;
use worklane::domain::ids::{SessionId, UserId};
use worklane::http::auth::AccessClaims;
use worklane::http::router::dispatch;
use worklane::http::ApiRequest;
use worklane::App;

pub const PASSWORD: &str = "correct horse battery staple";

/// A card of the payment sandbox that always succeeds.
pub fn test_card() -> Value {
    json!({"type": "card", "card": {"number": "4242424242424242",
        "exp_month": 12, "exp_year": 2031, "cvc": "123"}})
}

pub fn fixed_job() -> Value {
    json!({"title": "Rust API on Lambda",
        "description": "A serverless REST API in Rust on AWS Lambda with DynamoDB.",
        "category": "web-mobile-software-dev", "skills": ["rust", "dynamodb"],
        "experience_level": "expert", "type": "fixed",
        "budget": {"amount": "600.00", "currency": "USD"}, "duration": "1-3 months"})
}

pub fn hourly_job() -> Value {
    json!({"title": "Rust backend, ongoing hourly work",
        "description": "Ongoing work on a serverless Rust backend with DynamoDB and SQS.",
        "category": "web-mobile-software-dev", "skills": ["rust", "aws-lambda"],
        "experience_level": "expert", "type": "hourly",
        "hourly_rate": {"min": "25.00", "max": "40.00", "currency": "USD"},
        "duration": "3-6 months"})
}

pub fn proposal() -> Value {
    json!({"cover_letter": "I have built this kind of API many times, on Lambda and DynamoDB.",
        "bid": {"amount": "450.00", "currency": "USD"}, "duration": "1-3 months"})
}

pub fn feedback() -> Value {
    json!({"ratings": {"skills": 5, "quality": 5, "availability": 4, "deadlines": 5,
        "communication": 5, "cooperation": 5},
        "comment": "Clear requirements and quick answers.", "private": {"recommend": 9}})
}

/// An address no earlier run used.
pub fn unique_email(tag: &str) -> String {
    format!(
        "{tag}-{}@bench.example",
        ulid::Ulid::new().to_string().to_lowercase()
    )
}

#[derive(Clone)]
pub struct InProc {
    pub app: App,
}

/// A handler's answer.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub body: Value,
}

impl Reply {
    pub fn expect(self, status: u16, what: &str) -> Result<Value> {
        ensure!(
            self.status == status,
            "{what}: {} instead of {status}: {}",
            self.status,
            self.body
        );
        Ok(self.body)
    }
}

/// `body[field]` as a string.
pub fn text(body: &Value, field: &str) -> Result<String> {
    body[field]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| anyhow!("no {field} in {body}"))
}

impl InProc {
    pub fn new(app: App) -> Self {
        Self { app }
    }

    /// An access token for a confirmed account, valid for 15 minutes from `now`.
    pub fn token(&self, user: &UserId, roles: Vec<Role>, now: DateTime<Utc>) -> String {
        self.app
            .keys()
            .expect("the local stack signs tokens")
            .issue(&AccessClaims::new(
                user.clone(),
                SessionId::generate(now),
                roles,
                true,
                now,
            ))
    }

    pub async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
        idempotency_key: Option<&str>,
        now: DateTime<Utc>,
    ) -> Reply {
        let mut req = ApiRequest::new(method, path, now);
        if let Some(token) = token {
            req = req.with_header("authorization", &format!("Bearer {token}"));
        }
        if let Some(key) = idempotency_key {
            req = req.with_header("idempotency-key", key);
        }
        if let Some(body) = body {
            req = req.with_json(body);
        }
        let response = dispatch(&self.app, crate::functions::routes(), req).await;
        Reply {
            status: response.status.as_u16(),
            body: serde_json::from_slice(&response.body).unwrap_or(Value::Null),
        }
    }

    pub async fn post(&self, path: &str, token: &str, body: &Value, now: DateTime<Utc>) -> Reply {
        self.send(Method::POST, path, Some(token), Some(body), None, now)
            .await
    }

    /// Signs up through the API (the password hashed as in production) and returns the new
    /// user with a token as if the email had been confirmed and the user had logged in.
    pub async fn signed_up(&self, tag: &str, role: Role, now: DateTime<Utc>) -> Result<Party> {
        let body = json!({"email": unique_email(tag), "password": PASSWORD, "name": "Bench",
            "roles": [role]});
        let user = self
            .send(
                Method::POST,
                "/v1/auth/signup",
                None,
                Some(&body),
                None,
                now,
            )
            .await
            .expect(201, "signup")?;
        let id = UserId::parse(&text(&user, "id")?).ok_or_else(|| anyhow!("a user id"))?;
        Ok(Party {
            token: self.token(&id, vec![role], now),
            id,
            role,
        })
    }
}

/// A signed-up user and a token for them.
#[derive(Clone, Debug)]
pub struct Party {
    pub id: UserId,
    pub role: Role,
    pub token: String,
}

impl Party {
    /// A fresh token at `now` (tokens live 15 minutes).
    pub fn at(&mut self, api: &InProc, now: DateTime<Utc>) -> &str {
        self.token = api.token(&self.id, vec![self.role], now);
        &self.token
    }
}

/// A running fixed-price contract with its first milestone: a client with a card posts a job,
/// offers it to the freelancer, who accepts. Returns (contract id, milestone id).
pub async fn fixed_contract(
    api: &InProc,
    client: &Party,
    freelancer: &Party,
    now: DateTime<Utc>,
) -> Result<(String, String)> {
    let job = api
        .post("/v1/jobs", &client.token, &fixed_job(), now)
        .await
        .expect(201, "post job")?;
    let offer = api
        .post(
            "/v1/offers",
            &client.token,
            &json!({"job_id": job["id"], "freelancer_id": freelancer.id, "type": "fixed",
                "milestones": [{"description": "First", "amount": {"amount": "250.00", "currency": "USD"}}]}),
            now,
        )
        .await
        .expect(201, "offer")?;
    let accepted = api
        .post(
            &format!("/v1/offers/{}/accept", text(&offer, "id")?),
            &freelancer.token,
            &json!({}),
            now,
        )
        .await
        .expect(200, "accept")?;
    Ok((
        text(&accepted, "contract_id")?,
        text(&accepted["milestones"][0], "id")?,
    ))
}
