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
                { for order.items.iter().map(|item| html! {
                    <li key={item.id.to_string()} class="flex justify-between py-2 text-sm">
                        <span>{ format!("{} × {}", item.qty, item.name) }</span>
                        <span class="tabular-nums">{ pricing.format(item.price.saturating_mul(item.qty)) }</span>
                    </li>
                }) }
            </ul>
            <div class="mt-3 flex items-baseline justify-between border-t border-stone-200 pt-3">
                <span class="font-medium text-stone-600">{ "Total" }</span>
                <span data-testid="order-total" class="text-xl font-bold tabular-nums">{ pricing.format(order.total_amount) }</span>
            </div>
        </>
    }
}
