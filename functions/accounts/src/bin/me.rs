//! `me` (HTTP API): The signed-in user's account.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    worklane::lambda::serve_http(worklane_accounts::ME).await
}
