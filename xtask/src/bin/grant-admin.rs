//! `grant-admin <usr_id>`: gives an account the admin role (support, mediation, identity
//! reviews). No API route grants it; an operator with write access to the table does:
//!
//! ```sh
//! TABLE_NAME=<the stack's TableName output> cargo run -p worklane-devstack --bin grant-admin -- usr_...
//! ```
//!
//! It uses the default AWS credential chain and region (`AWS_PROFILE`, `AWS_REGION`); set
//! `AWS_ENDPOINT_URL_DYNAMODB` to reach another DynamoDB. On the local stack use
//! `POST /_dev/users/{id}/admin` instead. The user logs in again to get an admin token.

use anyhow::{anyhow, Context};
use worklane::domain::ids::UserId;
use worklane::store::Store;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let user = std::env::args()
        .nth(1)
        .and_then(|raw| UserId::parse(&raw))
        .ok_or_else(|| anyhow!("usage: grant-admin <usr_id>"))?;
    let table = std::env::var("TABLE_NAME").context("set TABLE_NAME to the stack's table")?;
    let sdk = worklane::config::sdk_config(false).await;
    let store = Store::new(aws_sdk_dynamodb::Client::new(&sdk), table);
    let account = store.grant_admin(&user, chrono::Utc::now()).await?;
    println!(
        "{} ({}) now has roles {:?}",
        account.id, account.email, account.roles
    );
    Ok(())
}
