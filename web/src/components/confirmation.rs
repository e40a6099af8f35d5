use std::rc::Rc;

use chameleon_wire::Order;
use yew::prelude::*;

use super::{OrderLines, pickup_time};
use crate::hours::Clock;

#[derive(Properties, PartialEq)]
pub struct ConfirmationProps {
    pub order: Rc<Order>,
    pub on_new_order: Callback<()>,
}

/// The order went through: when to pick it up, its id, what was ordered, what it costs.
#[function_component(Confirmation)]
pub fn confirmation(props: &ConfirmationProps) -> Html {
    let clock = use_context::<Clock>().unwrap_or_default();
    let order = &props.order;
    let again = props.on_new_order.reform(|_: MouseEvent| ());
    html! {
        <section data-testid="order-confirmation" aria-live="polite"
                 class="mx-auto max-w-xl rounded-xl border border-stone-200 bg-white p-6 shadow-sm">
            <p class="text-sm font-semibold uppercase tracking-wide text-primary">{ "Order placed" }</p>
            <h2 class="mt-1 text-2xl font-bold text-stone-900">{ format!("Thank you, {}!", order.customer) }</h2>
            { pickup_time(&clock, order) }
            <p class="mt-2 text-sm text-stone-600">
                { "Your order number is " }
                <code data-testid="order-id" class="break-all rounded bg-stone-100 px-1.5 py-0.5 text-stone-900">{ order.order_id.to_string() }</code>
            </p>
            if let Some(token) = &order.tracking_token {
                <p class="mt-3">
                    <a data-testid="tracking-link"
                       href={format!("/orders/{}?t={}", order.order_id, token)}
                       class="font-semibold text-stone-900 underline decoration-2 underline-offset-2 hover:opacity-80 focus-visible:outline focus-visible:outline-2 focus-visible:outline-offset-2">
                        { "Follow your order" }
                    </a>
                    <span class="text-sm text-stone-600">{ " (keep this link: it is the only way to see it)" }</span>
                </p>
            }
            <OrderLines order={order.clone()} />
            <button type="button" onclick={again}
                    class="mt-6 w-full rounded-lg bg-primary px-4 py-3 font-semibold text-on-primary hover:opacity-90 focus-visible:outline focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-primary">
                { "Start a new order" }
            </button>
        </section>
    }
}
