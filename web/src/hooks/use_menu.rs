//! `use_menu`: this restaurant's categories, option groups and every item, available or not.

use std::rc::Rc;

use chameleon_wire::StoreMenu;
use gloo_timers::callback::Timeout;
use yew::prelude::*;

use crate::api;

#[derive(Debug, Clone, PartialEq)]
pub enum MenuState {
    Loading,
    Ready(Rc<StoreMenu>),
    Failed(String),
}

/// Fetches `/api/v1/store/menu`; the returned callback fetches it again. A dish sold out until
/// a known time comes back by itself: the menu is read again just after the earliest such time.
#[hook]
pub fn use_menu() -> (MenuState, Callback<()>) {
    let state = use_state(|| MenuState::Loading);
    let attempt = use_state(|| 0u32);
    // The attempts so far, read when a reload fires: a timer's callback may be older than the
    // last render, and its handle's value with it.
    let attempts = use_mut_ref(|| 0u32);
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
    let reload = Callback::from(move |()| {
        let next = {
            let mut attempts = attempts.borrow_mut();
            *attempts += 1;
            *attempts
        };
        attempt.set(next);
    });
    {
        let menu = match &*state {
            MenuState::Ready(menu) => Some(menu.clone()),
            _ => None,
        };
        let reload = reload.clone();
        use_effect_with(menu, move |menu| {
            let timer = menu
                .as_deref()
                .and_then(next_return_ms)
                .map(|ms| Timeout::new(ms, move || reload.emit(())));
            // Dropping the timer cancels it: a newer menu sets its own.
            move || drop(timer)
        });
    }
    ((*state).clone(), reload)
}

/// Milliseconds from now until a second after the earliest `available_from` still to come; `None`
/// when there is none (or it is further off than a browser timer reaches).
fn next_return_ms(menu: &StoreMenu) -> Option<u32> {
    let now = js_sys::Date::now();
    let earliest = menu
        .items
        .iter()
        .filter(|item| !item.available)
        .filter_map(|item| item.available_from.as_deref())
        .map(js_sys::Date::parse)
        .filter(|at| *at > now)
        .fold(f64::INFINITY, f64::min);
    let wait = earliest - now + 1_000.0;
    (wait.is_finite() && wait < f64::from(i32::MAX)).then_some(wait as u32)
}
