use std::rc::Rc;

use chameleon_wire::{Order, StoreConfig};
use yew::prelude::*;

use super::{Header, OrderLines, pickup_time};
use crate::api::{self, ApiError};
use crate::hours::Clock;
use crate::money::Pricing;

/// How often the tracking page asks for the order again. Polling, not server-sent events: one
/// small cached-nothing GET every few seconds goes through nginx and any proxy like every other
/// request, needs no connection held open per customer on the service (whose workers serve a
/// whole fleet of restaurants), and picks up where it left off after a network blip.
const POLL_MS: u32 = 3_000;

#[derive(Properties, PartialEq)]
pub struct TrackingProps {
    pub config: Rc<StoreConfig>,
    pub order_id: AttrValue,
    pub token: AttrValue,
}

#[derive(Debug, Clone, PartialEq)]
enum Tracked {
    Loading,
    Found(Rc<Order>),
    NotFound,
    Failed(String),
}

/// The customer's view of one order, updated without a reload.
#[function_component(Tracking)]
pub fn tracking(props: &TrackingProps) -> Html {
    let pricing = Pricing {
        currency: props.config.currency.clone(),
        locale: props.config.locale.clone(),
    };
    let tracked = use_state(|| Tracked::Loading);
    {
        let tracked = tracked.clone();
        let (id, token) = (props.order_id.to_string(), props.token.to_string());
        use_effect_with((), move |_| {
            let alive = Rc::new(std::cell::Cell::new(true));
            let running = alive.clone();
            wasm_bindgen_futures::spawn_local(async move {
                while running.get() {
                    let next = match api::track_order(&id, &token).await {
                        Ok(order) => Some(Tracked::Found(Rc::new(order))),
                        Err(ApiError::Refused { status: 404, .. }) => Some(Tracked::NotFound),
                        // A blip: keep what is shown, try again at the next tick.
                        Err(err) if err.is_retryable() => None,
                        Err(err) => Some(Tracked::Failed(err.to_string())),
                    };
                    if !running.get() {
                        break;
                    }
                    if let Some(next) = next {
                        let done = matches!(&next, Tracked::NotFound | Tracked::Failed(_));
                        tracked.set(next);
                        if done {
                            break;
                        }
                    }
                    gloo_timers::future::TimeoutFuture::new(POLL_MS).await;
                }
            });
            move || alive.set(false)
        });
    }
    let body = match &*tracked {
        Tracked::Loading => {
            html! { <p class="text-stone-600" aria-busy="true">{ "Looking up your order…" }</p> }
        }
        Tracked::NotFound => html! {
            <p data-testid="error" role="alert" class="text-stone-700">
                { "We could not find this order. Check the link you were given when you placed it." }
            </p>
        },
        Tracked::Failed(message) => {
            html! { <p data-testid="error" role="alert" class="text-stone-700">{ message.clone() }</p> }
        }
        Tracked::Found(order) => order_view(order, &Clock::of(&props.config)),
    };
    html! {
        <ContextProvider<Pricing> context={pricing.clone()}>
            <div class="min-h-screen bg-stone-50 font-brand text-stone-900">
                <Header name={props.config.name.clone()} items_in_cart={0} />
                <main class="mx-auto max-w-xl px-4 py-6 sm:px-6 sm:py-8">{ body }</main>
            </div>
        </ContextProvider<Pricing>>
    }
}

/// Where the order stands, in words a customer reads.
fn label(status: &str) -> &'static str {
    match status {
        "PENDING" => "Received: waiting for the restaurant",
        "CONFIRMED" => "Confirmed: being prepared",
        "READY" => "Ready for pick-up",
        "COMPLETED" => "Completed: enjoy!",
        "CANCELLED" => "Cancelled",
        _ => "Being processed",
    }
}

const STEPS: [(&str, &str); 4] = [
    ("PENDING", "Received"),
    ("CONFIRMED", "Confirmed"),
    ("READY", "Ready"),
    ("COMPLETED", "Completed"),
];

fn order_view(order: &Rc<Order>, clock: &Clock) -> Html {
    let reached = STEPS
        .iter()
        .position(|(s, _)| *s == order.status)
        .unwrap_or(0);
    let cancelled = order.status == "CANCELLED";
    html! {
        <section aria-labelledby="order-title" class="rounded-xl border border-stone-200 bg-white p-6 shadow-sm">
            <h2 id="order-title" class="text-xl font-bold">{ format!("Order for {}", order.customer) }</h2>
            <p class="mt-1 break-all text-sm text-stone-600">{ format!("Order number {}", order.order_id) }</p>
            <p class="mt-4 text-lg font-semibold" aria-live="polite">
                <span data-testid="order-status" data-status={order.status.clone()}>{ label(&order.status) }</span>
            </p>
            if !cancelled {
                { pickup_time(clock, order) }
            }
            if !cancelled {
                <ol class="mt-4 grid grid-cols-4 gap-2 text-center text-xs font-medium" aria-label="Progress">
                    { for STEPS.iter().enumerate().map(|(i, (_, name))| {
                        let done = i <= reached;
                        let class = if done { "rounded bg-stone-900 px-1 py-1.5 text-white" } else { "rounded bg-stone-100 px-1 py-1.5 text-stone-600" };
                        html! { <li class={class} aria-current={(i == reached).then_some("step")}>{ *name }</li> }
                    }) }
                </ol>
            }
            <OrderLines order={order.clone()} />
            <p class="mt-4 text-xs text-stone-500">{ "This page updates by itself." }</p>
        </section>
    }
}
