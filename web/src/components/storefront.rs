use std::rc::Rc;

use chameleon_wire::{StoreConfig, StoreMenuItem};
use wasm_bindgen::JsCast;
use web_sys::HtmlElement;
use yew::prelude::*;

use super::menu_card::add_button_id;
use super::{
    CartBar, CartPanel, Confirmation, ErrorMessage, Header, MenuGrid, OptionDialog, PickupChoice,
};
use crate::cart::{Cart, CartAction};
use crate::hooks::{Checkout, CheckoutRequest, MenuState, use_checkout, use_menu, use_pickup};
use crate::hours::{Clock, open_status};
use crate::money::Pricing;
use crate::options::groups_of;
use crate::pickup::PickupAction;

#[derive(Properties, PartialEq)]
pub struct StorefrontProps {
    pub config: Rc<StoreConfig>,
}

/// The branded page: header, menu and cart, or the confirmation once the order is placed; the
/// options dialog of the dish being chosen; on a phone, a bar that leads to the cart. While the
/// kitchen has paused orders, the menu can be browsed but no order placed.
#[function_component(Storefront)]
pub fn storefront(props: &StorefrontProps) -> Html {
    let config = &props.config;
    let (menu, reload_menu) = use_menu();
    let pricing = Pricing {
        currency: config.currency.clone(),
        locale: config.locale.clone(),
    };
    let cart = use_reducer(Cart::default);
    let (checkout, submit, reset) = use_checkout();
    // Paused since the page loaded: an order was refused with `not_accepting_orders`.
    let paused = use_state(|| false);
    let accepting = config.accepting_orders && !*paused;
    let pickup = use_pickup(accepting && !cart.is_empty(), config.schedule_days_ahead);
    // The dish whose options are being chosen, if any.
    let choosing = use_state(|| None::<StoreMenuItem>);
    // The id of the button that opened the dialog: focus goes back there when it closes.
    let opener = use_mut_ref(|| None::<String>);

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
    {
        // The menu read (again): the cart's lines take its prices and availability, so a dish
        // that sold out since it was added shows as such there.
        let cart = cart.clone();
        let current = match &menu {
            MenuState::Ready(menu) => Some(menu.clone()),
            _ => None,
        };
        use_effect_with(current, move |current| {
            if let Some(menu) = current {
                cart.dispatch(CartAction::Refresh(menu.clone()));
            }
        });
    }
    {
        // Refused because the menu changed under the customer: read it again. Refused for its
        // pickup time: read the slots again (choosing the next free one, if named). Refused
        // because the kitchen paused orders: say so.
        let (reload_menu, pickup, paused) = (reload_menu.clone(), pickup.clone(), paused.clone());
        use_effect_with(checkout.clone(), move |checkout| {
            if let Checkout::Failed {
                menu_changed,
                code,
                next_available,
                ..
            } = checkout
            {
                if *menu_changed {
                    reload_menu.emit(());
                }
                match code.as_str() {
                    "slot_full" | "slot_invalid" | "restaurant_closed" => {
                        pickup.dispatch(PickupAction::Reread(next_available.clone()));
                    }
                    "not_accepting_orders" => paused.set(true),
                    _ => {}
                }
            }
        });
    }
    {
        // Once the dialog is gone and the page behind it no longer inert, focus returns to the
        // button that opened it.
        let opener = opener.clone();
        use_effect_with(choosing.is_some(), move |open| {
            if !*open && let Some(id) = opener.borrow_mut().take() {
                focus_by_id(&id, false);
            }
        });
    }

    let on_add = {
        let (cart, choosing, menu) = (cart.clone(), choosing.clone(), menu.clone());
        Callback::from(move |item: StoreMenuItem| {
            if !item.available {
                return;
            }
            let has_options =
                matches!(&menu, MenuState::Ready(menu) if !groups_of(menu, &item).is_empty());
            if has_options {
                *opener.borrow_mut() = Some(add_button_id(&item));
                choosing.set(Some(item));
            } else {
                cart.dispatch(CartAction::Add {
                    item,
                    options: Vec::new(),
                    qty: 1,
                });
            }
        })
    };
    let on_action = {
        let cart = cart.clone();
        Callback::from(move |action: CartAction| cart.dispatch(action))
    };
    let on_place = {
        let (cart, pickup) = (cart.clone(), pickup.clone());
        Callback::from(move |customer: String| {
            submit.emit(CheckoutRequest {
                order: cart.to_order(&customer, pickup.pickup_at()),
                labels: cart.labels(),
            })
        })
    };
    let on_new_order = {
        let reload_menu = reload_menu.clone();
        Callback::from(move |()| {
            reset.emit(());
            reload_menu.emit(());
        })
    };

    let dialog = match (&*choosing, &menu) {
        (Some(item), MenuState::Ready(menu)) => {
            let on_add = {
                let (cart, choosing) = (cart.clone(), choosing.clone());
                Callback::from(move |action: CartAction| {
                    cart.dispatch(action);
                    choosing.set(None);
                })
            };
            let on_close = {
                let choosing = choosing.clone();
                Callback::from(move |()| choosing.set(None))
            };
            let groups: Vec<_> = groups_of(menu, item).into_iter().cloned().collect();
            html! { <OptionDialog item={item.clone()} {groups} {on_add} {on_close} /> }
        }
        _ => html! {},
    };

    let placed = matches!(checkout, Checkout::Placed(_));
    let body = match (&checkout, &menu) {
        (Checkout::Placed(order), _) => {
            html! { <Confirmation order={order.clone()} {on_new_order} /> }
        }
        (_, MenuState::Loading) => {
            html! { <p class="text-stone-500" aria-busy="true">{ "Loading the menu…" }</p> }
        }
        (_, MenuState::Failed(message)) => html! { <ErrorMessage message={message.clone()} /> },
        (_, MenuState::Ready(menu)) => {
            // Paused: the notice above says it, not an error as well.
            let error = match &checkout {
                Checkout::Failed { message, .. } if accepting => {
                    Some(AttrValue::from(message.clone()))
                }
                _ => None,
            };
            let (choice, blocker) = if accepting {
                let on = {
                    let pickup = pickup.clone();
                    Callback::from(move |action| pickup.dispatch(action))
                };
                let choice = html! {
                    <PickupChoice pickup={(*pickup).clone()} busy_minutes={config.busy_extra_minutes} {on} />
                };
                (choice, pickup.blocker().map(AttrValue::Static))
            } else {
                (
                    Html::default(),
                    Some(AttrValue::Static("Orders are paused for now.")),
                )
            };
            html! {
                <div class="grid grid-cols-1 gap-6 lg:grid-cols-[minmax(0,1fr)_22rem]">
                    <section aria-labelledby="menu-title">
                        <h2 id="menu-title" class="mb-4 text-lg font-semibold text-stone-900">{ "Menu" }</h2>
                        <MenuGrid menu={menu.clone()} {on_add} />
                    </section>
                    <CartPanel cart={(*cart).clone()} {on_action} {on_place}
                               submitting={checkout == Checkout::Submitting} {error}
                               pickup={if cart.is_empty() { Html::default() } else { choice }} {blocker} />
                </div>
            }
        }
    };
    let bar = !placed && !cart.is_empty() && matches!(menu, MenuState::Ready(_));

    html! {
        <ContextProvider<Pricing> context={pricing}>
        <ContextProvider<Clock> context={Clock::of(config)}>
            // Behind an open dialog the page is inert: no focus, no clicks, not read out.
            <div inert={choosing.is_some()}
                 class={classes!("min-h-screen", "bg-stone-50", "font-brand", "text-stone-900",
                                 bar.then_some("pb-24 md:pb-0"))}>
                <Header name={config.name.clone()} items_in_cart={cart.count()}
                        open_status={open_status(config).map(AttrValue::from)} />
                <main class="mx-auto max-w-6xl px-4 py-6 sm:px-6 sm:py-8">
                    if !accepting && !placed {
                        <p data-testid="not-accepting" role="status"
                           class="mb-6 rounded-lg border border-amber-300 bg-amber-50 px-4 py-3 font-medium text-amber-900">
                            { format!("{} is not taking orders right now. You can still look at the menu.", config.name) }
                        </p>
                    }
                    { body }
                </main>
                if bar {
                    <CartBar count={cart.count()} total={cart.total_cents()}
                             on_open={Callback::from(|()| focus_by_id("cart-title", true))} />
                }
            </div>
            { dialog }
        </ContextProvider<Clock>>
        </ContextProvider<Pricing>>
    }
}

/// Gives the element with this id the focus, first scrolling it to the top of the window if
/// `to_top` (else the browser scrolls only as far as it must).
fn focus_by_id(id: &str, to_top: bool) {
    let element = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id(id))
        .and_then(|e| e.dyn_into::<HtmlElement>().ok());
    if let Some(element) = element {
        if to_top {
            element.scroll_into_view();
        }
        let _ = element.focus();
    }
}
