//! `use_checkout`: placing the order and what came of it.
//!
//! One checkout attempt has one `Idempotency-Key`. A try that gets no answer, or a 502/503/504,
//! is sent again with the same key after a short wait (see [`crate::checkout_retry`]), so a
//! customer whose first try did reach the restaurant gets that order back, never a second one.
//! The key is kept while the order stays the same: pressing "Place order" again after a failure
//! is the same attempt; changing the cart or the name starts a new one.

use std::rc::Rc;

use chameleon_wire::{Order, PlaceOrder};
use yew::prelude::*;

use crate::api::{self, ApiError};
use crate::checkout_retry::{MAX_TRIES, delay_ms, new_key};

#[derive(Debug, Clone, PartialEq)]
pub enum Checkout {
    Idle,
    Submitting,
    Placed(Rc<Order>),
    Failed {
        message: String,
        /// The refusal means the menu changed (something sold out): read it again.
        menu_changed: bool,
        /// The problem's code (`slot_full`, `not_accepting_orders`, …); empty without one.
        code: String,
        /// For `slot_full`: the next slot still free.
        next_available: Option<String>,
    },
}

/// What "Place order" sends: the order, and its lines' names (so a refusal about a line can
/// name it).
#[derive(Debug, Clone, PartialEq)]
pub struct CheckoutRequest {
    pub order: PlaceOrder,
    pub labels: Vec<String>,
}

/// The checkout's state, a callback that submits an order, and one that starts over.
#[hook]
pub fn use_checkout() -> (Checkout, Callback<CheckoutRequest>, Callback<()>) {
    let state = use_state(|| Checkout::Idle);
    // The order of the current attempt and its key.
    let attempt = use_mut_ref(|| None::<(PlaceOrder, String)>);
    let submit = {
        let state = state.clone();
        let attempt = attempt.clone();
        Callback::from(move |CheckoutRequest { order, labels }: CheckoutRequest| {
            if *state == Checkout::Submitting {
                return;
            }
            let key = {
                let mut current = attempt.borrow_mut();
                match &*current {
                    Some((same, key)) if *same == order => key.clone(),
                    _ => {
                        let key = new_key(random_bytes());
                        *current = Some((order.clone(), key.clone()));
                        key
                    }
                }
            };
            state.set(Checkout::Submitting);
            let state = state.clone();
            let attempt = attempt.clone();
            wasm_bindgen_futures::spawn_local(async move {
                state.set(match place_with_retries(&order, &key).await {
                    Ok(placed) => {
                        *attempt.borrow_mut() = None;
                        Checkout::Placed(Rc::new(placed))
                    }
                    Err(err) => Checkout::Failed {
                        message: err.explain_for_order(&labels),
                        menu_changed: err.menu_changed(),
                        code: err.code().to_owned(),
                        next_available: err.next_available(),
                    },
                });
            });
        })
    };
    let reset = {
        let state = state.clone();
        Callback::from(move |()| state.set(Checkout::Idle))
    };
    ((*state).clone(), submit, reset)
}

/// Tries up to [`MAX_TRIES`] times, under one key, while the failure is one a retry may fix.
async fn place_with_retries(order: &PlaceOrder, key: &str) -> Result<Order, ApiError> {
    let mut tried = 1;
    loop {
        match api::place_order(order, key).await {
            Err(err) if err.is_retryable() && tried < MAX_TRIES => {
                tried += 1;
                gloo_timers::future::TimeoutFuture::new(delay_ms(tried)).await;
            }
            result => return result,
        }
    }
}

/// 16 bytes from the browser's cryptographic generator (`crypto.getRandomValues`, which, unlike
/// `randomUUID`, works on plain-HTTP pages too).
fn random_bytes() -> [u8; 16] {
    let mut bytes = [0u8; 16];
    if let Some(crypto) = web_sys::window().and_then(|w| w.crypto().ok()) {
        let _ = crypto.get_random_values_with_u8_array(&mut bytes);
    }
    bytes
}
