use std::rc::Rc;

use chameleon_wire::MenuItem;
use yew::prelude::*;

use super::MenuCard;

#[derive(Properties, PartialEq)]
pub struct MenuGridProps {
    pub items: Rc<Vec<MenuItem>>,
    pub on_add: Callback<MenuItem>,
}

/// The available dishes: one column on a phone, up to three on a desktop.
#[function_component(MenuGrid)]
pub fn menu_grid(props: &MenuGridProps) -> Html {
    if props.items.is_empty() {
        return html! {
            <p class="rounded-xl border border-dashed border-stone-300 p-8 text-center text-stone-500">
                { "Nothing on the menu right now. Please check back soon." }
            </p>
        };
    }
    html! {
        <ul class="grid grid-cols-1 gap-4 sm:grid-cols-2 xl:grid-cols-3" aria-label="Menu">
            { for props.items.iter().map(|item| html! {
                <MenuCard key={item.id.to_string()} item={item.clone()} on_add={props.on_add.clone()} />
            }) }
        </ul>
    }
}
