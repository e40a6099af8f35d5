use chameleon_wire::Order;
use yew::prelude::*;

use crate::hours::Clock;

/// When the order is to be picked up, in the restaurant's time zone and locale: "Pickup at
/// 6:30 PM" for a slot, "Ready about 6:05 PM" for as soon as possible, with the day when it is
/// not today. Nothing for an order that says neither.
///
/// A function of the confirmation's and the tracking page's, not a component: it has no state,
/// and every component costs the storefront's download.
pub fn pickup_time(clock: &Clock, order: &Order) -> Html {
    match clock.pickup_time(order) {
        Some(text) => html! {
            <p data-testid="pickup-time" class="mt-3 text-lg font-semibold text-stone-900">{ text }</p>
        },
        None => html! {},
    }
}
