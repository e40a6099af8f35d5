use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct HeaderProps {
    pub name: AttrValue,
    pub items_in_cart: u32,
    /// "Open now · closes …" / "Closed · opens …"; `None` when always open.
    #[prop_or_default]
    pub open_status: Option<AttrValue>,
}

/// The restaurant's name on its brand colour.
#[function_component(Header)]
pub fn header(props: &HeaderProps) -> Html {
    html! {
        <header data-testid="store-header" class="bg-primary text-on-primary shadow-sm">
            <div class="mx-auto flex max-w-6xl items-center justify-between gap-4 px-4 py-5 sm:px-6">
                <div class="min-w-0">
                    <h1 data-testid="tenant-name" class="truncate text-2xl font-bold tracking-tight sm:text-3xl">
                        { props.name.clone() }
                    </h1>
                    <p data-testid="open-status" class="mt-0.5 text-sm font-medium">
                        { props.open_status.clone().unwrap_or_else(|| AttrValue::from("Open now")) }
                    </p>
                </div>
                <a href="#cart" class="inline-flex shrink-0 items-center gap-1.5 rounded-full bg-white/15 px-3 py-1 text-sm font-medium hover:bg-white/25 focus-visible:outline focus-visible:outline-2 focus-visible:outline-current"
                   aria-label={format!("Cart, {} items", props.items_in_cart)}>
                    // An inline icon: no icon font or emoji font to depend on.
                    <svg class="h-4 w-4" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2"
                         stroke-linecap="round" stroke-linejoin="round" aria-hidden="true">
                        <path d="M6 2 3 6v14a2 2 0 0 0 2 2h14a2 2 0 0 0 2-2V6l-3-4z" />
                        <path d="M3 6h18" />
                        <path d="M16 10a4 4 0 0 1-8 0" />
                    </svg>
                    <span data-testid="cart-count">{ props.items_in_cart }</span>
                </a>
            </div>
        </header>
    }
}
