//! How each port error becomes an HTTP error: every conversion in one place, so handlers
//! propagate errors with `?` and never map them inline.
//!
//! An error a client can act on gets its own status and stable `code`; anything else is
//! [`ApiError::from_port`]: 503 when the database could not be reached, 500 otherwise.

use chameleon_core::menu::{CategoryId, MenuItemId};
use chameleon_core::order::{OrderRejection, OrderStatus};
use chameleon_core::ports::{
    ChangeOrderStatusError, CreateCategoryError, CreateMenuItemError, DeleteCategoryError,
    DeleteMenuItemError, DeprovisionError, DomainChangeError, ExportError, GetMenuItemError,
    GetOrderError, ListCategoriesError, ListMenuItemsError, ListOrdersError, ListTenantsError,
    PlaceOrderError, ProvisionTenantError, ResolveTenantError, UpdateCategoryError,
    UpdateMenuItemError, UpdateTenantError,
};
use chameleon_core::tenant::TenantId;

use crate::error::ApiError;
use crate::problem_code::ProblemCode;

/// 404 for a menu item the tenant does not have (also when another tenant has it).
pub fn item_not_found(id: MenuItemId) -> ApiError {
    ApiError::new(
        ProblemCode::MenuItemNotFound,
        format!("this restaurant has no menu item {id}"),
    )
}

/// 404 for a category the tenant does not have (also when another tenant has it).
pub fn category_not_found(id: CategoryId) -> ApiError {
    ApiError::new(
        ProblemCode::CategoryNotFound,
        format!("this restaurant has no category {id}"),
    )
}

/// 422 for an item naming a category the tenant does not have.
fn unknown_category(id: CategoryId) -> ApiError {
    ApiError::new(
        ProblemCode::UnknownCategory,
        format!("category_id: this restaurant has no category {id}"),
    )
}

/// The errors that carry nothing but an unexpected failure.
macro_rules! unexpected_only {
    ($($error:ty),* $(,)?) => {
        $(
            impl From<$error> for ApiError {
                fn from(err: $error) -> Self {
                    ApiError::from_port(err.0)
                }
            }
        )*
    };
}

unexpected_only!(
    ResolveTenantError,
    ListTenantsError,
    ListCategoriesError,
    ListMenuItemsError,
    GetMenuItemError,
    ListOrdersError,
    GetOrderError,
);

impl From<ProvisionTenantError> for ApiError {
    fn from(err: ProvisionTenantError) -> Self {
        match err {
            ProvisionTenantError::DuplicateDomain(domain) => ApiError::new(
                ProblemCode::DomainTaken,
                format!("the domain {domain} is already registered"),
            ),
            ProvisionTenantError::Unknown(err) => ApiError::from_port(err),
        }
    }
}

/// 404 for a tenant id nobody has.
pub fn unknown_tenant(id: TenantId) -> ApiError {
    ApiError::new(
        ProblemCode::UnknownTenant,
        format!("there is no tenant {id}"),
    )
}

impl From<DomainChangeError> for ApiError {
    fn from(err: DomainChangeError) -> Self {
        match err {
            DomainChangeError::NotFound(id) => unknown_tenant(id),
            DomainChangeError::Taken(domain) => ApiError::new(
                ProblemCode::DomainTaken,
                format!("the domain {domain} is already registered"),
            ),
            DomainChangeError::NoSuchDomain(domain) => ApiError::new(
                ProblemCode::DomainNotFound,
                format!("this tenant has no domain {domain}"),
            ),
            DomainChangeError::LastDomain(domain) => ApiError::new(
                ProblemCode::LastDomain,
                format!("{domain} is the tenant's only domain; add another one first"),
            ),
            DomainChangeError::TooManyDomains => ApiError::new(
                ProblemCode::TooManyDomains,
                DomainChangeError::TooManyDomains.to_string(),
            ),
            DomainChangeError::Unknown(err) => ApiError::from_port(err),
        }
    }
}

impl From<DeprovisionError> for ApiError {
    fn from(err: DeprovisionError) -> Self {
        match err {
            DeprovisionError::NotFound(id) => unknown_tenant(id),
            DeprovisionError::WrongConfirmation => ApiError::new(
                ProblemCode::ConfirmationMismatch,
                "confirm: pass the tenant's primary domain as `confirm` to remove it",
            ),
            DeprovisionError::Unknown(err) => ApiError::from_port(err),
        }
    }
}

impl From<ExportError> for ApiError {
    fn from(err: ExportError) -> Self {
        match err {
            ExportError::SinkClosed(closed) => ApiError::internal(closed.into()),
            ExportError::Unknown(err) => ApiError::from_port(err),
        }
    }
}

impl From<UpdateTenantError> for ApiError {
    fn from(err: UpdateTenantError) -> Self {
        match err {
            UpdateTenantError::NotFound(id) => unknown_tenant(id),
            UpdateTenantError::Unknown(err) => ApiError::from_port(err),
        }
    }
}

impl From<UpdateMenuItemError> for ApiError {
    fn from(err: UpdateMenuItemError) -> Self {
        match err {
            UpdateMenuItemError::NotFound(id) => item_not_found(id),
            UpdateMenuItemError::UnknownCategory(id) => unknown_category(id),
            UpdateMenuItemError::Unknown(err) => ApiError::from_port(err),
        }
    }
}

impl From<CreateCategoryError> for ApiError {
    fn from(err: CreateCategoryError) -> Self {
        match err {
            CreateCategoryError::LimitReached(_) => {
                ApiError::new(ProblemCode::LimitReached, err.to_string())
            }
            CreateCategoryError::Unknown(err) => ApiError::from_port(err),
        }
    }
}

impl From<CreateMenuItemError> for ApiError {
    fn from(err: CreateMenuItemError) -> Self {
        match err {
            CreateMenuItemError::UnknownCategory(id) => unknown_category(id),
            CreateMenuItemError::LimitReached(_) => {
                ApiError::new(ProblemCode::LimitReached, err.to_string())
            }
            CreateMenuItemError::Unknown(err) => ApiError::from_port(err),
        }
    }
}

impl From<UpdateCategoryError> for ApiError {
    fn from(err: UpdateCategoryError) -> Self {
        match err {
            UpdateCategoryError::NotFound(id) => category_not_found(id),
            UpdateCategoryError::Unknown(err) => ApiError::from_port(err),
        }
    }
}

impl From<DeleteCategoryError> for ApiError {
    fn from(err: DeleteCategoryError) -> Self {
        match err {
            DeleteCategoryError::NotFound(id) => category_not_found(id),
            DeleteCategoryError::Unknown(err) => ApiError::from_port(err),
        }
    }
}

impl From<DeleteMenuItemError> for ApiError {
    fn from(err: DeleteMenuItemError) -> Self {
        match err {
            DeleteMenuItemError::NotFound(id) => item_not_found(id),
            DeleteMenuItemError::Unknown(err) => ApiError::from_port(err),
        }
    }
}

impl From<PlaceOrderError> for ApiError {
    fn from(err: PlaceOrderError) -> Self {
        match err {
            PlaceOrderError::Rejected(rejection) => rejection.into(),
            PlaceOrderError::KeyReused(_) => ApiError::new(
                ProblemCode::IdempotencyKeyReused,
                "this Idempotency-Key was already used for a different order; use a new key for \
                 a new order",
            ),
            PlaceOrderError::KeyInFlight => ApiError::new(
                ProblemCode::IdempotencyKeyInFlight,
                "an order under this Idempotency-Key is still being placed; try again shortly",
            ),
            PlaceOrderError::Unknown(err) => ApiError::from_port(err),
        }
    }
}

impl From<OrderRejection> for ApiError {
    fn from(rejection: OrderRejection) -> Self {
        ApiError::invalid(match rejection {
            OrderRejection::Closed { opens_local, .. } => {
                return ApiError::new(
                    ProblemCode::RestaurantClosed,
                    match opens_local {
                        Some(at) => format!("the restaurant is closed now; it opens {at}"),
                        None => "the restaurant is closed and takes no orders".to_owned(),
                    },
                );
            }
            OrderRejection::UnknownItem(id) => {
                format!("items: this restaurant has no menu item {id}")
            }
            OrderRejection::UnavailableItem(id) => {
                format!("items: menu item {id} is not available right now")
            }
            OrderRejection::TotalOverflow => "items: the order's total is too large".to_owned(),
        })
    }
}

impl From<ChangeOrderStatusError> for ApiError {
    fn from(err: ChangeOrderStatusError) -> Self {
        match err {
            ChangeOrderStatusError::NotFound(id) => ApiError::new(
                ProblemCode::OrderNotFound,
                format!("this restaurant has no order {id}"),
            ),
            ChangeOrderStatusError::Refused(refused) if refused.to == OrderStatus::Confirmed => {
                ApiError::new(
                    ProblemCode::OrderNotPending,
                    format!(
                        "the order is {}; only a PENDING order can be confirmed",
                        refused.from
                    ),
                )
            }
            ChangeOrderStatusError::Refused(refused) => {
                ApiError::new(ProblemCode::InvalidStatusChange, refused.to_string())
            }
            ChangeOrderStatusError::Unknown(err) => ApiError::from_port(err),
        }
    }
}
