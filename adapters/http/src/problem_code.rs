//! [`ProblemCode`]: every `code` a problem (`application/problem+json`) can carry, each with
//! its HTTP status, who answers with it (the service, nginx at the edge, or both) and what it
//! means. The one list: [`crate::error::ApiError`] takes its status from here, the README's
//! table is checked against [`ProblemCode::markdown_table`], and the end-to-end tests hold
//! the edge's own answers (`deploy/nginx/nginx.conf.template`) to the edge's codes.

use actix_web::http::StatusCode;

/// Who answers with a code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// The service only.
    Service,
    /// nginx only, before the request reaches a backend.
    Edge,
    /// Either.
    Both,
}

impl Origin {
    fn as_str(self) -> &'static str {
        match self {
            Origin::Service => "service",
            Origin::Edge => "edge",
            Origin::Both => "service, edge",
        }
    }
}

macro_rules! problem_codes {
    ($(
        $(#[doc = $doc:literal])+
        $variant:ident = ($code:literal, $status:literal, $origin:ident)
    ),* $(,)?) => {
        /// A problem's stable, machine-readable `code`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ProblemCode {
            $( $(#[doc = $doc])+ $variant, )*
        }

        impl ProblemCode {
            /// Every code, in the README's order.
            pub const ALL: &'static [ProblemCode] = &[$(ProblemCode::$variant),*];

            /// The code as clients read it.
            pub fn as_str(self) -> &'static str {
                match self { $(ProblemCode::$variant => $code,)* }
            }

            /// The status every answer with this code has.
            pub fn status(self) -> StatusCode {
                let status: u16 = match self { $(ProblemCode::$variant => $status,)* };
                StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
            }

            /// Who answers with it.
            pub fn origin(self) -> Origin {
                match self { $(ProblemCode::$variant => Origin::$origin,)* }
            }

            /// What it means, in one line (the variant's documentation).
            pub fn doc(self) -> &'static str {
                match self { $(ProblemCode::$variant => concat!($($doc),+),)* }
            }
        }
    };
}

problem_codes! {
    /// The request is malformed: not JSON, a header or query parameter that does not parse.
    BadRequest = ("bad_request", 400, Both),
    /// The path holds an encoded slash or backslash, or a `.` or `..` segment (plain or
    /// encoded): two readers of such a path (nginx and the service) could see two routes in it.
    BadPath = ("bad_path", 400, Both),
    /// No bearer credential was sent, or it is not one this service knows.
    Unauthorized = ("unauthorized", 401, Service),
    /// The email and password do not match an enabled staff account of this restaurant.
    InvalidCredentials = ("invalid_credentials", 401, Service),
    /// The manager API key is valid, but for another restaurant; or the signed-in staff
    /// member's role may not do this.
    Forbidden = ("forbidden", 403, Service),
    /// A request authenticated by the session cookie that changes something came without an
    /// `Origin` (or `Referer`) of the request's own scheme, host and port.
    CsrfRejected = ("csrf_rejected", 403, Service),
    /// No restaurant has this host, or there is no tenant with this id.
    UnknownTenant = ("unknown_tenant", 404, Service),
    /// The restaurant has no menu item with this id.
    MenuItemNotFound = ("menu_item_not_found", 404, Service),
    /// The restaurant has no category with this id.
    CategoryNotFound = ("category_not_found", 404, Service),
    /// The restaurant has no order with this id (or the tracking token is not the order's).
    OrderNotFound = ("order_not_found", 404, Service),
    /// The tenant has no such domain.
    DomainNotFound = ("domain_not_found", 404, Service),
    /// The restaurant has no staff member with this id.
    StaffNotFound = ("staff_not_found", 404, Service),
    /// The restaurant has no option group with this id (another restaurant's included).
    OptionGroupNotFound = ("option_group_not_found", 404, Service),
    /// A path segment that should name something (an id) names nothing.
    NotFound = ("not_found", 404, Service),
    /// Nothing is served at this path (or, at the edge, the admin API from this address).
    NoRoute = ("no_route", 404, Both),
    /// The path exists; the method does not (`Allow` lists those that do).
    MethodNotAllowed = ("method_not_allowed", 405, Both),
    /// Another tenant (or this one) already has the domain.
    DomainTaken = ("domain_taken", 409, Service),
    /// The change would leave the restaurant without an enabled owner.
    LastOwner = ("last_owner", 409, Service),
    /// The restaurant already has a staff member with this email.
    EmailTaken = ("email_taken", 409, Service),
    /// The domain is the tenant's only one: add another first.
    LastDomain = ("last_domain", 409, Service),
    /// The tenant already has as many domains as a tenant may.
    TooManyDomains = ("too_many_domains", 409, Service),
    /// Only a PENDING order can be confirmed.
    OrderNotPending = ("order_not_pending", 409, Service),
    /// The option group is offered by a menu item: take it off the items first.
    OptionGroupInUse = ("option_group_in_use", 409, Service),
    /// The order's status cannot go there from where it is.
    InvalidStatusChange = ("invalid_status_change", 409, Service),
    /// An order under this Idempotency-Key is still being placed; try again shortly.
    IdempotencyKeyInFlight = ("idempotency_key_in_flight", 409, Service),
    /// The pickup slot chosen (or, for as soon as possible, every slot today's kitchen could
    /// still fill) takes no more orders; `next_available` names the next slot that does, or is
    /// `null`.
    SlotFull = ("slot_full", 409, Service),
    /// The setup link is used, expired, or not one of this restaurant's.
    InvalidSetupToken = ("invalid_setup_token", 400, Service),
    /// The request body is larger than the limit.
    PayloadTooLarge = ("payload_too_large", 413, Both),
    /// The request body is not `application/json`.
    UnsupportedMediaType = ("unsupported_media_type", 415, Service),
    /// Well-formed JSON with invalid content; `detail` names every invalid field.
    ValidationFailed = ("validation_failed", 422, Service),
    /// The restaurant has as many of these (menu items, categories) as it may have.
    LimitReached = ("limit_reached", 422, Service),
    /// A menu item names a category the restaurant does not have.
    UnknownCategory = ("unknown_category", 422, Service),
    /// A removal's `confirm` is not the tenant's primary domain.
    ConfirmationMismatch = ("confirmation_mismatch", 422, Service),
    /// The Idempotency-Key was used for a different order.
    IdempotencyKeyReused = ("idempotency_key_reused", 422, Service),
    /// The restaurant is closed now; `detail` says when it opens.
    RestaurantClosed = ("restaurant_closed", 422, Service),
    /// An item's `option_group_ids` names a group the restaurant does not have.
    UnknownOptionGroup = ("unknown_option_group", 422, Service),
    /// The write would let some allowed choice of options price an item below 0.
    NegativePrice = ("negative_price", 422, Service),
    /// An order line chose fewer options of a group than its `min` (`line`, `group_id`).
    OptionsBelowMin = ("options_below_min", 422, Service),
    /// An order line chose more options of a group than its `max` (`line`, `group_id`).
    OptionsAboveMax = ("options_above_max", 422, Service),
    /// An order line chose an option that is not one of its item's groups' (`line`).
    UnknownOption = ("unknown_option", 422, Service),
    /// An order line names the same option twice (`line`).
    DuplicateOption = ("duplicate_option", 422, Service),
    /// An order line's item is sold out or its category is not serving now (`line`).
    ItemUnavailable = ("item_unavailable", 422, Service),
    /// An order line chose a sold-out option (`line`, `group_id`).
    OptionUnavailable = ("option_unavailable", 422, Service),
    /// `pickup_at` is not a slot that can be chosen: not a slot's start, too soon (before now
    /// plus the kitchen's prep and busy time), past the days that can be scheduled, outside the
    /// opening hours or on a closure, or the restaurant takes orders for as soon as possible
    /// only.
    SlotInvalid = ("slot_invalid", 422, Service),
    /// The kitchen paused orders (`accepting_orders: false`): none is taken, as soon as
    /// possible or scheduled; tracking and the manager API go on.
    NotAcceptingOrders = ("not_accepting_orders", 422, Service),
    /// The pickup day asked for is in the past or beyond `schedule_days_ahead`.
    DateOutOfRange = ("date_out_of_range", 422, Service),
    /// Too many requests from this address for one kind of request; `Retry-After` says when.
    RateLimited = ("rate_limited", 429, Both),
    /// Too many failed sign-ins for this account or from this address; `Retry-After` says when.
    TooManyAttempts = ("too_many_attempts", 429, Service),
    /// Too many requests for hosts no restaurant has, from this client; `Retry-After` says when.
    TooManyUnknownHosts = ("too_many_unknown_hosts", 429, Service),
    /// A bug or an unexpected failure; the details are in the service's log only.
    Internal = ("internal", 500, Service),
    /// The restaurant is suspended by the operator: its storefront is closed for now.
    TenantSuspended = ("tenant_suspended", 503, Service),
    /// The database (or, at the edge, every backend) cannot answer now; `Retry-After` says when
    /// to try again.
    Unavailable = ("unavailable", 503, Both),
}

impl ProblemCode {
    /// The README's table of codes: code, status, who answers, meaning.
    pub fn markdown_table() -> String {
        let mut table = String::from("| code | status | from | meaning |\n|---|---|---|---|\n");
        for code in Self::ALL {
            table.push_str(&format!(
                "| `{}` | {} | {} | {} |\n",
                code.as_str(),
                code.status().as_u16(),
                code.origin().as_str(),
                code.doc().trim().replace('\n', " ").replace("  ", " "),
            ));
        }
        table
    }

    /// The code named `text`, if there is one.
    pub fn parse(text: &str) -> Option<ProblemCode> {
        Self::ALL.iter().copied().find(|code| code.as_str() == text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_snake_case_and_documented() {
        let mut seen = std::collections::HashSet::new();
        for code in ProblemCode::ALL {
            assert!(seen.insert(code.as_str()), "{} twice", code.as_str());
            assert!(
                code.as_str()
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b == b'_'),
                "{}",
                code.as_str()
            );
            assert!(code.status().is_client_error() || code.status().is_server_error());
            assert!(!code.doc().trim().is_empty());
            assert_eq!(ProblemCode::parse(code.as_str()), Some(*code));
        }
    }
}
