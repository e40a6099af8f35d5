//! Every HTTP call the storefront makes, with typed results. The API is on the same origin (nginx
//! serves both), and the restaurant is the one the page's host belongs to.

use std::fmt;

use chameleon_wire::{Order, PlaceOrder, Problem, StoreConfig, StoreMenu, StoreSlots};
use gloo_net::http::Request;
use serde::de::DeserializeOwned;

/// Why a call failed, worded for the customer.
#[derive(Debug, Clone, PartialEq)]
pub enum ApiError {
    /// No restaurant is registered for this domain.
    UnknownRestaurant,
    /// The restaurant is suspended by the operator: closed for now (503 `tenant_suspended`).
    Closed,
    /// The API refused the request; `detail` is its problem+json explanation, `code` its
    /// stable code (empty without a problem body), `line` the order line it is about (0-based,
    /// in the order as sent), when it is about one; `next_available` the next free pickup
    /// slot, for a full one (`slot_full`).
    Refused {
        status: u16,
        detail: String,
        code: String,
        line: Option<usize>,
        next_available: Option<String>,
    },
    /// The request never got an answer.
    Network(String),
    /// The service was briefly unable to answer (502, 503 or 504): worth trying again.
    Unavailable(u16),
    /// An answer the storefront cannot read.
    Unexpected(String),
    /// The same order is still being placed by an earlier try of this checkout.
    InFlight,
}

impl ApiError {
    /// Whether sending the same request again (with the same `Idempotency-Key`) may succeed:
    /// no answer came, the service was briefly unavailable, or the first try is still at work.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            ApiError::Network(_) | ApiError::Unavailable(_) | ApiError::InFlight
        )
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ApiError::UnknownRestaurant => f.write_str("There is no restaurant at this address."),
            ApiError::Closed => f.write_str("The restaurant is temporarily closed."),
            ApiError::Refused { detail, .. } => f.write_str(detail),
            ApiError::Network(_) => f.write_str(
                "We could not reach the restaurant. Check your connection and try again.",
            ),
            ApiError::Unavailable(_) => {
                f.write_str("The restaurant is busy right now. Please try again in a moment.")
            }
            ApiError::Unexpected(_) => {
                f.write_str("Something went wrong on our side. Please try again.")
            }
            ApiError::InFlight => f.write_str("Your order is still being placed. Please wait."),
        }
    }
}

impl ApiError {
    /// The error for a non-2xx answer with status `status` and body `body`.
    pub fn from_status(status: u16, body: &str) -> ApiError {
        let problem = serde_json::from_str::<Problem>(body);
        if let Ok(problem) = &problem
            && status == 503
            && problem.code == "tenant_suspended"
        {
            return ApiError::Closed;
        }
        if matches!(status, 502..=504) {
            return ApiError::Unavailable(status);
        }
        match problem {
            Ok(problem) if status == 404 && problem.code == "unknown_tenant" => {
                ApiError::UnknownRestaurant
            }
            Ok(problem) if status == 409 && problem.code == "idempotency_key_in_flight" => {
                ApiError::InFlight
            }
            Ok(problem) => ApiError::Refused {
                status,
                detail: humanize(&problem.detail),
                line: problem.line.and_then(|line| usize::try_from(line).ok()),
                code: problem.code,
                next_available: problem.next_available.flatten(),
            },
            Err(_) if status >= 500 => ApiError::Unexpected(format!("HTTP {status}")),
            Err(_) => ApiError::Refused {
                status,
                detail: format!("The request was refused (HTTP {status})."),
                code: String::new(),
                line: None,
                next_available: None,
            },
        }
    }

    /// Whether the refusal means the menu changed under the customer (a dish or an option sold
    /// out, a group's rule changed): the page should read the menu again.
    pub fn menu_changed(&self) -> bool {
        matches!(self, ApiError::Refused { code, .. } if refusal_of_a_line(code).is_some())
    }

    /// The error worded for a checkout whose lines are named `labels` (in the order's order):
    /// a refusal about one line names it ("Steak is not available right now…") instead of
    /// giving its index; one about the pickup time asks for another.
    pub fn explain_for_order(&self, labels: &[String]) -> String {
        if let ApiError::Refused {
            code,
            line: Some(line),
            ..
        } = self
            && let (Some(reason), Some(label)) = (refusal_of_a_line(code), labels.get(*line))
        {
            return reason.replace("{}", label);
        }
        match self.code() {
            "slot_full" => "That pickup time has just filled up: please choose another.".to_owned(),
            "slot_invalid" => {
                "That pickup time can no longer be chosen: please choose another.".to_owned()
            }
            _ => self.to_string(),
        }
    }

    /// The problem's code, for a refusal that has one (else empty).
    pub fn code(&self) -> &str {
        match self {
            ApiError::Refused { code, .. } => code,
            _ => "",
        }
    }

    /// The next free pickup slot a `slot_full` refusal names.
    pub fn next_available(&self) -> Option<String> {
        match self {
            ApiError::Refused { next_available, .. } => next_available.clone(),
            _ => None,
        }
    }
}

/// The order-line problem codes, and how each reads with the line's name for `{}`.
fn refusal_of_a_line(code: &str) -> Option<&'static str> {
    Some(match code {
        "item_unavailable" => "{} is not available right now. Remove it to place your order.",
        "option_unavailable" => {
            "{}: one of its choices is not available right now. Remove it and choose again."
        }
        "options_below_min" | "options_above_max" | "unknown_option" | "duplicate_option" => {
            "{}: its choices no longer match the menu. Remove it and add it again."
        }
        _ => return None,
    })
}

/// The API names the field at fault (`customer: must not be blank`); a customer reads the
/// explanation better with a capital and a full stop.
fn humanize(detail: &str) -> String {
    let mut chars = detail.chars();
    let mut text = match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect::<String>(),
        None => return "The request was refused.".to_owned(),
    };
    if !text.ends_with('.') {
        text.push('.');
    }
    text
}

/// Sends `request`; the body of a successful answer, or the error an unsuccessful one means.
/// Not generic: one copy serves every call, and only [`parse`] is per type (the WASM stays
/// smaller).
async fn call(request: Result<Request, gloo_net::Error>) -> Result<String, ApiError> {
    let response = request
        .map_err(|e| ApiError::Unexpected(e.to_string()))?
        .send()
        .await
        .map_err(|e| ApiError::Network(e.to_string()))?;
    let body = response.text().await;
    if response.ok() {
        body.map_err(|e| ApiError::Unexpected(e.to_string()))
    } else {
        Err(ApiError::from_status(
            response.status(),
            &body.unwrap_or_default(),
        ))
    }
}

fn parse<T: DeserializeOwned>(body: &str) -> Result<T, ApiError> {
    serde_json::from_str(body).map_err(|e| ApiError::Unexpected(e.to_string()))
}

pub async fn store_config() -> Result<StoreConfig, ApiError> {
    parse(&call(Request::get("/api/v1/store/config").build()).await?)
}

pub async fn store_menu() -> Result<StoreMenu, ApiError> {
    parse(&call(Request::get("/api/v1/store/menu").build()).await?)
}

/// When an order can be picked up on `date` (`YYYY-MM-DD`, the restaurant's; `None`: today),
/// and whether it can be for as soon as possible. Rate-limited: read when the checkout opens
/// or the day changes, never in a loop.
pub async fn store_slots(date: Option<&str>) -> Result<StoreSlots, ApiError> {
    let request = Request::get("/api/v1/store/slots").query(date.map(|date| ("date", date)));
    parse(&call(request.build()).await?)
}

/// Order `id`, for the customer holding its tracking `token`.
pub async fn track_order(id: &str, token: &str) -> Result<Order, ApiError> {
    let request = Request::get(&format!("/api/v1/store/orders/{id}")).query([("t", token)]);
    parse(&call(request.build()).await?)
}

/// Places `order` under `idempotency_key`: sending it again with the same key never places a
/// second order.
pub async fn place_order(order: &PlaceOrder, idempotency_key: &str) -> Result<Order, ApiError> {
    let request = Request::post("/api/v1/store/orders")
        .header("Idempotency-Key", idempotency_key)
        .json(order);
    parse(&call(request).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_tenant_problem_means_no_restaurant_here() {
        let body = r#"{"type":"about:blank","title":"Not Found","status":404,"detail":"no restaurant","code":"unknown_tenant"}"#;
        assert_eq!(
            ApiError::from_status(404, body),
            ApiError::UnknownRestaurant
        );
    }

    #[test]
    fn a_refusal_shows_the_problem_detail() {
        let body = r#"{"type":"about:blank","title":"Unprocessable Entity","status":422,"detail":"items: menu item 1 is not available right now","code":"validation_failed"}"#;
        let err = ApiError::from_status(422, body);
        assert_eq!(
            err.to_string(),
            "Items: menu item 1 is not available right now."
        );
    }

    #[test]
    fn only_what_another_try_may_fix_is_retried() {
        assert!(ApiError::from_status(502, "<html>").is_retryable());
        assert!(ApiError::from_status(503, r#"{"type":"about:blank","title":"x","status":503,"detail":"down","code":"unavailable"}"#).is_retryable());
        assert!(ApiError::from_status(504, "").is_retryable());
        assert!(ApiError::Network("reset".into()).is_retryable());
        let in_flight = r#"{"type":"about:blank","title":"Conflict","status":409,"detail":"still","code":"idempotency_key_in_flight"}"#;
        assert!(ApiError::from_status(409, in_flight).is_retryable());
        let refused = r#"{"type":"about:blank","title":"x","status":422,"detail":"no","code":"validation_failed"}"#;
        assert!(!ApiError::from_status(422, refused).is_retryable());
        assert!(!ApiError::from_status(500, "").is_retryable());
        assert!(!ApiError::from_status(429, "").is_retryable());
    }

    #[test]
    fn a_suspended_restaurant_is_closed_not_unavailable() {
        let closed = ApiError::from_status(
            503,
            r#"{"type":"about:blank","title":"x","status":503,"detail":"Pizza is temporarily closed","code":"tenant_suspended"}"#,
        );
        assert_eq!(closed, ApiError::Closed);
        assert!(!closed.is_retryable());
    }

    #[test]
    fn a_refusal_about_one_line_names_it() {
        let body = r#"{"type":"about:blank","title":"Unprocessable Entity","status":422,"detail":"items[1]: menu item x is not available","code":"item_unavailable","line":1}"#;
        let err = ApiError::from_status(422, body);
        assert!(err.menu_changed());
        let labels = ["Soup".to_owned(), "Pizza (Large)".to_owned()];
        assert_eq!(
            err.explain_for_order(&labels),
            "Pizza (Large) is not available right now. Remove it to place your order."
        );
        let body = r#"{"type":"about:blank","title":"x","status":422,"detail":"too few","code":"options_below_min","line":0,"group_id":"00000000-0000-0000-0000-00000000000a"}"#;
        assert_eq!(
            ApiError::from_status(422, body).explain_for_order(&labels),
            "Soup: its choices no longer match the menu. Remove it and add it again."
        );
        // A line the page does not know of, or another problem: the API's own words.
        let body = r#"{"type":"about:blank","title":"x","status":422,"detail":"gone","code":"option_unavailable","line":7}"#;
        assert_eq!(
            ApiError::from_status(422, body).explain_for_order(&labels),
            "Gone."
        );
        let body = r#"{"type":"about:blank","title":"x","status":422,"detail":"closed","code":"restaurant_closed"}"#;
        let closed = ApiError::from_status(422, body);
        assert!(!closed.menu_changed());
        assert_eq!(closed.explain_for_order(&labels), "Closed.");
    }

    #[test]
    fn a_full_slot_names_the_next_free_one() {
        let body = r#"{"type":"about:blank","title":"Conflict","status":409,"detail":"slot full","code":"slot_full","next_available":"2026-12-08T18:45:00+01:00"}"#;
        let err = ApiError::from_status(409, body);
        assert_eq!(err.code(), "slot_full");
        assert_eq!(
            err.next_available().as_deref(),
            Some("2026-12-08T18:45:00+01:00")
        );
        assert!(!err.menu_changed());
        assert!(err.explain_for_order(&[]).contains("filled up"));
        let body = r#"{"type":"about:blank","title":"Conflict","status":409,"detail":"slot full","code":"slot_full","next_available":null}"#;
        assert_eq!(ApiError::from_status(409, body).next_available(), None);
    }

    #[test]
    fn answers_without_a_problem_body_still_read_well() {
        assert!(matches!(
            ApiError::from_status(500, "<html>"),
            ApiError::Unexpected(_)
        ));
        assert_eq!(
            ApiError::from_status(429, "").to_string(),
            "The request was refused (HTTP 429)."
        );
    }
}
