use yew::prelude::*;

use crate::money::Pricing;

#[derive(Properties, PartialEq)]
pub struct CartBarProps {
    /// Items in the cart, counting quantities.
    pub count: u32,
    pub total: i64,
    /// Takes the customer to the cart.
    pub on_open: Callback<()>,
}

/// On a phone, where the cart is below the whole menu: a bar fixed at the bottom of the screen,
/// "View order (3) 24,50 €", that takes the customer to it. Hidden from `md` up, where the cart
/// is beside the menu. The storefront renders it only while the cart holds something, and pads
/// the page's bottom so it never covers the end of the page.
#[function_component(CartBar)]
pub fn cart_bar(props: &CartBarProps) -> Html {
    let pricing = use_context::<Pricing>().unwrap_or_default();
    let open = props.on_open.reform(|_: MouseEvent| ());
    html! {
        <div data-testid="cart-bar"
             class="fixed inset-x-0 bottom-0 z-30 border-t border-stone-200 bg-white/95 px-4 pt-3 pb-[max(0.75rem,env(safe-area-inset-bottom))] shadow-[0_-4px_12px_rgba(0,0,0,0.08)] backdrop-blur md:hidden">
            <button type="button" onclick={open}
                    class="flex w-full items-center justify-between gap-3 rounded-lg bg-primary px-4 py-3 text-base font-semibold text-on-primary shadow-sm hover:opacity-90 focus-visible:outline focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-primary">
                <span>{ format!("View order ({})", props.count) }</span>
                <span class="tabular-nums">{ pricing.format(props.total) }</span>
            </button>
        </div>
    }
}
