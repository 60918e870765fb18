use crate::http::router::Route;

pub(super) fn routes() -> Vec<Route> {
    Vec::new()
}
