//! `use_menu`: this restaurant's categories and the items it has available now.

use std::rc::Rc;

use chameleon_wire::StoreMenu;
use yew::prelude::*;

use crate::api;

#[derive(Debug, Clone, PartialEq)]
pub enum MenuState {
    Loading,
    Ready(Rc<StoreMenu>),
    Failed(String),
}

/// Fetches `/api/v1/store/menu`; the returned callback fetches it again.
#[hook]
pub fn use_menu() -> (MenuState, Callback<()>) {
    let state = use_state(|| MenuState::Loading);
    let attempt = use_state(|| 0u32);
    {
        let state = state.clone();
        use_effect_with(*attempt, move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                state.set(match api::store_menu().await {
                    Ok(menu) => MenuState::Ready(Rc::new(menu)),
                    Err(err) => MenuState::Failed(err.to_string()),
                });
            });
        });
    }
    let reload = Callback::from(move |()| attempt.set(*attempt + 1));
    ((*state).clone(), reload)
}
