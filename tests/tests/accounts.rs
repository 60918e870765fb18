//! Accounts end to end over HTTP on the local stack (DynamoDB Local + moto).

use chrono::{Duration, Utc};
use serde_json::json;
use worklane::domain::account::Role;
use worklane::domain::ids::{SessionId, UserId};
use worklane::http::auth::{AccessClaims, TokenKeys};
use worklane_tests::{TestApp, PASSWORD};

#[tokio::test]
async fn signup_confirm_login_and_read_me() {
    let app = TestApp::spawn().await;
    let signup = app
        .signup("Ann@Example.com", &["freelancer", "client"])
        .await;
    assert_eq!(signup.status, 201, "{:?}", signup.body);
    assert_eq!(signup.body["email_confirmed"], false);
    assert_eq!(signup.body["roles"], json!(["client", "freelancer"]));
    assert!(
        signup.body.get("password").is_none()
            && !String::from_utf8_lossy(&signup.raw).contains("argon2")
    );

    // Before confirming, login works and /v1/me says unconfirmed.
    let login = app.login("ann@example.com").await;
    assert_eq!(login.status, 200);
    let access = login.body["access_token"].as_str().unwrap();
    let me = app.get("/v1/me", Some(access)).await;
    assert_eq!(me.status, 200);
    assert_eq!(me.body["email"], "Ann@Example.com");
    assert_eq!(me.body["email_confirmed"], false);

    let token = app.confirmation_token("ann@example.com").await;
    let confirmed = app
        .post("/v1/auth/confirm", None, &json!({"token": token}))
        .await;
    assert_eq!(confirmed.status, 200, "{:?}", confirmed.body);
    assert_eq!(confirmed.body["email_confirmed"], true);
    // One-time: the same token again is refused.
    let again = app
        .post("/v1/auth/confirm", None, &json!({"token": token}))
        .await;
    assert_eq!((again.status, again.code()), (404, "invalid_token"));
    let forged = app
        .post("/v1/auth/confirm", None, &json!({"token": "forged"}))
        .await;
    assert_eq!((forged.status, forged.code()), (404, "invalid_token"));

    let login = app.login("ANN@example.COM").await;
    let me = app.get("/v1/me", login.body["access_token"].as_str()).await;
    assert_eq!(me.body["email_confirmed"], true);
    assert_eq!(me.body["id"], signup.body["id"]);
}

#[tokio::test]
async fn duplicate_email_in_any_case_is_a_conflict() {
    let app = TestApp::spawn().await;
    assert_eq!(app.signup("bob@example.com", &["client"]).await.status, 201);
    let duplicate = app.signup("BOB@Example.COM", &["freelancer"]).await;
    assert_eq!((duplicate.status, duplicate.code()), (409, "email_taken"));
    assert_eq!(duplicate.content_type(), "application/problem+json");
}

#[tokio::test]
async fn signup_rejects_bad_input_and_mass_assignment() {
    let app = TestApp::spawn().await;
    let cases = [
        (
            json!({"email": "x", "password": PASSWORD, "name": "A", "roles": ["client"]}),
            422,
            "validation_failed",
        ),
        (
            json!({"email": "a@b.co", "password": "short", "name": "A", "roles": ["client"]}),
            422,
            "validation_failed",
        ),
        (
            json!({"email": "a@b.co", "password": PASSWORD, "name": "A", "roles": []}),
            422,
            "validation_failed",
        ),
        (
            json!({"email": "a@b.co", "password": PASSWORD, "name": "A", "roles": ["admin"]}),
            422,
            "validation_failed",
        ),
        (
            json!({"email": "a@b.co", "password": PASSWORD, "name": "A", "roles": ["client"], "email_confirmed": true}),
            422,
            "invalid_body",
        ),
        (
            json!({"email": "a@b.co", "password": PASSWORD, "name": "A", "roles": ["wizard"]}),
            422,
            "invalid_body",
        ),
        (json!({"email": "a@b.co"}), 422, "invalid_body"),
    ];
    for (body, status, code) in cases {
        let reply = app.post("/v1/auth/signup", None, &body).await;
        assert_eq!((reply.status, reply.code()), (status, code), "{body}");
        assert_eq!(reply.content_type(), "application/problem+json");
    }
    let malformed = app
        .send(
            reqwest::Method::POST,
            "/v1/auth/signup",
            None,
            Some("{\"email\":"),
            &[],
        )
        .await;
    assert_eq!(
        (malformed.status, malformed.code()),
        (400, "malformed_json")
    );
    let huge = format!("{{\"email\":\"{}\"}}", "a".repeat(100 * 1024));
    let oversized = app
        .send(
            reqwest::Method::POST,
            "/v1/auth/signup",
            None,
            Some(&huge),
            &[],
        )
        .await;
    assert_eq!(
        (oversized.status, oversized.code()),
        (413, "payload_too_large")
    );
    let text = app
        .send(
            reqwest::Method::POST,
            "/v1/auth/login",
            None,
            None,
            &[("content-type", "text/plain")],
        )
        .await;
    assert!(text.status >= 400 && text.status < 500, "{}", text.status);
    let unknown = app.get("/v1/nothing-here", None).await;
    assert_eq!((unknown.status, unknown.code()), (404, "no_route"));
    let wrong_method = app.get("/v1/auth/signup", None).await;
    assert_eq!(
        (wrong_method.status, wrong_method.code()),
        (405, "method_not_allowed")
    );
    assert_eq!(wrong_method.headers["allow"], "POST");
}

#[tokio::test]
async fn unknown_email_and_wrong_password_look_the_same() {
    let app = TestApp::spawn().await;
    assert_eq!(app.signup("cat@example.com", &["client"]).await.status, 201);
    let wrong = app
        .post(
            "/v1/auth/login",
            None,
            &json!({"email": "cat@example.com", "password": "not the password"}),
        )
        .await;
    let unknown = app
        .post(
            "/v1/auth/login",
            None,
            &json!({"email": "nobody@example.com", "password": "not the password"}),
        )
        .await;
    assert_eq!(wrong.status, 401);
    assert_eq!(unknown.status, 401);
    assert_eq!(wrong.body["code"], unknown.body["code"]);
    assert_eq!(wrong.body["detail"], unknown.body["detail"]);
}

#[tokio::test]
async fn repeated_failures_lock_the_address_known_or_not() {
    let app = TestApp::spawn().await;
    assert_eq!(app.signup("dan@example.com", &["client"]).await.status, 201);
    for email in ["dan@example.com", "ghost@example.com"] {
        for attempt in 0..5 {
            let reply = app
                .post(
                    "/v1/auth/login",
                    None,
                    &json!({"email": email, "password": "wrong guess!"}),
                )
                .await;
            assert_eq!(reply.status, 401, "{email} attempt {attempt}");
        }
        let locked = app
            .post(
                "/v1/auth/login",
                None,
                &json!({"email": email, "password": PASSWORD}),
            )
            .await;
        assert_eq!(
            (locked.status, locked.code()),
            (429, "too_many_attempts"),
            "{email}"
        );
        let retry_after: i64 = locked.headers["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!(retry_after > 0 && retry_after <= 15 * 60);
    }
    // Another address is unaffected.
    assert_eq!(app.signup("eve@example.com", &["client"]).await.status, 201);
    assert_eq!(app.login("eve@example.com").await.status, 200);
}

#[tokio::test]
async fn expired_tampered_and_foreign_tokens_are_refused() {
    let app = TestApp::spawn().await;
    let (access, _) = app.confirmed_user("fay@example.com", &["freelancer"]).await;
    assert_eq!(app.get("/v1/me", Some(&access)).await.status, 200);
    let claims: AccessClaims = {
        let keys = app.stack.app.keys().unwrap();
        keys.verify(&access, Utc::now()).unwrap()
    };

    let issued_long_ago = Utc::now() - Duration::hours(1);
    let expired = app
        .stack
        .app
        .keys()
        .expect("the local stack signs tokens")
        .issue(&AccessClaims::new(
            claims.sub.clone(),
            claims.sid.clone(),
            claims.roles.clone(),
            true,
            issued_long_ago,
        ));
    let foreign_keys =
        TokenKeys::from_config("an-attacker-chosen-secret-of-enough-length").unwrap();
    let foreign = foreign_keys.issue(&AccessClaims::new(
        claims.sub.clone(),
        claims.sid.clone(),
        vec![Role::Admin],
        true,
        Utc::now(),
    ));
    let mut tampered = access.clone();
    tampered.pop();
    tampered.push(if access.ends_with('A') { 'B' } else { 'A' });
    for (name, token) in [
        ("expired", expired),
        ("foreign", foreign),
        ("tampered", tampered),
        ("garbage", "x.y.z".into()),
    ] {
        let reply = app.get("/v1/me", Some(&token)).await;
        assert_eq!(
            (reply.status, reply.code()),
            (401, "unauthenticated"),
            "{name}"
        );
        assert_eq!(reply.content_type(), "application/problem+json");
    }
    assert_eq!(app.get("/v1/me", None).await.status, 401);
    let _ = (
        UserId::generate(Utc::now()),
        SessionId::generate(Utc::now()),
    );
}

#[tokio::test]
async fn refresh_rotates_and_reuse_revokes_the_session() {
    let app = TestApp::spawn().await;
    let (first_access, first) = app.confirmed_user("gus@example.com", &["client"]).await;
    let rotated = app
        .post("/v1/auth/refresh", None, &json!({"refresh_token": first}))
        .await;
    assert_eq!(rotated.status, 200, "{:?}", rotated.body);
    let second = rotated.body["refresh_token"].as_str().unwrap().to_string();
    assert_ne!(second, first);
    assert_eq!(
        app.get("/v1/me", rotated.body["access_token"].as_str())
            .await
            .status,
        200
    );

    // The rotated token comes back: reuse is detected and the whole session is revoked.
    let reuse = app
        .post("/v1/auth/refresh", None, &json!({"refresh_token": first}))
        .await;
    assert_eq!(reuse.status, 401);
    let successor = app
        .post("/v1/auth/refresh", None, &json!({"refresh_token": second}))
        .await;
    assert_eq!(successor.status, 401, "the successor dies with its session");
    // ... and so does every access token of the session, at once, not 15 minutes later.
    for access in [
        first_access.as_str(),
        rotated.body["access_token"].as_str().unwrap(),
    ] {
        let me = app.get("/v1/me", Some(access)).await;
        assert_eq!(
            (me.status, me.code()),
            (401, "unauthenticated"),
            "{}",
            me.body
        );
    }

    // A new login starts a new, independent session.
    let login = app.login("gus@example.com").await;
    let fresh = login.body["refresh_token"].as_str().unwrap();
    assert_eq!(
        app.post("/v1/auth/refresh", None, &json!({"refresh_token": fresh}))
            .await
            .status,
        200
    );
    for bad in ["", "nonsense", "usr_x.ses_y.z"] {
        assert_eq!(
            app.post("/v1/auth/refresh", None, &json!({"refresh_token": bad}))
                .await
                .status,
            401,
            "{bad}"
        );
    }
}

#[tokio::test]
async fn logout_revokes_the_session() {
    let app = TestApp::spawn().await;
    let (access, refresh) = app.confirmed_user("hal@example.com", &["client"]).await;
    let file =
        worklane_tests::ready_file(&app, &access, "attachment", &worklane_tests::png(300)).await;
    assert_eq!(
        app.get(&format!("/v1/files/{file}"), Some(&access))
            .await
            .status,
        200
    );
    let logout = app
        .send(
            reqwest::Method::POST,
            "/v1/auth/logout",
            Some(&access),
            None,
            &[],
        )
        .await;
    assert_eq!(logout.status, 204);
    assert_eq!(
        app.post("/v1/auth/refresh", None, &json!({"refresh_token": refresh}))
            .await
            .status,
        401
    );
    // The access token dies with its session at once, on reads and writes alike.
    let me = app.get("/v1/me", Some(&access)).await;
    assert_eq!(
        (me.status, me.code()),
        (401, "unauthenticated"),
        "{}",
        me.body
    );
    let role = app
        .post(
            "/v1/me/roles",
            Some(&access),
            &json!({"role": "freelancer"}),
        )
        .await;
    assert_eq!(role.status, 401, "{}", role.body);
    // ... also where a token is optional (a public route that reads it when sent).
    let read = app.get(&format!("/v1/files/{file}"), Some(&access)).await;
    assert_eq!(read.status, 401, "{}", read.body);
    // Revoked in the table, not only in this process's cache: another instance (a fresh
    // store, nothing cached) refuses it too.
    let claims = app
        .stack
        .app
        .keys()
        .unwrap()
        .verify(&access, Utc::now())
        .unwrap();
    let elsewhere = worklane::store::Store::new(
        app.stack.app.store.client().clone(),
        app.stack.app.store.table(),
    );
    assert!(elsewhere
        .session_refused(&claims.sid, &claims.sub, claims.iat)
        .await
        .unwrap());

    // Logging out with only the refresh token works too, and nobody else's token is accepted.
    let login = app.login("hal@example.com").await;
    let refresh = login.body["refresh_token"].as_str().unwrap();
    assert_eq!(
        app.post(
            "/v1/auth/logout",
            None,
            &json!({"refresh_token": "usr_a.ses_b.c"})
        )
        .await
        .status,
        401
    );
    let other_access = login.body["access_token"].as_str().unwrap();
    assert_eq!(app.get("/v1/me", Some(other_access)).await.status, 200);
    assert_eq!(
        app.post("/v1/auth/logout", None, &json!({"refresh_token": refresh}))
            .await
            .status,
        204
    );
    assert_eq!(app.get("/v1/me", Some(other_access)).await.status, 401);
    assert_eq!(
        app.post("/v1/auth/refresh", None, &json!({"refresh_token": refresh}))
            .await
            .status,
        401
    );
}

#[tokio::test]
async fn unconfirmed_accounts_cannot_take_on_roles() {
    let app = TestApp::spawn().await;
    assert_eq!(
        app.signup("ida@example.com", &["freelancer"]).await.status,
        201
    );
    let login = app.login("ida@example.com").await;
    let access = login.body["access_token"].as_str().unwrap();
    let refused = app
        .post("/v1/me/roles", Some(access), &json!({"role": "client"}))
        .await;
    assert_eq!((refused.status, refused.code()), (403, "email_unconfirmed"));

    let token = app.confirmation_token("ida@example.com").await;
    assert_eq!(
        app.post("/v1/auth/confirm", None, &json!({"token": token}))
            .await
            .status,
        200
    );
    // The old access token still says unconfirmed; a refresh picks up the confirmation.
    let refreshed = app
        .post(
            "/v1/auth/refresh",
            None,
            &json!({"refresh_token": login.body["refresh_token"]}),
        )
        .await;
    let access = refreshed.body["access_token"].as_str().unwrap();
    let added = app
        .post("/v1/me/roles", Some(access), &json!({"role": "client"}))
        .await;
    assert_eq!(added.status, 200, "{:?}", added.body);
    assert_eq!(added.body["roles"], json!(["client", "freelancer"]));
    let admin = app
        .post("/v1/me/roles", Some(access), &json!({"role": "admin"}))
        .await;
    assert_eq!(admin.status, 422);
}

/// A `null` where a string belongs is a type error like any other: 422, the field named.
#[tokio::test]
async fn a_null_for_a_required_field_is_a_422_naming_it() {
    let app = TestApp::spawn().await;
    for (field, body) in [
        (
            "name",
            json!({"email": "ida@example.com", "password": PASSWORD, "name": null, "roles": ["client"]}),
        ),
        (
            "roles[0]",
            json!({"email": "ida@example.com", "password": PASSWORD, "name": "Ida", "roles": [null]}),
        ),
        (
            "email",
            json!({"email": 7, "password": PASSWORD, "name": "Ida", "roles": ["client"]}),
        ),
    ] {
        let reply = app.post("/v1/auth/signup", None, &body).await;
        assert_eq!(
            (reply.status, reply.code()),
            (422, "invalid_body"),
            "{}",
            reply.body
        );
        assert_eq!(reply.body["errors"][0]["field"], field, "{}", reply.body);
    }
}
