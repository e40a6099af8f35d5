use std::rc::Rc;

use chameleon_wire::{MenuItem, StoreConfig};
use yew::prelude::*;

use super::{CartPanel, Confirmation, ErrorMessage, Header, MenuGrid};
use crate::cart::{Cart, CartAction};
use crate::hooks::{Checkout, MenuState, use_checkout, use_menu};
use crate::hours::open_status;
use crate::money::Pricing;

#[derive(Properties, PartialEq)]
pub struct StorefrontProps {
    pub config: Rc<StoreConfig>,
}

/// The branded page: header, menu and cart, or the confirmation once the order is placed.
#[function_component(Storefront)]
pub fn storefront(props: &StorefrontProps) -> Html {
    let (menu, reload_menu) = use_menu();
    let pricing = Pricing {
        currency: props.config.currency.clone(),
        locale: props.config.locale.clone(),
    };
    let cart = use_reducer(Cart::default);
    let (checkout, submit, reset) = use_checkout();

    {
        // A placed order empties the cart.
        let cart = cart.clone();
        let placed = matches!(checkout, Checkout::Placed(_));
        use_effect_with(placed, move |placed| {
            if *placed {
                cart.dispatch(CartAction::Clear);
            }
        });
    }

    let on_add = {
        let cart = cart.clone();
        Callback::from(move |item: MenuItem| cart.dispatch(CartAction::Add(item)))
    };
    let on_action = {
        let cart = cart.clone();
        Callback::from(move |action: CartAction| cart.dispatch(action))
    };
    let on_place = {
        let cart = cart.clone();
        Callback::from(move |customer: String| submit.emit(cart.to_order(&customer)))
    };
    let on_new_order = {
        let reload_menu = reload_menu.clone();
        Callback::from(move |()| {
            reset.emit(());
            reload_menu.emit(());
        })
    };

    let body = match (&checkout, &menu) {
        (Checkout::Placed(order), _) => {
            html! { <Confirmation order={order.clone()} {on_new_order} /> }
        }
        (_, MenuState::Loading) => {
            html! { <p class="text-stone-500" aria-busy="true">{ "Loading the menu…" }</p> }
        }
        (_, MenuState::Failed(message)) => html! { <ErrorMessage message={message.clone()} /> },
        (_, MenuState::Ready(menu)) => {
            let error = match &checkout {
                Checkout::Failed(message) => Some(AttrValue::from(message.clone())),
                _ => None,
            };
            html! {
                <div class="grid grid-cols-1 gap-6 lg:grid-cols-[minmax(0,1fr)_22rem]">
                    <section aria-labelledby="menu-title">
                        <h2 id="menu-title" class="mb-4 text-lg font-semibold text-stone-900">{ "Menu" }</h2>
                        <MenuGrid menu={menu.clone()} {on_add} />
                    </section>
                    <CartPanel cart={(*cart).clone()} {on_action} {on_place}
                               submitting={checkout == Checkout::Submitting} {error} />
                </div>
            }
        }
    };

    html! {
        <ContextProvider<Pricing> context={pricing}>
            <div class="min-h-screen bg-stone-50 font-brand text-stone-900">
                <Header name={props.config.name.clone()} items_in_cart={cart.count()}
                        open_status={open_status(&props.config).map(AttrValue::from)} />
                <main class="mx-auto max-w-6xl px-4 py-6 sm:px-6 sm:py-8">{ body }</main>
            </div>
        </ContextProvider<Pricing>>
    }
}
