//! Storefront endpoints: the tenant is the one registered for the request's `Host`
//! (resolved by `tenancy::store_tenant` before any handler runs). Guest checkout, no login.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use chameleon_core::order::{OrderId, PlaceOrderRequest, TrackingToken};
use chameleon_core::ports::{Placement, Ports};
use chameleon_wire::{Order, PlaceOrder, StoreConfig, StoreMenu, TrackOrderQuery};
use utoipa::IntoParams;
use uuid::Uuid;

use crate::body::JsonObject;
use crate::convert;
use crate::error::ApiError;
use crate::problem_code::ProblemCode;
use crate::problems::{BadRequest, Conflict, JsonBodyRefusals, StoreRefusals};
use crate::state::AppState;
use crate::tenancy::CurrentTenant;

/// The restaurant's branding: name, theme and the theme as CSS custom properties.
///
/// The restaurant is picked by the `Host` header (a browser sends the page's host), so in
/// Swagger UI this answers for the host Swagger UI was opened on.
#[utoipa::path(
    get,
    path = "/api/v1/store/config",
    operation_id = "get_store_config",
    tag = "storefront",
    responses(
        (status = 200, description = "The restaurant's branding", body = StoreConfig),
        StoreRefusals,
    ),
)]
pub async fn get_store_config<P: Ports>(
    state: web::Data<AppState<P>>,
    CurrentTenant(tenant): CurrentTenant,
) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::VARY, "Host"))
        .json(convert::store_config(
            state.app.store_config(&tenant, jiff::Timestamp::now()),
        ))
}

/// The menu: the restaurant's categories in its order, and what can be ordered now (the
/// available items, by name, each naming its category or none).
#[utoipa::path(
    get,
    path = "/api/v1/store/menu",
    operation_id = "list_store_menu",
    tag = "storefront",
    responses(
        (status = 200, description = "The categories and the available items", body = StoreMenu),
        StoreRefusals,
    ),
)]
pub async fn list_store_menu<P: Ports>(
    state: web::Data<AppState<P>>,
    CurrentTenant(tenant): CurrentTenant,
) -> Result<HttpResponse, ApiError> {
    let menu = state.app.store_menu(&tenant).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::VARY, "Host"))
        .json(convert::store_menu(&menu)))
}

/// Places a guest order. The total is computed from the restaurant's stored prices.
///
/// With an `Idempotency-Key`, the order is placed once however often the request is sent: the
/// same request again under the same key gets the first answer (with `Idempotent-Replayed:
/// true`), a different one 422 `idempotency_key_reused`. A request arriving while the first is
/// still being placed waits for it and replays it (409 `idempotency_key_in_flight` if it takes
/// longer than the database's lock timeout). Keys are kept at least 24 hours; a key reused
/// after that places a new order.
#[utoipa::path(
    post,
    path = "/api/v1/store/orders",
    operation_id = "place_order",
    tag = "storefront",
    params(IdempotencyKeyHeader),
    request_body = PlaceOrder,
    responses(
        (status = 201, description = "Placed, PENDING; or, for a request already placed under the same Idempotency-Key, the first answer again", body = Order,
            headers(("Idempotent-Replayed" = String, description = "`true` when this is the first answer again"))),
        (status = 409, response = Conflict),
        StoreRefusals,
        JsonBodyRefusals,
    ),
)]
pub async fn place_order<P: Ports>(
    state: web::Data<AppState<P>>,
    CurrentTenant(tenant): CurrentTenant,
    req: HttpRequest,
    body: JsonObject<PlaceOrder>,
) -> Result<HttpResponse, ApiError> {
    let idempotency_key = convert::idempotency_key(req.headers().get(IDEMPOTENCY_KEY))?;
    let request = PlaceOrderRequest {
        placed_at: jiff::Timestamp::now(),
        tracking_token: new_tracking_token()?,
        order: convert::order_request(&body)?,
        idempotency_key,
    };
    let mut response = HttpResponse::Created();
    let order = match state.app.place_order(&tenant, request).await? {
        Placement::Placed(order) => {
            tracing::info!(order = %order.id, total = order.total_cents, "order placed");
            metrics::counter!("chameleon_orders_total", "outcome" => "placed").increment(1);
            order
        }
        Placement::Replayed(order) => {
            tracing::info!(order = %order.id, "order request replayed");
            metrics::counter!("chameleon_orders_total", "outcome" => "replayed").increment(1);
            response.insert_header(("Idempotent-Replayed", "true"));
            order
        }
    };
    Ok(response.json(convert::order(&order)))
}

/// The header that makes a retried order take effect once.
pub const IDEMPOTENCY_KEY: &str = "Idempotency-Key";

/// The `Idempotency-Key` header of `POST /api/v1/store/orders`.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code)]
pub struct IdempotencyKeyHeader {
    /// One per checkout attempt, sent again with every retry of it: 1 to 255 visible ASCII
    /// characters.
    // Its length and pattern come from core's rules (`openapi::constraints`).
    #[param(rename = "Idempotency-Key")]
    idempotency_key: Option<String>,
}

/// A fresh tracking token: 32 bytes from the operating system's randomness, base64url.
fn new_tracking_token() -> Result<TrackingToken, ApiError> {
    use base64::Engine as _;
    let mut secret = [0u8; 32];
    getrandom::fill(&mut secret)
        .map_err(|e| ApiError::internal(anyhow::anyhow!("no randomness for a token: {e}")))?;
    TrackingToken::parse(&base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(secret))
        .map_err(|e| ApiError::internal(e.into()))
}

/// An order's id in the path.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)]
pub struct TrackedOrderPath {
    /// The order's id.
    id: Uuid,
}

/// One order, for the customer who placed it: its status as it changes. Answers only with the
/// order's own tracking token (`t`) on its own restaurant's host; 404 otherwise, whatever was
/// wrong.
#[utoipa::path(
    get,
    path = "/api/v1/store/orders/{id}",
    operation_id = "track_order",
    tag = "storefront",
    params(TrackedOrderPath, TrackOrderQuery),
    responses(
        (status = 200, description = "The order (not cached)", body = Order),
        (status = 400, response = BadRequest),
        StoreRefusals,
    ),
)]
pub async fn track_order<P: Ports>(
    state: web::Data<AppState<P>>,
    CurrentTenant(tenant): CurrentTenant,
    id: web::Path<Uuid>,
    query: web::Query<TrackOrderQuery>,
) -> Result<HttpResponse, ApiError> {
    let id = OrderId::from_uuid(id.into_inner());
    let not_found = || {
        ApiError::new(
            ProblemCode::OrderNotFound,
            format!("there is no order {id} to follow here"),
        )
    };
    let token = query.t.as_deref().ok_or_else(not_found)?;
    let order = state
        .app
        .track_order(&tenant, id, token)
        .await?
        .ok_or_else(not_found)?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(convert::order(&order)))
}
