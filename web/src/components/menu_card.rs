use chameleon_wire::{StoreMenuItem, Tag};
use yew::prelude::*;

use crate::hours::Clock;
use crate::money::Pricing;

#[derive(Properties, PartialEq)]
pub struct MenuCardProps {
    pub item: StoreMenuItem,
    /// Pressing "Add to cart": the storefront adds the dish, or asks for its options first.
    pub on_add: Callback<StoreMenuItem>,
    /// Under a category heading (h3): the dish's name is then an h4.
    #[prop_or_default]
    pub in_section: bool,
    /// The dish has options to choose: its button opens a dialog.
    #[prop_or_default]
    pub has_options: bool,
}

/// The id of the dish's "Add to cart" button: where focus goes back when its options dialog
/// closes.
pub fn add_button_id(item: &StoreMenuItem) -> String {
    format!("add-{}", item.id)
}

/// How a tag reads: its label from the rules' list (the code itself for one this build does
/// not know, so a newer API never shows a blank).
fn tag_label(tag: &Tag) -> &str {
    chameleon_rules::codes::TAGS
        .iter()
        .find(|known| known.code == tag.as_str())
        .map_or(tag.as_str(), |known| known.label)
}

/// One dish: its picture, name, price, description and dietary tags, and a way to put it in
/// the cart; greyed out, marked "Sold out" (and when it is back, if known), and with its button
/// disabled while it cannot be ordered.
#[function_component(MenuCard)]
pub fn menu_card(props: &MenuCardProps) -> Html {
    let pricing = use_context::<Pricing>().unwrap_or_default();
    let clock = use_context::<Clock>().unwrap_or_default();
    // A picture that fails to load leaves its (fixed-size) frame empty, not a broken icon.
    let image_failed = use_state(|| false);
    let add = {
        let item = props.item.clone();
        props.on_add.reform(move |_: MouseEvent| item.clone())
    };
    let item = &props.item;
    let picture = item.image_url.as_ref().map(|url| {
        let on_error = {
            let image_failed = image_failed.clone();
            Callback::from(move |_: Event| image_failed.set(true))
        };
        html! {
            // The frame has the aspect ratio before the picture arrives: nothing moves.
            <div class="-mx-5 -mt-5 mb-4 aspect-[4/3] overflow-hidden rounded-t-xl bg-stone-100">
                <img data-testid="menu-item-image" src={url.clone()} alt="" loading="lazy"
                     decoding="async" width="400" height="300" onerror={on_error}
                     class={classes!("h-full", "w-full", "object-cover", image_failed.then_some("invisible"),
                                     (!item.available).then_some("grayscale"))} />
            </div>
        }
    });
    let name = html! {
        <span data-testid="menu-item-name">{ &item.name }</span>
    };
    let back_id = format!("back-{}", item.id);
    let (card_class, title_class) = if item.available {
        ("bg-white", "text-lg font-semibold text-stone-900")
    } else {
        ("bg-stone-50", "text-lg font-semibold text-stone-600")
    };
    html! {
        <li data-testid="menu-item" data-available={item.available.to_string()}
            class={classes!("flex", "flex-col", "justify-between", "gap-4", "overflow-hidden", "rounded-xl",
                            "border", "border-stone-200", "p-5", "shadow-sm", card_class)}>
            <div>
                { for picture }
                if props.in_section {
                    <h4 class={title_class}>{ name }</h4>
                } else {
                    <h3 class={title_class}>{ name }</h3>
                }
                <p data-testid="menu-item-price" class="mt-1 text-stone-600"><span data-testid="price">{ pricing.format(item.price) }</span></p>
                if !item.available {
                    <p class="mt-2 flex flex-wrap items-baseline gap-x-2 text-sm text-stone-700">
                        <span data-testid="sold-out" class="rounded-full bg-stone-700 px-2 py-0.5 text-xs font-semibold uppercase tracking-wide text-white">
                            { "Sold out" }
                        </span>
                        if let Some(at) = &item.available_from {
                            <span id={back_id.clone()} data-testid="back-at">{ clock.back_at(at) }</span>
                        }
                    </p>
                }
                if let Some(description) = &item.description {
                    <p data-testid="menu-item-description" class="mt-2 whitespace-pre-line text-sm text-stone-600">{ description }</p>
                }
                if !item.tags.is_empty() {
                    <ul class="mt-3 flex flex-wrap gap-1.5" aria-label="Dietary information">
                        { for item.tags.iter().map(|tag| html! {
                            <li data-testid="tag" class="rounded-full bg-stone-100 px-2 py-0.5 text-xs font-medium text-stone-700">
                                { tag_label(tag) }
                            </li>
                        }) }
                    </ul>
                }
            </div>
            <button type="button" data-testid="add-to-cart" id={add_button_id(item)} onclick={add}
                    disabled={!item.available}
                    aria-label={format!("{}: {}", if item.available { "Add to cart" } else { "Sold out" }, item.name)}
                    aria-describedby={(!item.available && item.available_from.is_some()).then_some(back_id)}
                    aria-haspopup={(props.has_options && item.available).then_some("dialog")}
                    class="self-start rounded-lg bg-primary px-4 py-2 text-sm font-semibold text-on-primary shadow-sm hover:opacity-90 disabled:cursor-not-allowed disabled:bg-stone-300 disabled:text-stone-700 disabled:shadow-none disabled:hover:opacity-100 focus-visible:outline focus-visible:outline-2 focus-visible:outline-primary">
                { if item.available { "Add to cart" } else { "Sold out" } }
            </button>
        </li>
    }
}
