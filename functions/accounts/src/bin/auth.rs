//! `auth` (HTTP API): Sign-up, e-mail confirmation, login, token refresh and logout.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    worklane::lambda::serve_http(worklane_accounts::AUTH).await
}
