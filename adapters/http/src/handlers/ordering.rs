//! Ordering endpoints: a guest placing and following an order (`/api/v1/store`), the manager
//! listing and moving orders (`/api/v1/manager/orders`). Over core's
//! [`Ordering`](chameleon_core::service::Ordering).

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use chameleon_core::order::OrderRejection;
use chameleon_core::order::{OrderId, OrderStatus, PlaceOrderRequest, TrackingToken};
use chameleon_core::pickup::parse_date;
use chameleon_core::ports::{PlaceOrderError, Placement, Ports};
use chameleon_wire::{
    ListOrdersQuery, Order, OrderPage, OrderStatusChange, PlaceOrder, SlotsQuery, StoreSlots,
    TrackOrderQuery,
};
use utoipa::IntoParams;
use uuid::Uuid;

use crate::body::JsonObject;
use crate::convert;
use crate::error::ApiError;
use crate::handlers::TenantHeader;
use crate::port_errors;
use crate::problem_code::ProblemCode;
use crate::problems::{
    BadRequest, Conflict, JsonBodyRefusals, ManagerRefusals, StoreRefusals, Unprocessable,
};
use crate::state::AppState;
use crate::tenancy::{CurrentTenant, StoreTenant};
use chameleon_core::staff::Permission;

/// An order's id in the path.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)]
pub struct OrderPath {
    /// The order's id.
    id: Uuid,
}

/// Lists the tenant's orders, newest first, a page at a time (keyset: `next_cursor` continues
/// exactly where the page ended, whatever was placed since).
#[utoipa::path(
    get,
    path = "/api/v1/manager/orders",
    operation_id = "list_orders",
    tag = "manager",
    params(TenantHeader, ListOrdersQuery),
    security(("manager_key" = [])),
    responses(
        (status = 200, description = "A page of orders, newest first", body = OrderPage),
        ManagerRefusals,
    ),
)]
pub async fn list_orders<P: Ports>(
    state: web::Data<AppState<P>>,
    manager: CurrentTenant,
    query: web::Query<ListOrdersQuery>,
) -> Result<HttpResponse, ApiError> {
    let tenant = manager.acting(Permission::ReadOrders);
    let page = convert::order_page(&query)?;
    let orders = state.app.ordering.list_orders(&tenant, page).await?;
    let zone = tenant.settings.timezone.zone();
    Ok(HttpResponse::Ok().json(convert::order_list(&orders, zone)))
}

/// Confirms (accepts) a PENDING order; it is then to be ready at the later of its pickup time
/// and now plus the prep time (`ready_at`).
#[utoipa::path(
    post,
    path = "/api/v1/manager/orders/{id}/confirm",
    operation_id = "confirm_order",
    tag = "manager",
    params(TenantHeader, OrderPath),
    security(("manager_key" = [])),
    responses(
        (status = 200, description = "The order, now CONFIRMED", body = Order),
        (status = 409, response = Conflict),
        ManagerRefusals,
    ),
)]
pub async fn confirm_order<P: Ports>(
    state: web::Data<AppState<P>>,
    manager: CurrentTenant,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let tenant = manager.acting(Permission::MoveOrders);
    let id = OrderId::from_uuid(id.into_inner());
    let order = state
        .app
        .ordering
        .confirm_order(&tenant, id, jiff::Timestamp::now())
        .await?;
    let zone = tenant.settings.timezone.zone();
    Ok(HttpResponse::Ok().json(convert::order(&order, zone)))
}

/// Moves an order along: PENDING → CONFIRMED → READY → COMPLETED, or CANCELLED from any status
/// but COMPLETED (the transitions are the core's). The customer's tracking page shows it.
#[utoipa::path(
    post,
    path = "/api/v1/manager/orders/{id}/status",
    operation_id = "change_order_status",
    tag = "manager",
    params(TenantHeader, OrderPath),
    request_body = OrderStatusChange,
    security(("manager_key" = [])),
    responses(
        (status = 200, description = "The order, with its new status", body = Order),
        (status = 409, response = Conflict),
        ManagerRefusals,
        JsonBodyRefusals,
    ),
)]
pub async fn change_order_status<P: Ports>(
    state: web::Data<AppState<P>>,
    manager: CurrentTenant,
    id: web::Path<Uuid>,
    body: JsonObject<OrderStatusChange>,
) -> Result<HttpResponse, ApiError> {
    let tenant = manager.acting(Permission::MoveOrders);
    let id = OrderId::from_uuid(id.into_inner());
    let next =
        OrderStatus::parse(&body.status).map_err(|e| ApiError::invalid(format!("status: {e}")))?;
    let order = state
        .app
        .ordering
        .change_order_status(&tenant, id, next, jiff::Timestamp::now())
        .await?;
    tracing::info!(order = %order.id, status = %order.status, "order status changed");
    let zone = tenant.settings.timezone.zone();
    Ok(HttpResponse::Ok().json(convert::order(&order, zone)))
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
    StoreTenant(tenant): StoreTenant,
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
    let zone = tenant.settings.timezone.zone();
    let placement = match state.app.ordering.place_order(&tenant, request).await {
        // Named as `/slots` names its slots: with the restaurant's offset.
        Err(PlaceOrderError::Rejected(OrderRejection::SlotFull { next_available })) => {
            return Err(port_errors::slot_full(next_available, zone));
        }
        placement => placement?,
    };
    let order = match placement {
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
    Ok(response.json(convert::order(&order, zone)))
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

/// One order, for the customer who placed it: its status as it changes. Answers only with the
/// order's own tracking token (`t`) on its own restaurant's host; 404 otherwise, whatever was
/// wrong.
#[utoipa::path(
    get,
    path = "/api/v1/store/orders/{id}",
    operation_id = "track_order",
    tag = "storefront",
    params(OrderPath, TrackOrderQuery),
    responses(
        (status = 200, description = "The order (not cached)", body = Order),
        (status = 400, response = BadRequest),
        StoreRefusals,
    ),
)]
pub async fn track_order<P: Ports>(
    state: web::Data<AppState<P>>,
    StoreTenant(tenant): StoreTenant,
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
        .ordering
        .track_order(&tenant, id, token)
        .await?
        .ok_or_else(not_found)?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(convert::order(&order, tenant.settings.timezone.zone())))
}

/// When an order can be picked up on a business day (`date`, in the restaurant's time zone;
/// default today): the quote for as soon as possible, and the day's slots with what each still
/// takes. Answered from the cached settings and counts a few seconds old (placing counts
/// afresh); rate-limited per client like order tracking.
#[utoipa::path(
    get,
    path = "/api/v1/store/slots",
    operation_id = "get_store_slots",
    tag = "storefront",
    params(SlotsQuery),
    responses(
        (status = 200, description = "The day's pickup times", body = StoreSlots),
        (status = 422, response = Unprocessable),
        StoreRefusals,
    ),
)]
pub async fn store_slots<P: Ports>(
    state: web::Data<AppState<P>>,
    StoreTenant(tenant): StoreTenant,
    query: web::Query<SlotsQuery>,
) -> Result<HttpResponse, ApiError> {
    let date = query
        .date
        .as_deref()
        .map(|raw| {
            parse_date(raw).ok_or_else(|| {
                ApiError::bad_request(format!("date: {raw:?} is not a date (YYYY-MM-DD)"))
            })
        })
        .transpose()?;
    let board = state
        .app
        .ordering
        .slots(&tenant, date, jiff::Timestamp::now())
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::VARY, "Host"))
        .json(convert::store_slots(
            &board,
            tenant.settings.timezone.zone(),
        )))
}
