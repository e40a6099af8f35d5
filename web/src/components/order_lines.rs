use std::rc::Rc;

use chameleon_wire::Order;
use yew::prelude::*;

use crate::money::Pricing;

#[derive(Properties, PartialEq)]
pub struct OrderLinesProps {
    pub order: Rc<Order>,
}

/// What an order holds and what it costs: the confirmation's and the tracking page's.
#[function_component(OrderLines)]
pub fn order_lines(props: &OrderLinesProps) -> Html {
    let pricing = use_context::<Pricing>().unwrap_or_default();
    let order = &props.order;
    html! {
        <>
            <ul class="mt-4 divide-y divide-stone-100">
                // By position: one item may be on several lines, with other options.
                { for order.items.iter().enumerate().map(|(n, item)| {
                    let options: Vec<&str> = item.options.iter().map(|o| o.name.as_str()).collect();
                    html! {
                        <li key={n} data-testid="order-line" class="py-2 text-sm">
                            <div class="flex justify-between gap-3">
                                <span>{ format!("{} × {}", item.qty, item.name) }</span>
                                <span class="tabular-nums">{ pricing.format(item.unit_price.saturating_mul(item.qty)) }</span>
                            </div>
                            if !options.is_empty() {
                                <p data-testid="order-line-options" class="mt-0.5 text-xs text-stone-600">{ options.join(", ") }</p>
                            }
                        </li>
                    }
                }) }
            </ul>
            <div class="mt-3 flex items-baseline justify-between border-t border-stone-200 pt-3">
                <span class="font-medium text-stone-600">{ "Total" }</span>
                <span data-testid="order-total" class="text-xl font-bold tabular-nums">{ pricing.format(order.total_amount) }</span>
            </div>
        </>
    }
}
