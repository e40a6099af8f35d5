//! The root: nothing branded renders until the restaurant's theme is applied.

use yew::prelude::*;

use crate::components::{Closed, LoadFailure, NoRestaurant, Storefront, Tracking};
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
        ConfigState::Ready(config) => match tracked_order() {
            Some((order_id, token)) => html! {
                <Tracking {config} order_id={AttrValue::from(order_id)} token={AttrValue::from(token)} />
            },
            None => html! { <Storefront {config} /> },
        },
    }
}

/// `/orders/{id}?t=<token>`: the order and its tracking token, when this page is one.
fn tracked_order() -> Option<(String, String)> {
    let location = web_sys::window()?.location();
    let path = location.pathname().ok()?;
    let search = location.search().ok()?;
    parse_tracking(&path, &search)
}

fn parse_tracking(path: &str, search: &str) -> Option<(String, String)> {
    let id = path.strip_prefix("/orders/")?.trim_end_matches('/');
    if id.is_empty() || id.contains('/') {
        return None;
    }
    let token = search
        .trim_start_matches('?')
        .split('&')
        .find_map(|pair| pair.strip_prefix("t="))?;
    Some((id.to_owned(), token.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::parse_tracking;

    #[test]
    fn a_tracking_link_names_the_order_and_its_token() {
        assert_eq!(
            parse_tracking("/orders/abc", "?t=xyz"),
            Some(("abc".to_owned(), "xyz".to_owned()))
        );
        assert_eq!(
            parse_tracking("/orders/abc/", "?x=1&t=xyz"),
            Some(("abc".to_owned(), "xyz".to_owned()))
        );
        assert_eq!(parse_tracking("/", "?t=xyz"), None);
        assert_eq!(parse_tracking("/orders/abc", ""), None);
        assert_eq!(parse_tracking("/orders/a/b", "?t=x"), None);
    }
}
