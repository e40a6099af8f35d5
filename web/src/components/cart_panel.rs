use web_sys::HtmlInputElement;
use yew::prelude::*;

use super::ErrorMessage;
use crate::cart::{Cart, CartAction, MAX_QTY};
use crate::money::Pricing;

#[derive(Properties, PartialEq)]
pub struct CartPanelProps {
    pub cart: Cart,
    pub on_action: Callback<CartAction>,
    /// Called with the customer's name when "Place order" is pressed.
    pub on_place: Callback<String>,
    pub submitting: bool,
    pub error: Option<AttrValue>,
    /// The pickup choice, shown under the name.
    #[prop_or_default]
    pub pickup: Html,
    /// Why the order cannot be placed now (no pickup time chosen, orders paused), if so.
    #[prop_or_default]
    pub blocker: Option<AttrValue>,
}

/// The cart: quantities, the running total, the customer's name, when to pick the order up and
/// "Place order".
#[function_component(CartPanel)]
pub fn cart_panel(props: &CartPanelProps) -> Html {
    let pricing = use_context::<Pricing>().unwrap_or_default();
    let customer = use_state(String::new);
    let blank_name = use_state(|| false);

    let on_name = {
        let (customer, blank_name) = (customer.clone(), blank_name.clone());
        Callback::from(move |e: InputEvent| {
            customer.set(e.target_unchecked_into::<HtmlInputElement>().value());
            blank_name.set(false);
        })
    };
    let on_submit = {
        let (customer, blank_name, on_place) =
            (customer.clone(), blank_name.clone(), props.on_place.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if customer.trim().is_empty() {
                blank_name.set(true);
            } else {
                on_place.emit((*customer).clone());
            }
        })
    };

    let error = if *blank_name {
        Some(AttrValue::from(
            "Please enter your name so the restaurant knows whose order it is.",
        ))
    } else {
        props.error.clone()
    };

    // A line that sold out since it was added: the order would be refused.
    let reason = if !props.cart.orderable() {
        Some(AttrValue::from(
            "Something in your order is not available right now. Remove it to place your order.",
        ))
    } else if props.cart.is_empty() {
        None
    } else {
        props.blocker.clone()
    };
    let blocked = reason.is_some();

    html! {
        <section id="cart" aria-labelledby="cart-title"
                 class="rounded-xl border border-stone-200 bg-white p-5 shadow-sm lg:sticky lg:top-6 lg:self-start">
            // Focusable from script only: the phone's cart bar brings the customer here.
            <h2 id="cart-title" tabindex="-1" class="scroll-mt-4 text-lg font-semibold text-stone-900 focus:outline-none focus-visible:outline focus-visible:outline-2 focus-visible:outline-primary">{ "Your order" }</h2>
            if props.cart.is_empty() {
                <p class="mt-3 text-sm text-stone-500">{ "Your cart is empty. Add something tasty from the menu." }</p>
            } else {
                <ul class="mt-3 divide-y divide-stone-100" aria-label="Cart">
                    { for props.cart.lines().iter().enumerate().map(|(n, line)| {
                        let key = line.key();
                        let label = line.label();
                        let qty = line.qty;
                        let minus = {
                            let key = key.clone();
                            props.on_action.reform(move |_: MouseEvent| {
                                if qty <= 1 { CartAction::Remove(key.clone()) } else { CartAction::SetQty(key.clone(), qty - 1) }
                            })
                        };
                        let plus = {
                            let key = key.clone();
                            props.on_action.reform(move |_: MouseEvent| CartAction::SetQty(key.clone(), qty.saturating_add(1)))
                        };
                        let remove = {
                            let key = key.clone();
                            props.on_action.reform(move |_: MouseEvent| CartAction::Remove(key.clone()))
                        };
                        let set = {
                            let key = key.clone();
                            props.on_action.reform(move |e: Event| {
                                let value = e.target_unchecked_into::<HtmlInputElement>().value();
                                CartAction::SetQty(key.clone(), value.trim().parse::<u8>().unwrap_or(qty))
                            })
                        };
                        // Ids by position: one item may be on several lines (other options).
                        let input_id = format!("qty-{n}");
                        let dom_key = std::iter::once(key.item).chain(key.options.iter().copied())
                            .map(|id| id.simple().to_string()).collect::<Vec<_>>().join("-");
                        html! {
                            <li key={dom_key} data-testid="cart-line" class="py-3">
                                <div class="flex items-baseline justify-between gap-3">
                                    <span class="text-sm font-medium text-stone-800">{ &line.item.name }</span>
                                    <span class="shrink-0 text-sm tabular-nums text-stone-700">
                                        { pricing.format(line.total()) }
                                    </span>
                                </div>
                                if !line.options.is_empty() {
                                    <p data-testid="cart-line-options" class="mt-0.5 text-xs text-stone-600">{ line.option_names() }</p>
                                }
                                if !line.orderable() {
                                    <p data-testid="cart-line-unavailable" class="mt-1 text-xs font-semibold text-red-800">
                                        { "Not available right now: remove it to order." }
                                    </p>
                                }
                                <div class="mt-2 flex items-center gap-1">
                                    <button type="button" onclick={minus} aria-label={format!("One less {label}")}
                                            class="h-8 w-8 rounded-md border border-stone-300 text-stone-700 hover:bg-stone-100 focus-visible:outline focus-visible:outline-2 focus-visible:outline-primary">{ "−" }</button>
                                    <label for={input_id.clone()} class="sr-only">{ format!("Quantity of {label}") }</label>
                                    <input id={input_id} type="number" inputmode="numeric" min="1" max={MAX_QTY.to_string()}
                                           value={qty.to_string()} onchange={set} data-testid="cart-qty"
                                           class="h-8 w-14 rounded-md border border-stone-300 text-center text-sm focus-visible:outline focus-visible:outline-2 focus-visible:outline-primary" />
                                    <button type="button" onclick={plus} aria-label={format!("One more {label}")} disabled={qty >= MAX_QTY}
                                            class="h-8 w-8 rounded-md border border-stone-300 text-stone-700 hover:bg-stone-100 disabled:opacity-40 focus-visible:outline focus-visible:outline-2 focus-visible:outline-primary">{ "+" }</button>
                                    <button type="button" onclick={remove} aria-label={format!("Remove {label} from the cart")}
                                            class="ml-auto rounded-md px-2 py-1 text-xs font-medium text-stone-600 hover:text-red-700 focus-visible:outline focus-visible:outline-2 focus-visible:outline-primary">{ "Remove" }</button>
                                </div>
                            </li>
                        }
                    }) }
                </ul>
            }
            <div class="mt-4 flex items-baseline justify-between border-t border-stone-200 pt-4">
                <span class="text-sm font-medium text-stone-600">{ "Total" }</span>
                <span data-testid="cart-total" class="text-xl font-bold tabular-nums text-stone-900">
                    { pricing.format(props.cart.total_cents()) }
                </span>
            </div>
            <form class="mt-4 flex flex-col gap-3" onsubmit={on_submit} novalidate=true>
                <label for="customer-name" class="text-sm font-medium text-stone-700">{ "Your name" }</label>
                <input id="customer-name" data-testid="customer-name" type="text" autocomplete="name"
                       maxlength={chameleon_rules::text::CUSTOMER_NAME.max_chars.to_string()} value={(*customer).clone()} oninput={on_name} placeholder="e.g. Alex"
                       aria-invalid={(*blank_name).to_string()}
                       class="rounded-lg border border-stone-300 px-3 py-2 text-stone-900 focus-visible:outline focus-visible:outline-2 focus-visible:outline-primary" />
                { props.pickup.clone() }
                if let Some(message) = error {
                    <ErrorMessage {message} />
                }
                if let Some(reason) = reason {
                    <p id="place-order-reason" data-testid="place-order-reason" class="text-sm font-medium text-red-800">
                        { reason }
                    </p>
                }
                <button type="submit" data-testid="place-order" disabled={props.cart.is_empty() || props.submitting || blocked}
                        aria-describedby={blocked.then_some("place-order-reason")}
                        class="rounded-lg bg-primary px-4 py-3 text-base font-semibold text-on-primary shadow-sm hover:opacity-90 disabled:cursor-not-allowed disabled:opacity-50 focus-visible:outline focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-primary">
                    { if props.submitting { "Placing your order…" } else { "Place order" } }
                </button>
            </form>
        </section>
    }
}
