//! The root: nothing branded renders until the restaurant's theme is applied.

use yew::prelude::*;

use crate::components::{Closed, LoadFailure, NoRestaurant, Storefront};
use crate::hooks::{ConfigState, use_tenant_config};

#[function_component(App)]
pub fn app() -> Html {
    let (config, retry) = use_tenant_config();
    match config {
        ConfigState::Loading => html! {
            <main class="grid min-h-screen place-items-center bg-stone-50" aria-busy="true">
                <p class="text-sm text-stone-500">{ "Loading…" }</p>
            </main>
        },
        ConfigState::UnknownRestaurant => html! { <NoRestaurant /> },
        ConfigState::Closed => html! { <Closed /> },
        ConfigState::Failed(message) => html! { <LoadFailure {message} on_retry={retry} /> },
        ConfigState::Ready(config) => html! { <Storefront {config} /> },
    }
}
