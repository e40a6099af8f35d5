//! How each port error becomes an HTTP error: every conversion in one place, so handlers
//! propagate errors with `?` and never map them inline.
//!
//! An error a client can act on gets its own status and stable `code`; anything else is
//! [`ApiError::from_port`]: 503 when the database could not be reached, 500 otherwise.

use chameleon_core::menu::{CategoryId, MenuItemId};
use chameleon_core::options::{OfferError, OptionGroupError, OptionGroupId};
use chameleon_core::order::{OrderRejection, OrderStatus};
use chameleon_core::ports::{
    ChangeOrderStatusError, CreateCategoryError, CreateMenuItemError, DeleteCategoryError,
    DeleteMenuItemError, DeprovisionError, DomainChangeError, ExportError, GetMenuItemError,
    GetOrderError, ListCategoriesError, ListMenuItemsError, ListOrdersError, ListTenantsError,
    PlaceOrderError, ProvisionTenantError, ResolveTenantError, UpdateCategoryError,
    UpdateMenuItemError, UpdateTenantError,
};
use chameleon_core::ports::{
    CreateOptionGroupError, DeleteOptionGroupError, ListOptionGroupsError, UpdateOptionGroupError,
};
use chameleon_core::service::SlotsError;
use chameleon_core::tenant::TenantId;

use crate::convert;
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
    ListOptionGroupsError,
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

/// 404 for an option group the tenant does not have (also when another tenant has it).
pub fn option_group_not_found(id: OptionGroupId) -> ApiError {
    ApiError::new(
        ProblemCode::OptionGroupNotFound,
        format!("this restaurant has no option group {id}"),
    )
}

impl From<OfferError> for ApiError {
    fn from(err: OfferError) -> Self {
        match err {
            OfferError::UnknownGroup(id) => ApiError::new(
                ProblemCode::UnknownOptionGroup,
                format!("option_group_ids: this restaurant has no option group {id}"),
            )
            .in_group(id.as_uuid()),
            OfferError::NegativePrice { .. } => {
                ApiError::new(ProblemCode::NegativePrice, err.to_string())
            }
        }
    }
}

impl From<OptionGroupError> for ApiError {
    fn from(err: OptionGroupError) -> Self {
        match err {
            OptionGroupError::TooManyOptions(_) => {
                ApiError::new(ProblemCode::LimitReached, format!("options: {err}"))
            }
            _ => ApiError::invalid(format!("options: {err}")),
        }
    }
}

impl From<CreateOptionGroupError> for ApiError {
    fn from(err: CreateOptionGroupError) -> Self {
        match err {
            CreateOptionGroupError::Invalid(invalid) => invalid.into(),
            CreateOptionGroupError::LimitReached(_) => {
                ApiError::new(ProblemCode::LimitReached, err.to_string())
            }
            CreateOptionGroupError::Unknown(err) => ApiError::from_port(err),
        }
    }
}

impl From<UpdateOptionGroupError> for ApiError {
    fn from(err: UpdateOptionGroupError) -> Self {
        match err {
            UpdateOptionGroupError::NotFound(id) => option_group_not_found(id),
            UpdateOptionGroupError::Invalid(invalid) => invalid.into(),
            UpdateOptionGroupError::Offer(offer) => offer.into(),
            UpdateOptionGroupError::Unknown(err) => ApiError::from_port(err),
        }
    }
}

impl From<DeleteOptionGroupError> for ApiError {
    fn from(err: DeleteOptionGroupError) -> Self {
        match err {
            DeleteOptionGroupError::NotFound(id) => option_group_not_found(id),
            DeleteOptionGroupError::InUse(id) => ApiError::new(
                ProblemCode::OptionGroupInUse,
                format!("option group {id} is offered by a menu item; take it off the items first"),
            )
            .in_group(id.as_uuid()),
            DeleteOptionGroupError::Unknown(err) => ApiError::from_port(err),
        }
    }
}

impl From<UpdateMenuItemError> for ApiError {
    fn from(err: UpdateMenuItemError) -> Self {
        match err {
            UpdateMenuItemError::NotFound(id) => item_not_found(id),
            UpdateMenuItemError::UnknownCategory(id) => unknown_category(id),
            UpdateMenuItemError::Offer(offer) => offer.into(),
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
            CreateMenuItemError::Offer(offer) => offer.into(),
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

impl From<SlotsError> for ApiError {
    fn from(err: SlotsError) -> Self {
        match err {
            SlotsError::OutOfRange(out) => {
                ApiError::new(ProblemCode::DateOutOfRange, out.to_string())
            }
            SlotsError::Unknown(err) => err.into(),
        }
    }
}

/// `slot_full`, naming the next slot with room as the restaurant's slots read (with its
/// offset, exactly as `/slots` gives a slot's `start`).
pub fn slot_full(next_available: Option<jiff::Timestamp>, zone: &jiff::tz::TimeZone) -> ApiError {
    let next = next_available.map(|at| convert::local(at, zone));
    ApiError::new(
        ProblemCode::SlotFull,
        match &next {
            Some(at) => format!("that pickup time is full; the next with room is {at}"),
            None => "that pickup time is full, and so is every later one that can be scheduled"
                .to_owned(),
        },
    )
    .next_available(next)
}

impl From<OrderRejection> for ApiError {
    fn from(rejection: OrderRejection) -> Self {
        ApiError::invalid(match rejection {
            OrderRejection::NotAccepting => {
                return ApiError::new(
                    ProblemCode::NotAcceptingOrders,
                    "the restaurant is not taking orders right now; please try again later",
                );
            }
            OrderRejection::ClosingSoon { opens_local, .. } => {
                return ApiError::new(
                    ProblemCode::RestaurantClosed,
                    match opens_local {
                        Some(at) => format!(
                            "the kitchen closes before an order placed now could be ready; \
                             schedule one for later, or order when it opens {at}"
                        ),
                        None => "the kitchen closes before an order placed now could be ready"
                            .to_owned(),
                    },
                );
            }
            OrderRejection::SlotFull { next_available } => {
                return slot_full(next_available, &jiff::tz::TimeZone::UTC);
            }
            OrderRejection::SlotInvalid(invalid) => {
                return ApiError::new(ProblemCode::SlotInvalid, format!("pickup_at: {invalid}"));
            }
            OrderRejection::Closed { opens_local, .. } => {
                return ApiError::new(
                    ProblemCode::RestaurantClosed,
                    match opens_local {
                        Some(at) => format!("the restaurant is closed now; it opens {at}"),
                        None => "the restaurant is closed and takes no orders".to_owned(),
                    },
                );
            }
            OrderRejection::UnknownItem { line, item } => {
                return ApiError::invalid(format!(
                    "items[{line}]: this restaurant has no menu item {item}"
                ))
                .at_line(line);
            }
            OrderRejection::UnavailableItem { line, item, from } => {
                return ApiError::new(
                    ProblemCode::ItemUnavailable,
                    match from {
                        Some(at) => format!(
                            "items[{line}]: menu item {item} cannot be ordered now; it can \
                             again from {at}"
                        ),
                        None => format!("items[{line}]: menu item {item} is sold out"),
                    },
                )
                .at_line(line);
            }
            OrderRejection::UnknownOption { line, option } => {
                return ApiError::new(
                    ProblemCode::UnknownOption,
                    format!("items[{line}].options: {option} is not an option of this item"),
                )
                .at_line(line);
            }
            OrderRejection::UnavailableOption {
                line,
                option,
                group,
            } => {
                return ApiError::new(
                    ProblemCode::OptionUnavailable,
                    format!("items[{line}].options: option {option} is sold out"),
                )
                .at_line(line)
                .in_group(group.as_uuid());
            }
            OrderRejection::OptionsBelowMin {
                line,
                group,
                name,
                min,
            } => {
                return ApiError::new(
                    ProblemCode::OptionsBelowMin,
                    format!("items[{line}].options: choose at least {min} of {name}"),
                )
                .at_line(line)
                .in_group(group.as_uuid());
            }
            OrderRejection::OptionsAboveMax {
                line,
                group,
                name,
                max,
            } => {
                return ApiError::new(
                    ProblemCode::OptionsAboveMax,
                    format!("items[{line}].options: choose at most {max} of {name}"),
                )
                .at_line(line)
                .in_group(group.as_uuid());
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
