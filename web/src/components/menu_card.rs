use chameleon_wire::MenuItem;
use yew::prelude::*;

use crate::money::Pricing;

#[derive(Properties, PartialEq)]
pub struct MenuCardProps {
    pub item: MenuItem,
    pub on_add: Callback<MenuItem>,
}

/// One dish: its name, its price, and a way to put it in the cart.
#[function_component(MenuCard)]
pub fn menu_card(props: &MenuCardProps) -> Html {
    let pricing = use_context::<Pricing>().unwrap_or_default();
    let add = {
        let item = props.item.clone();
        props.on_add.reform(move |_: MouseEvent| item.clone())
    };
    html! {
        <li data-testid="menu-item"
            class="flex flex-col justify-between gap-4 rounded-xl border border-stone-200 bg-white p-5 shadow-sm">
            <div>
                <h3 data-testid="menu-item-name" class="text-lg font-semibold text-stone-900">{ &props.item.name }</h3>
                <p data-testid="menu-item-price" class="mt-1 text-stone-600"><span data-testid="price">{ pricing.format(props.item.price) }</span></p>
            </div>
            <button type="button" data-testid="add-to-cart" onclick={add}
                    aria-label={format!("Add to cart: {}", props.item.name)}
                    class="self-start rounded-lg bg-primary px-4 py-2 text-sm font-semibold text-on-primary shadow-sm hover:opacity-90 focus-visible:outline focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-primary">
                { "Add to cart" }
            </button>
        </li>
    }
}
