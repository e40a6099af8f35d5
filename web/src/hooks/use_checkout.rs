//! `use_checkout`: placing the order and what came of it.

use std::rc::Rc;

use chameleon_wire::{Order, PlaceOrder};
use yew::prelude::*;

use crate::api;

#[derive(Debug, Clone, PartialEq)]
pub enum Checkout {
    Idle,
    Submitting,
    Placed(Rc<Order>),
    Failed(String),
}

/// The checkout's state, a callback that submits an order, and one that starts over.
#[hook]
pub fn use_checkout() -> (Checkout, Callback<PlaceOrder>, Callback<()>) {
    let state = use_state(|| Checkout::Idle);
    let submit = {
        let state = state.clone();
        Callback::from(move |order: PlaceOrder| {
            if *state == Checkout::Submitting {
                return;
            }
            state.set(Checkout::Submitting);
            let state = state.clone();
            wasm_bindgen_futures::spawn_local(async move {
                state.set(match api::place_order(&order).await {
                    Ok(placed) => Checkout::Placed(Rc::new(placed)),
                    Err(err) => Checkout::Failed(err.to_string()),
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
