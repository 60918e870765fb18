//! The `reports` Lambda function; its logic lives in the `worklane` core crate.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    worklane::lambda::run(worklane::Function::Reports).await
}
