//! Lambda entry points: each function binary calls one of these with its `Function`.
//! The wall clock is read here, at the edge, and handed inward as `now`.

use crate::functions::{Function, Trigger};
use crate::handlers::routes;
use crate::http::request::parse_query;
use crate::http::router;
use crate::http::{ApiError, ApiRequest, ApiResponse};
use crate::App;
use aws_lambda_events::apigw::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse};
use aws_lambda_events::encodings::Body;
use aws_lambda_events::event::cloudwatch_events::CloudWatchEvent;
use aws_lambda_events::event::dynamodb::Event as DynamoDbEvent;
use aws_lambda_events::event::sqs::SqsEvent;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chrono::Utc;
use http::{HeaderMap, HeaderName, HeaderValue};
use lambda_runtime::{service_fn, Error, LambdaEvent};

/// Builds the app once per cold start, then serves events until the runtime stops.
pub async fn run(function: Function) -> Result<(), Error> {
    crate::telemetry::init_json(function.binary());
    let app: &'static App = Box::leak(Box::new(App::from_env().await?));
    app.warm().await;
    match function.trigger() {
        Trigger::Http => {
            lambda_runtime::run(service_fn(
                move |event: LambdaEvent<ApiGatewayV2httpRequest>| async move {
                    Ok::<_, Error>(
                        handle_http(app, function, event.payload, &event.context.request_id).await,
                    )
                },
            ))
            .await
        }
        Trigger::Stream => {
            lambda_runtime::run(service_fn(
                move |event: LambdaEvent<DynamoDbEvent>| async move {
                    function
                        .handle_stream(app, event.payload)
                        .await
                        .ok_or_else(|| Error::from("not a stream function"))
                },
            ))
            .await
        }
        Trigger::Queue => {
            lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| async move {
                function
                    .handle_queue(app, event.payload, Utc::now())
                    .await
                    .ok_or_else(|| Error::from("not a queue function"))
            }))
            .await
        }
        Trigger::Schedule => {
            lambda_runtime::run(service_fn(
                move |event: LambdaEvent<CloudWatchEvent<serde_json::Value>>| async move {
                    // The schedule's time, not the wall clock: a late or repeated delivery
                    // does the work of the slot it was meant for.
                    let time = event.payload.time;
                    let summary = function
                        .handle_schedule(app, time)
                        .await
                        .ok_or_else(|| Error::from("not a scheduled function"))??;
                    tracing::info!(?summary, %time, "schedule done");
                    Ok::<_, Error>(summary)
                },
            ))
            .await
        }
    }
}

/// API Gateway (HTTP API, payload 2.0) → the function's route → response. Routing uses the
/// route key API Gateway matched, so stage prefixes and custom domains do not matter.
pub async fn handle_http(
    app: &App,
    function: Function,
    event: ApiGatewayV2httpRequest,
    lambda_request_id: &str,
) -> ApiGatewayV2httpResponse {
    let request_id = event
        .request_context
        .request_id
        .clone()
        .unwrap_or_else(|| lambda_request_id.to_string());
    let method = event.request_context.http.method.clone();
    let route_key = event.route_key.clone().unwrap_or_default();
    let route = routes()
        .iter()
        .find(|route| route.function == function && route.key() == route_key);
    let response = match route {
        None => ApiError::NoRoute {
            method: method.to_string(),
            path: event.raw_path.clone().unwrap_or_default(),
        }
        .to_response(Some(&request_id)),
        Some(route) => {
            let body = match (event.body, event.is_base64_encoded) {
                (Some(body), true) => STANDARD.decode(body).unwrap_or_default(),
                (Some(body), false) => body.into_bytes(),
                (None, _) => Vec::new(),
            };
            let req = ApiRequest {
                method,
                path: event.raw_path.unwrap_or_default(),
                path_params: event.path_parameters,
                query: parse_query(event.raw_query_string.as_deref().unwrap_or("")),
                headers: event.headers,
                body: body.into(),
                request_id,
                now: Utc::now(),
                idempotency: None,
            };
            router::run(app, route, req).await
        }
    };
    to_gateway(response)
}

pub fn to_gateway(response: ApiResponse) -> ApiGatewayV2httpResponse {
    let mut headers = HeaderMap::new();
    for (name, value) in &response.headers {
        if let (Ok(name), Ok(value)) = (
            HeaderName::try_from(name.as_str()),
            HeaderValue::from_str(value),
        ) {
            headers.insert(name, value);
        }
    }
    let mut out = ApiGatewayV2httpResponse::default();
    out.status_code = response.status.as_u16() as i64;
    out.headers = headers;
    out.body = (!response.body.is_empty())
        .then(|| Body::Text(String::from_utf8_lossy(&response.body).into_owned()));
    out
}
