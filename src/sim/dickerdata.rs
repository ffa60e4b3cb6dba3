//! The dickerdata dialect of the simulator (not served yet).

use std::sync::Arc;

use axum::Router;

use super::SimShared;

/// Routes of this dialect.
pub fn routes(_shared: Arc<SimShared>) -> Router {
    Router::new()
}
